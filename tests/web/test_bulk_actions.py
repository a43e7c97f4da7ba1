"""Bulk actions on the media and testimony lists: each selected record goes through its single-item service, so
the two-person rule and the other rules hold record by record; refusals are listed per record, the rest are
applied."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from casework.evidence import services as evidence_services
from casework.evidence.models import MediaItem
from casework.witnesses import services as witness_services
from casework.witnesses.models import Testimony
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def items(case, *acquirers):
    return [
        MediaItemFactory(case=case, acquired_by=person, exhibit_number=f"{case.reference}-{n:06d}", exhibit_sequence=n)
        for n, person in enumerate(acquirers, start=1)
    ]


def test_bulk_verify_refuses_only_the_item_the_reviewer_added(client, case, intake_worker, reviewer):
    first, own, third = items(case, intake_worker, reviewer, intake_worker)
    client.force_login(reviewer)
    response = client.post(
        reverse("evidence:media_bulk", args=[case.reference]),
        {"items": [first.pk, own.pk, third.pk], "action": "verify"},
    )
    assert response.status_code == 302
    states = dict(MediaItem.objects.values_list("pk", "verification_status"))
    assert (states[first.pk], states[own.pk], states[third.pk]) == ("verified", "unverified", "verified")
    assert shown(response) == [
        f"Done for 2: {first.exhibit_number}, {third.exhibit_number}.",
        f"Not changed: {own.exhibit_number}. You added this item, so someone else must review it.",
    ]


def test_bulk_link_and_mark_graphic_follow_each_role(client, case, intake_worker):
    incident = IncidentFactory(case=case, reference="INC-9")
    first, second = items(case, intake_worker, intake_worker)
    client.force_login(intake_worker)
    url = reverse("evidence:media_bulk", args=[case.reference])
    client.post(url, {"items": [first.pk, second.pk], "action": "link_incident", "incident": incident.pk}, follow=True)
    assert set(incident.media_items.values_list("pk", flat=True)) == {first.pk, second.pk}

    response = client.post(url, {"items": [first.pk], "action": "mark_graphic"})
    assert not MediaItem.objects.get(pk=first.pk).is_graphic  # an intake worker may not: refused, listed
    assert shown(response) == [f"Not changed: {first.exhibit_number}. Your role on this case does not allow this."]


def test_bulk_takes_no_record_of_another_case_and_no_analyst(
    client, case, other_case, reviewer, analyst, intake_worker
):
    (mine,) = items(case, intake_worker)
    foreign = MediaItemFactory(case=other_case, acquired_by=intake_worker)
    client.force_login(reviewer)
    url = reverse("evidence:media_bulk", args=[case.reference])
    client.post(url, {"items": [mine.pk, foreign.pk], "action": "verify"})
    assert not MediaItem.objects.filter(verification_status="verified").exists()  # the whole selection refused
    client.force_login(analyst)
    assert client.post(url, {"items": [mine.pk], "action": "verify"}).status_code == 403


def test_bulk_link_without_an_incident_says_so(client, case, intake_worker):
    (item,) = items(case, intake_worker)
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_bulk", args=[case.reference]), {"items": [item.pk], "action": "link_incident"}
    )
    assert shown(response) == ["Choose the incident to link."]


def test_bulk_testimony_review_keeps_the_two_person_rule_per_testimony(client, case, intake_worker, reviewer):
    witness = WitnessFactory(case=case, pseudonym="W-801")
    others = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, status="submitted")
    own = TestimonyFactory(case=case, witness=witness, interviewer=reviewer, status="submitted")
    draft = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, status="draft")
    client.force_login(reviewer)
    response = client.post(
        reverse("witnesses:testimony_bulk", args=[case.reference]),
        {"items": [others.pk, own.pk, draft.pk], "action": "verify"},
    )
    statuses = dict(Testimony.objects.values_list("pk", "status"))
    assert (statuses[others.pk], statuses[own.pk], statuses[draft.pk]) == ("verified", "submitted", "draft")
    messages = shown(response)
    assert messages[0].startswith("Done for 1: W-801")
    assert any("You recorded or edited this testimony" in message for message in messages[1:])
    assert any("Only a submitted testimony can be reviewed." in message for message in messages[1:])


def test_bulk_testimony_link_leaves_a_verified_testimony_unchanged(case, intake_worker, reviewer):
    incident = IncidentFactory(case=case, reference="INC-10")
    open_one = TestimonyFactory(case=case, interviewer=intake_worker, status="draft")
    verified = TestimonyFactory(
        case=case, interviewer=intake_worker, status="verified", reviewed_by=reviewer, reviewed_at=timezone.now()
    )
    outcome = witness_services.testimonies_bulk_apply(
        testimonies=[open_one, verified], actor=intake_worker, action="link_incident", incident=incident
    )
    assert len(outcome.applied) == 1 and outcome.refused[0][1] == "A verified testimony cannot be edited."
    assert list(incident.testimonies.all()) == [open_one]


def test_media_bulk_service_refuses_an_unknown_action(case, intake_worker):
    (item,) = items(case, intake_worker)
    with pytest.raises(evidence_services.Refused):
        evidence_services.media_bulk_apply(items=[item], actor=intake_worker, action="delete")


def test_lists_offer_bulk_actions_to_editors_and_reviewers_only(client, case, reviewer, analyst, intake_worker):
    items(case, intake_worker)
    TestimonyFactory(case=case, interviewer=intake_worker, status="submitted")
    for url in (
        reverse("evidence:media_list", args=[case.reference]),
        reverse("witnesses:testimony_list", args=[case.reference]),
    ):
        client.force_login(reviewer)
        assert 'id="bulk-form"' in client.get(url).content.decode()
        client.force_login(analyst)
        assert 'id="bulk-form"' not in client.get(url).content.decode()
