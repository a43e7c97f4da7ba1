"""Intake: originals stored unchanged with the hash computed while receiving; bad input stores nothing."""

import hashlib
import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.samples import jpeg_bytes
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def stored_originals() -> list[Path]:
    root = Path(default_storage.location) / "originals"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def incoming_files() -> list[Path]:
    from casework.evidence.uploads import incoming_dir

    return [path for path in incoming_dir().iterdir() if path.is_file()]


def upload(client, case, *files, **fields):
    data = {"source": "activist_message", "files": list(files), **fields}
    return client.post(reverse("evidence:media_list", args=[case.reference]), data, follow=True)


@pytest.fixture
def photo_bytes():
    return jpeg_bytes(seed=21, capture_time=datetime(2017, 9, 19, 10, 41), latitude=35.93, longitude=36.63)


def test_uploaded_photo_is_stored_unchanged_with_its_sha256(client, intake_worker, case, photo_bytes):
    incident = IncidentFactory(case=case)
    client.force_login(intake_worker)
    response = upload(client, case, SimpleUploadedFile("IMG_0001.jpg", photo_bytes), incidents=[incident.pk])
    assert response.status_code == 200
    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(photo_bytes).hexdigest()
    assert item.size_bytes == len(photo_bytes)
    assert (item.mime_type, item.kind, item.original_filename) == ("image/jpeg", "photo", "IMG_0001.jpg")
    with default_storage.open(item.original.name, "rb") as stored:
        assert stored.read() == photo_bytes
    assert list(item.incidents.all()) == [incident]
    assert "IMG_0001.jpg" not in item.original.name  # stored by hash, never by the sender's name
    actions = list(CustodyEvent.objects.filter(object_id=str(item.pk)).values_list("action", flat=True))
    assert actions[:2] == ["received", "linked"]
    assert item.sha256 in response.content.decode()
    assert incoming_files() == []


def test_several_files_in_one_upload(client, intake_worker, case):
    client.force_login(intake_worker)
    files = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(seed=n)) for n in range(3)]
    upload(client, case, *files)
    assert MediaItem.objects.filter(case=case).count() == 3


def test_duplicate_upload_links_existing_item_and_says_so(client, intake_worker, case, photo_bytes):
    first_incident, second_incident = IncidentFactory(case=case), IncidentFactory(case=case)
    client.force_login(intake_worker)
    upload(client, case, SimpleUploadedFile("a.jpg", photo_bytes), incidents=[first_incident.pk])
    response = upload(client, case, SimpleUploadedFile("renamed.jpg", photo_bytes), incidents=[second_incident.pk])
    assert MediaItem.objects.count() == 1
    assert len(stored_originals()) == 1
    item = MediaItem.objects.get()
    assert set(item.incidents.all()) == {first_incident, second_incident}
    assert "already in the case" in response.content.decode()
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="duplicate_received").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "expected_error"),
    [
        ("empty.jpg", b"", "The submitted file is empty."),
        (
            "page.jpg",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            "are not accepted",
        ),
        (
            "vector.jpg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "are not accepted",
        ),
        ("archive.jpg", b"PK\x03\x04" + b"\x00" * 200, "are not accepted"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(client, intake_worker, case, name, content, expected_error):
    client.force_login(intake_worker)
    events_before = CustodyEvent.objects.count()
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "witness", "files": [SimpleUploadedFile(name, content)], "description": "typed by hand"},
    )
    assert response.status_code == 400
    assert expected_error in response.content.decode()
    assert "typed by hand" in response.content.decode()  # the form keeps what was typed
    assert MediaItem.objects.count() == 0
    assert stored_originals() == []
    assert incoming_files() == []
    assert CustodyEvent.objects.count() == events_before


def test_file_over_the_size_limit_is_refused_and_not_stored(client, intake_worker, case, settings, photo_bytes):
    settings.CASEWORK_MAX_UPLOAD_BYTES = len(photo_bytes) - 1
    client.force_login(intake_worker)
    from casework.evidence.uploads import IntakeRejected, receive_stream

    with pytest.raises(IntakeRejected, match="larger than the limit"):
        receive_stream(io.BytesIO(photo_bytes))
    assert MediaItem.objects.count() == 0
    assert incoming_files() == []


def test_social_media_source_needs_its_url_and_keeps_the_typed_fields(client, intake_worker, case, photo_bytes):
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {
            "source": "social_media",
            "description": "posted by a local activist",
            "files": [SimpleUploadedFile("x.jpg", photo_bytes)],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the address of the post" in body and "posted by a local activist" in body
    assert MediaItem.objects.count() == 0


def test_reviewer_cannot_upload_and_outsider_cannot_see_the_case(client, reviewer, outsider, case, photo_bytes):
    client.force_login(reviewer)
    assert upload(client, case, SimpleUploadedFile("a.jpg", photo_bytes)).status_code == 403
    client.force_login(outsider)
    assert upload(client, case, SimpleUploadedFile("a.jpg", photo_bytes)).status_code == 404
    assert MediaItem.objects.count() == 0


def test_ingest_command_takes_a_folder(tmp_path, intake_worker, case, photo_bytes):
    incident = IncidentFactory(case=case, reference="INC-9")
    (tmp_path / "one.jpg").write_bytes(photo_bytes)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "two.jpg").write_bytes(jpeg_bytes(seed=77))
    out = io.StringIO()
    call_command(
        "ingest",
        str(tmp_path),
        case=case.reference,
        incident=["INC-9"],
        source="activist_message",
        user=intake_worker.username,
        stdout=out,
    )
    assert "2 stored, 0 already present, 0 rejected." in out.getvalue()
    for item in MediaItem.objects.all():
        assert list(item.incidents.all()) == [incident]
        with default_storage.open(item.original.name, "rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == item.sha256


def test_ingest_command_reports_rejected_files_and_fails(tmp_path, intake_worker, case):
    (tmp_path / "notes.jpg").write_text("<html>not a photo</html>")
    with pytest.raises(CommandError, match="1 file"):
        call_command(
            "ingest",
            str(tmp_path),
            case=case.reference,
            source="witness",
            user=intake_worker.username,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert MediaItem.objects.count() == 0


def test_ingest_command_refuses_an_unknown_case(tmp_path, intake_worker):
    with pytest.raises(CommandError, match="No case"):
        call_command("ingest", str(tmp_path), case="CW-9999", source="witness", user=intake_worker.username)


def test_original_download_is_a_sandboxed_attachment_and_recorded(client, intake_worker, analyst, case, photo_bytes):
    client.force_login(intake_worker)
    upload(client, case, SimpleUploadedFile("a.jpg", photo_bytes))
    item = MediaItem.objects.get()
    client.force_login(analyst)
    response = client.get(reverse("evidence:media_original", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == photo_bytes
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="downloaded", actor=analyst).count() == 1


def test_outsider_cannot_download_or_view_an_item(client, intake_worker, outsider, case, photo_bytes):
    client.force_login(intake_worker)
    upload(client, case, SimpleUploadedFile("a.jpg", photo_bytes))
    item = MediaItem.objects.get()
    client.force_login(outsider)
    for name in ("media_detail", "media_original", "media_state", "media_thumbnail"):
        assert client.get(reverse(f"evidence:{name}", args=[item.pk])).status_code == 404
    assert not CustodyEvent.objects.filter(action="downloaded").exists()


def test_jpeg_with_a_zip_appended_is_received_but_then_quarantined_by_processing(case, intake_worker, photo_bytes):
    # Sniffing sees a JPEG; only decoding finds the trailing archive, so the worker quarantines it.
    from casework.evidence.services import media_ingest_stream, media_process

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("payload.txt", "hidden")
    result = media_ingest_stream(
        stream=io.BytesIO(photo_bytes + archive.getvalue()),
        case=case,
        original_filename="x.jpg",
        source="witness",
        acquired_by=intake_worker,
    )
    media_process(item_id=result.item.pk)
    result.item.refresh_from_db()
    assert result.item.processing_state == "quarantined"
    assert result.item.processing_error
