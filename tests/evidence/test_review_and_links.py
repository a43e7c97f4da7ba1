"""Review (two-person rule), linking and viewing: each writes its custody event."""

import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate
from casework.evidence.samples import jpeg_bytes, scene_image
from casework.evidence.services import media_ingest_stream, media_process
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(case, intake_worker):
    result = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=50)),
        case=case,
        original_filename="a.jpg",
        source="witness",
        acquired_by=intake_worker,
    )
    media_process(item_id=result.item.pk)
    return MediaItem.objects.get(pk=result.item.pk)


def actions(item) -> list[str]:
    return list(CustodyEvent.objects.filter(object_id=str(item.pk)).values_list("action", flat=True))


def test_reviewer_verifies_and_the_decision_is_in_custody(client, reviewer, item):
    client.force_login(reviewer)
    client.post(reverse("evidence:media_review", args=[item.pk]), {"decision": "verify", "notes": "geolocated"})
    item.refresh_from_db()
    assert (item.verification_status, item.verified_by, item.verification_notes) == (
        "verified",
        reviewer,
        "geolocated",
    )
    assert actions(item)[-1] == "verified"


def test_rejection_needs_a_reason(client, reviewer, item):
    client.force_login(reviewer)
    response = client.post(reverse("evidence:media_review", args=[item.pk]), {"decision": "reject"}, follow=True)
    assert "Say why the item is rejected." in response.content.decode()
    item.refresh_from_db()
    assert item.verification_status == "unverified"


def test_who_added_an_item_cannot_review_it(client, case_admin, case):
    # A case admin may review, but not an item they acquired themselves.
    own = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=51)),
        case=case,
        original_filename="b.jpg",
        source="witness",
        acquired_by=case_admin,
    ).item
    client.force_login(case_admin)
    response = client.post(reverse("evidence:media_review", args=[own.pk]), {"decision": "verify"}, follow=True)
    assert "someone else must review it" in response.content.decode()
    own.refresh_from_db()
    assert own.verification_status == "unverified"
    with pytest.raises(IntegrityError), transaction.atomic():
        MediaItem.objects.filter(pk=own.pk).update(verification_status="verified", verified_by=case_admin)


def test_intake_cannot_review(client, intake_worker, item):
    client.force_login(intake_worker)
    assert client.post(reverse("evidence:media_review", args=[item.pk]), {"decision": "verify"}).status_code == 403


def test_link_and_unlink_are_edits_in_custody(client, intake_worker, case, item):
    incident = IncidentFactory(case=case)
    client.force_login(intake_worker)
    client.post(reverse("evidence:media_links", args=[item.pk]), {"incident": incident.pk})
    assert list(item.incidents.all()) == [incident]
    client.post(reverse("evidence:media_links", args=[item.pk]), {"incident": incident.pk, "action": "unlink"})
    assert list(item.incidents.all()) == []
    edits = CustodyEvent.objects.filter(object_id=str(item.pk), action="edited").order_by("sequence")
    assert [(event.actor, event.details) for event in edits] == [
        (intake_worker, {"fields": ["incidents"], "values": {"incidents": {"old": [], "new": [incident.reference]}}}),
        (intake_worker, {"fields": ["incidents"], "values": {"incidents": {"old": [incident.reference], "new": []}}}),
    ]


def test_incident_of_another_case_cannot_be_linked(client, intake_worker, other_case, item):
    foreign = IncidentFactory(case=other_case)
    client.force_login(intake_worker)
    response = client.post(reverse("evidence:media_links", args=[item.pk]), {"incident": foreign.pk}, follow=True)
    assert "That incident is not one of this case’s incidents." in response.content.decode()
    assert item.incidents.count() == 0


def test_viewing_the_original_is_recorded(client, analyst, item):
    client.force_login(analyst)
    response = client.get(reverse("evidence:media_view_original", args=[item.pk]))
    assert response.status_code == 200 and response["Content-Security-Policy"].startswith("sandbox")
    assert actions(item)[-1] == "viewed"


def test_media_page_shows_metadata_duplicates_and_custody(client, reviewer, case, intake_worker, item):
    copy = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(image=scene_image(50).resize((480, 360)))),
        case=case,
        original_filename="copy.jpg",
        source="social_media",
        acquired_by=intake_worker,
    ).item
    media_process(item_id=copy.pk)
    pair = NearDuplicate.objects.get()
    client.force_login(reviewer)
    body = client.get(reverse("evidence:media_detail", args=[copy.pk])).content.decode()
    assert item.exhibit_number in body and "Possible duplicate" in body
    assert copy.sha256 in body and "Metadata extracted" in body and "Received" in body
    client.post(reverse("evidence:near_duplicate_decide", args=[copy.pk, pair.pk]), {"decision": "confirm"})
    pair.refresh_from_db()
    assert (pair.status, pair.reviewed_by) == ("confirmed", reviewer)
