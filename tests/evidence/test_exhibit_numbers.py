"""Every media item has its own exhibit number (CW-0042-000017): given at intake in the case's order, unique
in the case, never changed, and the same on every page, in the API and in the admin."""

import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_update
from tests.factories import MediaItemFactory

pytestmark = pytest.mark.django_db


def ingest(case, person, seed: int, **fields) -> MediaItem:
    return media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=seed)),
        case=case,
        original_filename=f"photo-{seed}.jpg",
        source=fields.pop("source", "witness"),
        acquired_by=person,
        **fields,
    ).item


def test_intake_numbers_the_items_of_each_case_in_order(case, other_case, intake_worker, outsider):
    first, second = ingest(case, intake_worker, 1), ingest(case, intake_worker, 2)
    elsewhere = ingest(other_case, outsider, 3)
    third = ingest(case, intake_worker, 4)
    assert [first.exhibit_number, second.exhibit_number, third.exhibit_number] == [
        "CW-0042-000001",
        "CW-0042-000002",
        "CW-0042-000003",
    ]
    assert elsewhere.exhibit_number == "CW-0099-000001"
    assert MediaItem.objects.get(pk=third.pk).exhibit_sequence == 3


def test_the_same_file_again_keeps_its_number_and_takes_none(case, intake_worker):
    first = ingest(case, intake_worker, 5)
    again = ingest(case, intake_worker, 5, source="social_media")
    assert again.pk == first.pk and again.exhibit_number == "CW-0042-000001"
    assert ingest(case, intake_worker, 6).exhibit_number == "CW-0042-000002"


def test_a_rejected_file_takes_no_number(case, other_case, intake_worker):
    from casework.evidence.uploads import IntakeRejected
    from tests.factories import IncidentFactory

    ingest(case, intake_worker, 7)
    with pytest.raises(IntakeRejected):
        ingest(case, intake_worker, 8, incidents=[IncidentFactory(case=other_case)])
    assert ingest(case, intake_worker, 9).exhibit_number == "CW-0042-000002"


def test_edits_never_change_the_number(case, intake_worker):
    item = ingest(case, intake_worker, 10)
    media_update(item=item, actor=intake_worker, description="The market from the north.")
    item.refresh_from_db()
    assert item.exhibit_number == "CW-0042-000001"


def test_rows_created_any_other_way_are_numbered_too(case, intake_worker):
    ingest(case, intake_worker, 11)
    row = MediaItemFactory(case=case, acquired_by=intake_worker)
    assert (row.exhibit_sequence, row.exhibit_number) == (2, "CW-0042-000002")


def test_the_database_refuses_a_number_twice_in_a_case(case, intake_worker):
    first = ingest(case, intake_worker, 12)
    second = ingest(case, intake_worker, 13)
    with pytest.raises(IntegrityError), transaction.atomic():
        MediaItem.objects.filter(pk=second.pk).update(exhibit_number=first.exhibit_number)
    with pytest.raises(IntegrityError), transaction.atomic():
        MediaItem.objects.filter(pk=second.pk).update(exhibit_sequence=first.exhibit_sequence)


def test_the_api_and_the_admin_show_and_find_the_number(api, client, case, intake_worker, superuser):
    ingest(case, intake_worker, 14)
    item = ingest(case, intake_worker, 15)
    api.force_authenticate(intake_worker)
    listed = api.get(f"/api/cases/{case.reference}/media/", {"exhibit_number": "cw-0042-000002"}).json()
    assert [row["exhibit_number"] for row in listed["results"]] == ["CW-0042-000002"]
    detail = api.get(f"/api/cases/{case.reference}/media/{item.pk}/").json()
    assert detail["exhibit_number"] == "CW-0042-000002"
    client.force_login(superuser)
    changelist = client.get(reverse("admin:evidence_mediaitem_changelist"), {"q": "CW-0042-000002"})
    assert changelist.status_code == 200
    assert "CW-0042-000002" in changelist.content.decode()
    assert "CW-0042-000001" not in changelist.content.decode()


@pytest.mark.django_db(transaction=True)
def test_intakes_at_the_same_time_never_take_the_same_number(vocabularies):
    from concurrent.futures import ThreadPoolExecutor

    from tests.factories import CaseFactory, MembershipFactory, UserFactory

    case = CaseFactory(reference="CW-0042")
    person = UserFactory(username="concurrent_intake")
    MembershipFactory(case=case, user=person, role="intake")

    def intake(seed: int) -> str:
        try:
            return ingest(case, person, seed).exhibit_number
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(intake, range(30, 42)))
    assert sorted(numbers) == [f"CW-0042-{n:06d}" for n in range(1, 13)]
