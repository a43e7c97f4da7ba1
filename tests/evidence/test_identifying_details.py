"""Identifying details outside the witness identity fields: the sender's file name and the people named in a
file's metadata are encrypted at rest, shown only to the case's team on the item's own page and API detail,
and never reach logs, processing errors, custody events or lists. Server paths reach none of them."""

import io
import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from casework.witnesses.crypto import _multi_fernet
from tests.conftest import _test_database_url, running_worker, wait_for
from tests.factories import CaseFactory, MembershipFactory, UserFactory

FILE_NAME = "Amal_Canary_Khalil_Saraqib.jpg"
PEOPLE = {
    "artist": "Canary Artist Amal",
    "copyright": "Canary Copyright Holder",
    "owner_name": "Canary Owner Khalil",
    "body_serial_number": "CANARYSN0042",
    "lens_serial_number": "CANARYLENS77",
    "xmp_creator": "Canary Creator Nour",
}
CANARIES = ["Amal_Canary", *PEOPLE.values()]


def canary_photo(seed: int) -> bytes:
    return jpeg_bytes(seed=seed, make="Samsung", model="SM-J500F", **PEOPLE)


def raw_row(table: str, item_id: int, *columns: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [item_id])
        return cursor.fetchone()


def everything_stored_in_clear(item: MediaItem) -> str:
    """The item's columns and arrivals as the database holds them, its custody events and its history."""
    text = [str(raw_row("evidence_mediaitem", item.pk, "original_filename", "metadata", "identifying_metadata",
                        "processing_error"))]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT original_filename FROM evidence_mediaarrival WHERE item_id = %s", [item.pk])
        text += [str(row) for row in cursor.fetchall()]
    text += [json.dumps(event.details) for event in CustodyEvent.objects.filter(object_id=str(item.pk))]
    text += [str(vars(version)) for version in item.history.all()]
    return "\n".join(text)


@pytest.fixture
def processed(case, intake_worker, db):
    item = media_ingest_stream(
        stream=io.BytesIO(canary_photo(600)),
        case=case,
        original_filename=f"/home/someone/{FILE_NAME}",
        source="witness",
        acquired_by=intake_worker,
    ).item
    media_process(item_id=item.pk)
    return MediaItem.objects.get(pk=item.pk)


@pytest.mark.django_db
def test_file_name_and_people_in_metadata_are_encrypted_at_rest(processed):
    assert processed.processing_state == "done", processed.processing_error
    assert processed.original_filename == FILE_NAME
    identifying = processed.identifying_metadata
    assert identifying["exiftool.EXIF:Artist"] == PEOPLE["artist"]
    assert identifying["exiftool.EXIF:Copyright"] == PEOPLE["copyright"]
    assert identifying["exiftool.EXIF:OwnerName"] == PEOPLE["owner_name"]
    assert identifying["exiftool.EXIF:SerialNumber"] == PEOPLE["body_serial_number"]
    assert identifying["exiftool.EXIF:LensSerialNumber"] == PEOPLE["lens_serial_number"]
    assert identifying["exiftool.XMP:Creator"] == PEOPLE["xmp_creator"]
    assert processed.metadata["exiftool"]["EXIF:Model"] == "SM-J500F"  # the device stays in the open
    stored = everything_stored_in_clear(processed)
    for canary in CANARIES:
        assert canary not in stored, canary


@pytest.mark.django_db
def test_metadata_and_errors_carry_no_server_path(case, intake_worker, processed):
    media_root = str(Path(settings.MEDIA_ROOT).resolve())
    metadata = json.dumps(processed.metadata)
    assert media_root not in metadata and "originals/" not in metadata and processed.sha256 not in metadata
    for key in ("File:Directory", "File:FileName", "SourceFile"):
        assert key not in processed.metadata["exiftool"]
    corrupt = media_ingest_stream(
        stream=io.BytesIO(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x13" * 4000),
        case=case,
        original_filename="clip.mp4",
        source="witness",
        acquired_by=intake_worker,
    ).item
    media_process(item_id=corrupt.pk)
    corrupt.refresh_from_db()
    assert corrupt.processing_state in ("failed", "quarantined") and corrupt.processing_error
    failure = CustodyEvent.objects.get(object_id=str(corrupt.pk), action="processing_failed")
    for text in (corrupt.processing_error, json.dumps(failure.details)):
        assert media_root not in text and "originals/" not in text and corrupt.sha256 not in text


@pytest.mark.django_db
def test_team_sees_them_on_the_item_page_and_api_detail_never_in_other_lists(
    client, case, analyst, outsider, processed
):
    client.force_login(analyst)
    page = client.get(reverse("evidence:media_detail", args=[processed.pk])).content.decode()
    assert FILE_NAME in page and PEOPLE["artist"] in page and PEOPLE["body_serial_number"] in page
    listing = client.get(reverse("evidence:media_list", args=[case.reference])).content.decode()
    api = APIClient()
    api.force_authenticate(analyst)
    api_list = api.get(f"/api/cases/{case.reference}/media/").content.decode()
    custody = api.get(f"/api/cases/{case.reference}/custody/?media_item={processed.pk}").content.decode()
    for canary in CANARIES:
        assert canary not in api_list and canary not in custody, canary
    # The media list of the case's team names each file as it was sent (to recognise it), nothing more.
    assert FILE_NAME in listing
    for canary in PEOPLE.values():
        assert canary not in listing, canary
    detail = api.get(f"/api/cases/{case.reference}/media/{processed.pk}/").json()
    assert detail["original_filename"] == FILE_NAME
    assert detail["identifying_metadata"]["exiftool.XMP:Creator"] == PEOPLE["xmp_creator"]
    assert detail["arrivals"][0]["original_filename"] == FILE_NAME
    assert not any(canary in json.dumps(detail["metadata"]) for canary in CANARIES)
    api.force_authenticate(outsider)
    assert api.get(f"/api/cases/{case.reference}/media/{processed.pk}/").status_code == 404


@pytest.mark.django_db
def test_admin_pages_show_neither(client, superuser, processed):
    client.force_login(superuser)
    pages = [
        client.get(reverse("admin:evidence_mediaitem_change", args=[processed.pk])),
        client.get(reverse("admin:evidence_mediaitem_history", args=[processed.pk])),
        client.get(reverse("admin:evidence_mediaarrival_changelist")),
        client.get(reverse("admin:evidence_mediaarrival_change", args=[processed.arrivals.get().pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        for canary in CANARIES:
            assert canary not in response.content.decode(), canary


@pytest.mark.django_db
def test_key_rotation_covers_file_names_and_identifying_metadata(settings, processed):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    before = raw_row("evidence_mediaitem", processed.pk, "original_filename", "identifying_metadata")
    arrival = MediaArrival.objects.get(item=processed)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    _multi_fernet.cache_clear()
    try:
        out = io.StringIO()
        call_command("rotate_identity_keys", stdout=out)
        assert "of 1 rows of evidence.MediaItem" in out.getvalue()
        assert "of 1 rows of evidence.MediaArrival" in out.getvalue()
        after = raw_row("evidence_mediaitem", processed.pk, "original_filename", "identifying_metadata")
        (arrival_token,) = raw_row("evidence_mediaarrival", arrival.pk, "original_filename")
        assert after != before
        for token in (*after, arrival_token):
            Fernet(new_key.encode()).decrypt(token.encode())
            with pytest.raises(InvalidToken):
                Fernet(old_key.encode()).decrypt(token.encode())
        settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
        _multi_fernet.cache_clear()
        rotated = MediaItem.objects.get(pk=processed.pk)
        assert rotated.original_filename == FILE_NAME
        assert rotated.identifying_metadata["exiftool.EXIF:Artist"] == PEOPLE["artist"]
        assert MediaArrival.objects.get(pk=arrival.pk).original_filename == FILE_NAME
    finally:
        _multi_fernet.cache_clear()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_run_logs_no_file_name_nor_person_field(isolated_media_root, tmp_path):
    case = CaseFactory(reference="CW-0601")
    user = UserFactory(username="field_researcher_601")
    MembershipFactory(case=case, user=user, role="intake")
    log_path = tmp_path / "worker.log"
    with running_worker(
        log_path=log_path,
        media_root=isolated_media_root,
        database_url=_test_database_url(),
        extra_env={"LOG_LEVEL": "DEBUG"},
    ):
        with transaction.atomic():
            item = media_ingest_stream(
                stream=io.BytesIO(canary_photo(601)),
                case=case,
                original_filename=FILE_NAME,
                source="witness",
                acquired_by=user,
            ).item

        def finished():
            row = MediaItem.objects.get(pk=item.pk)
            return row if row.processing_state not in ("pending", "processing") else None

        item = wait_for(finished, timeout=90, what="the worker to process the item")
    assert item.processing_state == "done", item.processing_error
    log = log_path.read_text(errors="replace")
    assert "media_process_task[" in log and "succeeded" in log  # the run is in this log
    for canary in CANARIES:
        assert canary not in log, canary
    (name_column,) = raw_row("evidence_mediaitem", item.pk, "original_filename")
    assert "Amal" not in name_column
    assert item.identifying_metadata["exiftool.EXIF:Artist"] == PEOPLE["artist"]
    for canary in CANARIES:
        assert canary not in everything_stored_in_clear(item), canary
