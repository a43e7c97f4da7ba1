"""One write path for an item's details (media_update) and withdrawal (media_withdraw), through every door:
the staff pages, the API and the admin. Provenance never changes; every change is a custody event."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from casework.errors import Refused
from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_update, media_withdraw
from tests.factories import IncidentFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db

PROVENANCE = ["sha256", "size_bytes", "mime_type", "kind", "source", "source_url", "acquired_by_id", "acquired_at"]


@pytest.fixture
def item(case, intake_worker):
    return media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=300)),
        case=case,
        original_filename="IMG_0300.jpg",
        source="social_media",
        source_url="https://example.org/post/300",
        acquired_by=intake_worker,
    ).item


def edits(item) -> list[CustodyEvent]:
    return list(CustodyEvent.objects.filter(object_id=str(item.pk), action="edited").order_by("sequence"))


def snapshot(item) -> dict:
    fresh = MediaItem.objects.get(pk=item.pk)
    return {
        **{name: getattr(fresh, name) for name in PROVENANCE},
        "description": fresh.description,
        "is_graphic": fresh.is_graphic,
        "witness_id": fresh.witness_id,
        "testimony_id": fresh.testimony_id,
        "incidents": sorted(fresh.incidents.values_list("pk", flat=True)),
        "withdrawn_at": fresh.withdrawn_at,
    }


# -- the service --------------------------------------------------------------------------------------------


def test_update_writes_only_the_changed_columns_and_one_custody_event(case, case_admin, item):
    witness = WitnessFactory(case=case, pseudonym="W-301")
    incident = IncidentFactory(case=case, reference="INC-301")
    with CaptureQueriesContext(connection) as queries:
        media_update(
            item=item,
            actor=case_admin,
            description="  Smoke over the market.  ",
            is_graphic=True,
            incidents=[incident],
            witness=witness,
            testimony=None,  # unchanged: not written
        )
    updates = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "evidence_mediaitem"')]
    assert len(updates) == 1
    set_clause = updates[0].split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert sorted(part.split(" = ")[0].strip('"') for part in set_clause.split(", ")) == [
        "description",
        "is_graphic",
        "witness_id",
    ]
    (event,) = edits(item)
    assert event.actor == case_admin
    # Which fields changed; values only of those that name no one.
    assert event.details == {
        "fields": ["description", "incidents", "is_graphic", "witness"],
        "values": {"is_graphic": {"old": False, "new": True}, "incidents": {"old": [], "new": ["INC-301"]}},
    }
    stored = MediaItem.objects.get(pk=item.pk)
    assert (stored.description, stored.is_graphic, stored.witness) == ("Smoke over the market.", True, witness)
    assert list(stored.incidents.all()) == [incident]


def test_update_without_a_change_writes_nothing(case_admin, item):
    media_update(item=item, actor=case_admin, description="", is_graphic=False, incidents=[], witness=None)
    assert edits(item) == []


def test_update_refuses_records_of_another_case_and_changes_nothing(case_admin, other_case, item):
    before = snapshot(item)
    events = CustodyEvent.objects.count()
    foreign_incident = IncidentFactory(case=other_case, reference="INC-999")
    foreign_witness = WitnessFactory(case=other_case)
    foreign_testimony = TestimonyFactory(case=other_case)
    with pytest.raises(Refused) as refusal:
        media_update(
            item=item,
            actor=case_admin,
            description="changed",
            incidents=[foreign_incident],
            witness=foreign_witness,
            testimony=foreign_testimony,
        )
    assert refusal.value.errors == {
        "incidents": ["Incident INC-999 belongs to another case."],
        "witness": ["The witness belongs to another case."],
        "testimony": ["A recording must belong to the testimony's case."],
    }
    assert snapshot(item) == before and CustodyEvent.objects.count() == events


def test_update_needs_the_permission_of_each_detail(intake_worker, reviewer, analyst, item):
    before = snapshot(item)
    with pytest.raises(PermissionDenied):
        media_update(item=item, actor=reviewer, description="a reviewer's note")
    with pytest.raises(PermissionDenied):
        media_update(item=item, actor=intake_worker, is_graphic=True)  # a reviewer's call
    with pytest.raises(PermissionDenied):
        media_update(item=item, actor=analyst, incidents=[])
    assert snapshot(item) == before and edits(item) == []
    media_update(item=item, actor=reviewer, is_graphic=True)
    media_update(item=item, actor=intake_worker, description="typed by intake")
    assert [event.details["fields"] for event in edits(item)] == [["is_graphic"], ["description"]]


def test_withdraw_is_for_case_admins_needs_a_reason_and_happens_once(case_admin, intake_worker, item):
    with pytest.raises(PermissionDenied):
        media_withdraw(item=item, actor=intake_worker, reason="duplicate upload")
    with pytest.raises(Refused, match="Say why the item is withdrawn."):
        media_withdraw(item=item, actor=case_admin, reason="   ")
    assert MediaItem.objects.get(pk=item.pk).withdrawn_at is None
    media_withdraw(item=item, actor=case_admin, reason="The sender asked us not to use it.")
    media_withdraw(item=item, actor=case_admin, reason="again")
    stored = MediaItem.objects.get(pk=item.pk)
    assert (stored.withdrawn_by, stored.withdrawal_reason) == (case_admin, "The sender asked us not to use it.")
    withdrawals = CustodyEvent.objects.filter(object_id=str(item.pk), action="withdrawn")
    assert [(event.actor, event.details) for event in withdrawals] == [
        (case_admin, {"reason": "The sender asked us not to use it."})
    ]


def test_testimony_recordings_are_set_through_the_same_path(case, intake_worker, item):
    from casework.evidence.services import media_set_testimony_recordings

    testimony = TestimonyFactory(case=case)
    media_set_testimony_recordings(testimony=testimony, items=[item], actor=intake_worker)
    media_set_testimony_recordings(testimony=testimony, items=[], actor=intake_worker)
    assert [event.details for event in edits(item)] == [
        {"fields": ["testimony"], "values": {"testimony": {"old": None, "new": testimony.pk}}},
        {"fields": ["testimony"], "values": {"testimony": {"old": testimony.pk, "new": None}}},
    ]


# -- staff pages --------------------------------------------------------------------------------------------


def test_editor_changes_description_and_witness_on_the_item_page(client, case, intake_worker, item):
    witness = WitnessFactory(case=case, pseudonym="W-302", real_name="Hidden Name 302")
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_edit", args=[item.pk]),
        {"description": "Filmed from a rooftop.", "witness": witness.pk},
        follow=True,
    )
    body = response.content.decode()
    assert "W-302" in body and "Filmed from a rooftop." in body and "Hidden Name 302" not in body
    (event,) = edits(item)
    assert (event.actor, event.details) == (intake_worker, {"fields": ["description", "witness"], "values": {}})


def test_item_page_refuses_a_witness_of_another_case(client, other_case, intake_worker, item):
    before = snapshot(item)
    client.force_login(intake_worker)
    foreign = WitnessFactory(case=other_case)
    response = client.post(reverse("evidence:media_edit", args=[item.pk]), {"witness": foreign.pk}, follow=True)
    assert "That witness is not one of this case’s witnesses." in response.content.decode()
    assert snapshot(item) == before and edits(item) == []


def test_graphic_flag_on_the_page_is_an_edit_in_custody(client, reviewer, item):
    client.force_login(reviewer)
    client.post(reverse("evidence:media_graphic", args=[item.pk]), {"is_graphic": "1"})
    (event,) = edits(item)
    assert (event.actor, event.details["values"]) == (reviewer, {"is_graphic": {"old": False, "new": True}})


def test_case_admin_withdraws_on_the_page_and_the_item_stays_listed_and_downloadable(
    client, case, case_admin, analyst, item
):
    client.force_login(case_admin)
    detail = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert 'id="media-withdraw-form"' in detail
    client.post(reverse("evidence:media_withdraw", args=[item.pk]), {"reason": "Staged: the same scene in 2015."})
    client.force_login(analyst)
    listing = client.get(reverse("evidence:media_list", args=[case.reference])).content.decode()
    assert item.exhibit_number in listing and "withdrawn" in listing and "Staged: the same scene in 2015." in listing
    detail = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert "Withdrawn from use" in detail and "Staged: the same scene in 2015." in detail
    assert 'id="media-withdraw-form"' not in detail
    download = client.get(reverse("evidence:media_original", args=[item.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == jpeg_bytes(seed=300)


def test_withdrawal_without_a_reason_is_refused_on_the_page(client, case_admin, item):
    client.force_login(case_admin)
    response = client.post(reverse("evidence:media_withdraw", args=[item.pk]), {"reason": ""}, follow=True)
    assert "Say why the item is withdrawn." in response.content.decode()
    assert MediaItem.objects.get(pk=item.pk).withdrawn_at is None


def test_only_case_admins_see_or_use_the_withdraw_button(client, intake_worker, item):
    client.force_login(intake_worker)
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert 'id="media-withdraw-form"' not in page
    assert client.post(reverse("evidence:media_withdraw", args=[item.pk]), {"reason": "x"}).status_code == 403
    assert MediaItem.objects.get(pk=item.pk).withdrawn_at is None


# -- API ----------------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def detail_url(case, item, action: str = "") -> str:
    return f"/api/cases/{case.reference}/media/{item.pk}/{action}"


def test_api_patch_changes_description_incidents_and_witness(api, case, intake_worker, item):
    IncidentFactory(case=case, reference="INC-310")
    WitnessFactory(case=case, pseudonym="W-310")
    api.force_authenticate(intake_worker)
    response = api.patch(
        detail_url(case, item),
        {"description": "Crater, 3 m wide.", "incidents": ["INC-310"], "witness": "W-310"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["description"], body["incidents"], body["witness"]) == ("Crater, 3 m wide.", ["INC-310"], "W-310")
    (event,) = edits(item)
    assert event.actor == intake_worker and event.details["fields"] == ["description", "incidents", "witness"]


def test_api_patch_is_graphic_is_for_reviewers(api, case, intake_worker, reviewer, analyst, outsider, item):
    before = snapshot(item)
    for person, status in ((intake_worker, 403), (analyst, 403), (outsider, 404)):
        api.force_authenticate(person)
        assert api.patch(detail_url(case, item), {"is_graphic": True}, format="json").status_code == status
    api.force_authenticate(reviewer)
    assert api.patch(detail_url(case, item), {"description": "x"}, format="json").status_code == 403
    assert snapshot(item) == before and edits(item) == []
    response = api.patch(detail_url(case, item), {"is_graphic": True}, format="json")
    assert response.status_code == 200 and response.json()["is_graphic"] is True


def test_api_patch_never_changes_provenance_and_refuses_other_cases_records(api, case, other_case, intake_worker, item):
    before = snapshot(item)
    WitnessFactory(case=other_case, pseudonym="W-999")
    api.force_authenticate(intake_worker)
    response = api.patch(
        detail_url(case, item), {"sha256": "0" * 64, "source": "other", "description": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"sha256", "source"}
    response = api.patch(detail_url(case, item), {"witness": "W-999"}, format="json")
    assert response.status_code == 400 and "witness" in response.json()
    assert api.put(detail_url(case, item), {"description": "x"}, format="json").status_code == 405
    assert snapshot(item) == before and edits(item) == []


def test_api_withdraw_is_for_case_admins_with_a_reason(api, case, case_admin, intake_worker, analyst, item):
    url = detail_url(case, item, "withdraw/")
    api.force_authenticate(intake_worker)
    assert api.post(url, {"reason": "x"}, format="json").status_code == 403
    api.force_authenticate(case_admin)
    response = api.post(url, {}, format="json")
    assert response.status_code == 400 and response.json() == {"reason": ["Say why the item is withdrawn."]}
    assert MediaItem.objects.get(pk=item.pk).withdrawn_at is None
    response = api.post(url, {"reason": "Sent to the wrong case."}, format="json")
    assert response.status_code == 200
    assert (response.json()["withdrawn_by"], response.json()["withdrawal_reason"]) == (
        "case_admin",
        "Sent to the wrong case.",
    )
    assert api.post(url, {"reason": "again"}, format="json").status_code == 200  # idempotent
    api.force_authenticate(analyst)
    listed = api.get(f"/api/cases/{case.reference}/media/").json()["results"]
    assert [(row["id"], row["withdrawal_reason"]) for row in listed] == [(item.pk, "Sent to the wrong case.")]
    assert api.get(detail_url(case, item, "original/")).status_code == 200
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="withdrawn").count() == 1


# -- admin --------------------------------------------------------------------------------------------------


def admin_change_url(item) -> str:
    return reverse("admin:evidence_mediaitem_change", args=[item.pk])


def test_admin_cannot_change_provenance_and_its_edits_are_custody_events(client, superuser, case, item):
    before = snapshot(item)
    client.force_login(superuser)
    page = client.get(admin_change_url(item)).content.decode()
    for provenance_field in ("sha256", "source", "source_url", "acquired_at", "mime_type", "kind", "size_bytes"):
        assert f'name="{provenance_field}"' not in page, provenance_field
    assert "IMG_0300.jpg" not in page  # the sender's file name is not an admin matter
    response = client.post(
        admin_change_url(item),
        {
            "description": "Corrected by an administrator.",
            "sha256": "0" * 64,
            "size_bytes": "1",
            "mime_type": "image/png",
            "kind": "document",
            "source": "other",
            "source_url": "https://example.org/forged",
            "acquired_at_0": "2001-01-01",
            "acquired_at_1": "00:00:00",
            "original_filename": "forged.jpg",
            "metadata": "{}",
            "processing_state": "done",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = snapshot(item)
    assert {name: after[name] for name in PROVENANCE} == {name: before[name] for name in PROVENANCE}
    stored = MediaItem.objects.get(pk=item.pk)
    assert stored.original_filename == "IMG_0300.jpg" and stored.description == "Corrected by an administrator."
    (event,) = edits(item)
    assert (event.actor_label, event.details["fields"]) == ("root_admin", ["description"])


def test_admin_refuses_a_witness_of_another_case(client, superuser, other_case, item):
    before = snapshot(item)
    client.force_login(superuser)
    foreign = WitnessFactory(case=other_case)
    response = client.post(admin_change_url(item), {"description": "", "witness": foreign.pk, "_save": "Save"})
    assert response.status_code == 200 and "The witness belongs to another case." in response.content.decode()
    assert snapshot(item) == before and edits(item) == []


def test_admin_never_deletes_media_and_reverting_history_is_off(client, superuser, item):
    client.force_login(superuser)
    delete = reverse("admin:evidence_mediaitem_delete", args=[item.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:evidence_mediaitem_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    version = item.history.order_by("history_id").first()
    revert = reverse("admin:evidence_mediaitem_simple_history", args=[item.pk, version.history_id])
    assert client.post(revert, {"description": "reverted"}).status_code == 403
    assert MediaItem.objects.filter(pk=item.pk).exists()


def test_admin_withdraw_action_asks_for_a_reason_then_withdraws(client, superuser, item):
    client.force_login(superuser)
    changelist = reverse("admin:evidence_mediaitem_changelist")
    asked = client.post(changelist, {"action": "withdraw_selected", "_selected_action": [item.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert MediaItem.objects.get(pk=item.pk).withdrawn_at is None
    client.post(
        changelist,
        {"action": "withdraw_selected", "_selected_action": [item.pk], "reason": "Court asked for its removal."},
    )
    stored = MediaItem.objects.get(pk=item.pk)
    assert (stored.withdrawn_by, stored.withdrawal_reason) == (superuser, "Court asked for its removal.")
    assert CustodyEvent.objects.get(object_id=str(item.pk), action="withdrawn").actor_label == "root_admin"
