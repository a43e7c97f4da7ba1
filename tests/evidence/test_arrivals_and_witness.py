"""Every arrival of a file is kept (a second source's URL is not lost), files are tied to the witness who sent
them, and the ingest command checks the upload permission like every other door."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem
from casework.evidence.samples import jpeg_bytes
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db

PHOTO = jpeg_bytes(seed=400)


def upload(client, case, content: bytes, name: str, **fields):
    data = {"source": "social_media", "files": [SimpleUploadedFile(name, content)], **fields}
    return client.post(reverse("evidence:media_list", args=[case.reference]), data, follow=True)


def test_a_copy_from_a_second_source_keeps_its_url_sender_and_name(client, case, intake_worker, case_admin, analyst):
    witness = WitnessFactory(case=case, pseudonym="W-401")
    client.force_login(intake_worker)
    upload(client, case, PHOTO, "first.jpg", source_url="https://example.org/first-post")
    api = APIClient()
    api.force_authenticate(case_admin)
    response = api.post(
        f"/api/cases/{case.reference}/media/",
        {
            "file": SimpleUploadedFile("from_the_witness.jpg", PHOTO),
            "source": "witness",
            "source_url": "https://example.org/second-post",
            "witness": "W-401",
        },
        format="multipart",
    )
    assert response.status_code == 200 and response.json()["created"] is False
    item = MediaItem.objects.get()
    assert (item.source, item.source_url, item.witness) == ("social_media", "https://example.org/first-post", None)
    first, second = MediaArrival.objects.filter(item=item).order_by("pk")
    assert (first.source, first.source_url, first.original_filename, first.acquired_by, first.witness) == (
        "social_media",
        "https://example.org/first-post",
        "first.jpg",
        intake_worker,
        None,
    )
    assert (second.source, second.source_url, second.original_filename, second.acquired_by, second.witness) == (
        "witness",
        "https://example.org/second-post",
        "from_the_witness.jpg",
        case_admin,
        witness,
    )
    duplicate = CustodyEvent.objects.get(object_id=str(item.pk), action="duplicate_received")
    assert duplicate.details["arrival"] == second.pk
    assert duplicate.details["source_url"] == "https://example.org/second-post"
    assert "from_the_witness" not in str(duplicate.details)

    client.force_login(analyst)
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    for shown in ("https://example.org/first-post", "https://example.org/second-post", "W-401", "from_the_witness.jpg"):
        assert shown in page
    api.force_authenticate(analyst)
    arrivals = api.get(f"/api/cases/{case.reference}/media/{item.pk}/").json()["arrivals"]
    assert [(row["source_url"], row["witness"], row["acquired_by"]) for row in arrivals] == [
        ("https://example.org/first-post", None, "intake_worker"),
        ("https://example.org/second-post", "W-401", "case_admin"),
    ]


def test_upload_form_ties_the_files_to_a_witness_of_the_case(client, case, intake_worker):
    witness = WitnessFactory(case=case, pseudonym="W-402", real_name="Real Name 402")
    client.force_login(intake_worker)
    # The form's witness picker searches the case's witnesses by pseudonym, never by name.
    found = client.get(reverse("web:pick_witnesses", args=[case.reference]), {"q": "402"}).content.decode()
    assert "W-402" in found and "Real Name 402" not in found
    upload(client, case, PHOTO, "a.jpg", source="witness", witness=witness.pk)
    item = MediaItem.objects.get()
    assert item.witness == witness and MediaArrival.objects.get(item=item).witness == witness
    assert "W-402" in client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()


def test_upload_refuses_a_witness_of_another_case_and_stores_nothing(client, case, other_case, intake_worker):
    foreign = WitnessFactory(case=other_case, pseudonym="W-999")
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "witness", "files": [SimpleUploadedFile("a.jpg", PHOTO)], "witness": foreign.pseudonym},
    )
    assert response.status_code == 400 and "not one of this case’s witnesses" in response.content.decode()
    api = APIClient()
    api.force_authenticate(intake_worker)
    response = api.post(
        f"/api/cases/{case.reference}/media/",
        {"file": SimpleUploadedFile("a.jpg", PHOTO), "source": "witness", "witness": "W-999"},
        format="multipart",
    )
    assert response.status_code == 400 and "witness" in response.json()
    assert not MediaItem.objects.exists() and not MediaArrival.objects.exists() and not CustodyEvent.objects.exists()


def test_api_upload_takes_the_witness_by_pseudonym(case, intake_worker):
    witness = WitnessFactory(case=case, pseudonym="W-403")
    api = APIClient()
    api.force_authenticate(intake_worker)
    response = api.post(
        f"/api/cases/{case.reference}/media/",
        {"file": SimpleUploadedFile("a.jpg", PHOTO), "source": "witness", "witness": "W-403"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["item"]["witness"] == "W-403"
    assert MediaItem.objects.get().witness == witness


def ingest(tmp_path, user, case, **options):
    (tmp_path / "one.jpg").write_bytes(PHOTO)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "ingest", str(tmp_path), case=case.reference, source="witness", user=user.username, stdout=out, stderr=err,
        **options,
    )  # fmt: skip
    return out.getvalue()


@pytest.mark.parametrize("role", ["analyst", "reviewer"])
def test_ingest_command_needs_the_upload_permission_not_just_membership(tmp_path, case, role, request):
    person = request.getfixturevalue(role)
    with pytest.raises(CommandError, match=f"{role} may not add media to case CW-0042"):
        ingest(tmp_path, person, case)
    assert not MediaItem.objects.exists() and not CustodyEvent.objects.exists()


def test_ingest_command_ties_files_to_a_witness(tmp_path, case, intake_worker):
    witness = WitnessFactory(case=case, pseudonym="W-404")
    assert "1 stored" in ingest(tmp_path, intake_worker, case, witness="W-404")
    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert item.witness == witness and MediaArrival.objects.get(item=item).witness == witness


def test_ingest_command_refuses_an_unknown_witness_and_stores_nothing(tmp_path, case, other_case, intake_worker):
    WitnessFactory(case=other_case, pseudonym="W-405")
    with pytest.raises(CommandError, match="No witness 'W-405' in case CW-0042"):
        ingest(tmp_path, intake_worker, case, witness="W-405")
    assert not MediaItem.objects.exists()


def test_arrival_rows_are_append_only(case, intake_worker):
    from django.db import IntegrityError, transaction

    from casework.evidence.services import media_ingest_stream

    item = media_ingest_stream(
        stream=io.BytesIO(PHOTO), case=case, original_filename="a.jpg", source="witness", acquired_by=intake_worker
    ).item
    arrival = MediaArrival.objects.get(item=item)
    with pytest.raises(PermissionError):
        arrival.save()
    with pytest.raises(PermissionError):
        MediaArrival.objects.filter(pk=arrival.pk).update(source="other")
    with pytest.raises(PermissionError):
        arrival.delete()
    with pytest.raises(IntegrityError, match="media_arrival_source_valid"), transaction.atomic():
        MediaArrival.objects.create(item=item, source="bogus", acquired_by=intake_worker, acquired_at=item.acquired_at)
