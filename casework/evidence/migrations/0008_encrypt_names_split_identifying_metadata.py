"""Existing rows under the new rules: file names encrypted, people's details moved out of `metadata` into the
encrypted field, no server paths kept, capture times without a zone flagged, and each item's arrivals recorded
(the first intake from the item's columns, later copies from their custody events)."""

import os

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import migrations

from casework.evidence.processing.privacy import scrub_paths, split_identifying
from casework.witnesses.crypto import encrypt_text, identity_cipher


def _is_token(value: str) -> bool:
    try:
        identity_cipher().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        return False
    return True


def encrypt_file_names(apps, schema_editor):
    connection = schema_editor.connection
    table = connection.ops.quote_name("evidence_mediaitem")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, original_filename FROM {table} WHERE original_filename <> ''")
        rows = cursor.fetchall()
        for item_id, name in rows:
            if name and not _is_token(name):  # safe to run again
                cursor.execute(f"UPDATE {table} SET original_filename = %s WHERE id = %s", [encrypt_text(name), item_id])


def decrypt_file_names(apps, schema_editor):
    connection = schema_editor.connection
    table = connection.ops.quote_name("evidence_mediaitem")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, original_filename FROM {table} WHERE original_filename <> ''")
        for item_id, token in cursor.fetchall():
            if _is_token(token):
                name = identity_cipher().decrypt(token.encode("ascii")).decode("utf-8")[:300]
                cursor.execute(f"UPDATE {table} SET original_filename = %s WHERE id = %s", [name, item_id])


def clean_metadata(apps, schema_editor):
    MediaItem = apps.get_model("evidence", "MediaItem")
    media_root = os.path.abspath(settings.MEDIA_ROOT)
    for item in MediaItem.objects.order_by("pk").iterator(chunk_size=200):
        metadata, identifying = split_identifying(scrub_paths(item.metadata or {}, (media_root,)))
        zone = str(((item.metadata or {}).get("casework") or {}).get("capture_time_zone", ""))
        item.metadata = metadata
        item.identifying_metadata = {**(item.identifying_metadata or {}), **identifying}
        item.processing_error = scrub_paths(item.processing_error, (media_root,), any_absolute=True)
        item.capture_time_zone_known = not (item.capture_time is not None and zone.startswith("assumed UTC"))
        item.save(
            update_fields=["metadata", "identifying_metadata", "processing_error", "capture_time_zone_known"]
        )


def record_arrivals(apps, schema_editor):
    MediaItem = apps.get_model("evidence", "MediaItem")
    MediaArrival = apps.get_model("evidence", "MediaArrival")
    CustodyEvent = apps.get_model("evidence", "CustodyEvent")
    for item in MediaItem.objects.order_by("pk").iterator(chunk_size=200):
        if MediaArrival.objects.filter(item=item).exists():
            continue
        MediaArrival.objects.create(
            item=item,
            source=item.source,
            source_url=item.source_url,
            original_filename=item.original_filename,
            acquired_by_id=item.acquired_by_id,
            acquired_at=item.acquired_at,
            witness_id=item.witness_id,
        )
        duplicates = CustodyEvent.objects.filter(
            object_type="evidence.mediaitem", object_id=str(item.pk), action="duplicate_received"
        ).order_by("sequence")
        for event in duplicates:
            if event.actor_id is None:
                continue
            MediaArrival.objects.create(
                item=item,
                source=(event.details or {}).get("source") or item.source,
                acquired_by_id=event.actor_id,
                acquired_at=event.occurred_at,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0007_arrivals_encrypted_names_capture_zone"),
    ]

    operations = [
        migrations.RunPython(encrypt_file_names, decrypt_file_names),
        migrations.RunPython(clean_metadata, migrations.RunPython.noop),
        migrations.RunPython(record_arrivals, migrations.RunPython.noop),
    ]
