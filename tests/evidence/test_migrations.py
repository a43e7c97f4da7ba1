"""Rows stored before the identifying details were protected are brought under the rules by the migration."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casework.evidence.models import MediaArrival, MediaItem

BEFORE = [("evidence", "0006_media_witness_and_withdrawal")]


def migrate(targets=None) -> None:
    """To `targets`, or (None) to the latest migration of every app, as the rest of the suite expects."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_encrypted_names_cleaned_metadata_zone_flags_and_arrivals(settings, vocabularies):
    from django.contrib.auth import get_user_model

    from casework.cases.models import Case

    user = get_user_model().objects.create(username="legacy_intake")
    case = Case.objects.create(reference="CW-0700", title="Legacy")
    migrate(BEFORE)
    try:
        metadata = {
            "casework": {"capture_time_zone": "assumed UTC: the file gives no time zone"},
            "exiftool": {
                "EXIF:Artist": "Legacy Canary Artist",
                "EXIF:Model": "SM-J500F",
                "File:Directory": f"{settings.MEDIA_ROOT}/originals/1/ab",
                "File:FileName": "ab" * 32,
            },
        }
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO evidence_mediaitem (case_id, original, sha256, size_bytes, mime_type, kind, "
                "original_filename, source, source_url, acquired_at, acquired_by_id, description, is_graphic, "
                "processing_state, processing_error, processing_attempts, metadata, capture_time, device_make, "
                "device_model, container, video_codec, audio_codec, thumbnail, keyframes, perceptual_hashes, "
                "verification_status, verification_notes, created_at, withdrawal_reason) VALUES "
                "(%s, 'originals/x', %s, 10, 'image/jpeg', 'photo', 'Legacy_Canary_Name.jpg', 'social_media', "
                "'https://example.org/legacy', %s, %s, '', %s, 'done', '', 1, %s, %s, '', '', '', '', '', '', "
                "'[]', '[]', 'unverified', '', %s, '')",
                [
                    case.pk,
                    "ab" * 32,
                    datetime(2021, 3, 4, tzinfo=UTC),
                    user.pk,
                    False,
                    json.dumps(metadata),
                    datetime(2021, 3, 1, 9, 30, tzinfo=UTC),
                    datetime(2021, 3, 4, tzinfo=UTC),
                ],
            )
    finally:
        migrate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, original_filename, metadata, identifying_metadata FROM evidence_mediaitem WHERE sha256 = %s",
            ["ab" * 32],
        )
        item_id, name_column, metadata_column, identifying_column = cursor.fetchone()
    assert "Legacy_Canary" not in name_column and "Legacy Canary" not in identifying_column
    assert "Legacy Canary" not in metadata_column and str(settings.MEDIA_ROOT) not in metadata_column
    item = MediaItem.objects.get(pk=item_id)
    assert item.original_filename == "Legacy_Canary_Name.jpg"
    assert item.identifying_metadata == {"exiftool.EXIF:Artist": "Legacy Canary Artist"}
    assert item.metadata["exiftool"] == {"EXIF:Model": "SM-J500F"}
    assert item.capture_time_zone_known is False
    arrival = MediaArrival.objects.get(item=item)
    assert (arrival.source_url, arrival.original_filename, arrival.acquired_by) == (
        "https://example.org/legacy",
        "Legacy_Canary_Name.jpg",
        user,
    )


@pytest.mark.django_db(transaction=True)
def test_items_stored_before_exhibit_numbers_are_numbered_in_acquisition_order_per_case(vocabularies):
    from django.contrib.auth import get_user_model

    from casework.cases.models import Case

    user = get_user_model().objects.create(username="legacy_numbers")
    first_case = Case.objects.create(reference="CW-0701", title="Legacy one")
    second_case = Case.objects.create(reference="CW-0702", title="Legacy two")
    migrate([("evidence", "0009_plain_constraint_messages")])
    try:
        # Inserted out of acquisition order: the later acquisition has the smaller id.
        rows = [(first_case, "aa", 2021, 5), (first_case, "bb", 2021, 3), (second_case, "cc", 2022, 1),
                (first_case, "dd", 2021, 4)]  # fmt: skip
        with connection.cursor() as cursor:
            for case, digest, year, month in rows:
                cursor.execute(
                    "INSERT INTO evidence_mediaitem (case_id, original, sha256, size_bytes, mime_type, kind, "
                    "original_filename, source, source_url, acquired_at, acquired_by_id, description, is_graphic, "
                    "processing_state, processing_error, processing_attempts, metadata, identifying_metadata, "
                    "capture_time_zone_known, device_make, device_model, container, video_codec, audio_codec, "
                    "thumbnail, keyframes, perceptual_hashes, verification_status, verification_notes, created_at, "
                    "withdrawal_reason) VALUES (%s, 'originals/x', %s, 10, 'image/jpeg', 'photo', '', 'witness', '', "
                    "%s, %s, '', %s, 'done', '', 1, '{}', '', %s, '', '', '', '', '', '', '[]', '[]', 'unverified', "
                    "'', %s, '')",
                    [case.pk, digest * 32, datetime(year, month, 1, tzinfo=UTC), user.pk, False, True,
                     datetime(year, month, 1, tzinfo=UTC)],
                )  # fmt: skip
    finally:
        migrate()
    numbers = dict(MediaItem.objects.values_list("sha256", "exhibit_number"))
    assert numbers == {
        "bb" * 32: "CW-0701-000001",
        "dd" * 32: "CW-0701-000002",
        "aa" * 32: "CW-0701-000003",
        "cc" * 32: "CW-0702-000001",
    }
    # Intake goes on from the highest number of the case.
    later = MediaItem.objects.create(
        case=first_case,
        original="originals/y",
        sha256="ee" * 32,
        size_bytes=10,
        mime_type="image/jpeg",
        kind="photo",
        source="witness",
        acquired_at=datetime(2023, 1, 1, tzinfo=UTC),
        acquired_by=user,
    )
    assert later.exhibit_number == "CW-0701-000004"
