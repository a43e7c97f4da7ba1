"""verify_custody catches provenance changed behind the custody log's back, deleted newest events and a
rewritten, re-chained log (against a head hash recorded earlier)."""

import hashlib
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from casework.evidence.custody import custody_chain_breaks, custody_head_hash, custody_record
from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream
from casework.witnesses.crypto import encrypt_text
from tests.evidence.tampering import raw_sql, rewrite_and_rechain
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SENDER_FILE_NAME = "Amal_Khalil_from_Saraqib.jpg"


def ingest(case, user, seed: int, name: str = SENDER_FILE_NAME, **fields) -> MediaItem:
    return media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=seed)),
        case=case,
        original_filename=name,
        source=fields.pop("source", "social_media"),
        source_url=fields.pop("source_url", "https://example.org/post/1"),
        acquired_by=user,
        **fields,
    ).item


def verify(*arguments: str) -> tuple[bool, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_custody", *arguments, stdout=out, stderr=err)
    except CommandError as failure:
        err.write(str(failure))
        return False, out.getvalue(), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def printed_head(output: str) -> str:
    return re.search(r"Head of the custody chain: ([0-9a-f]{64})", output).group(1)


def test_received_event_records_the_provenance_and_only_a_digest_of_the_file_name(case, intake_worker):
    item = ingest(case, intake_worker, seed=201)
    received = CustodyEvent.objects.get(object_id=str(item.pk), action="received")
    arrival = MediaArrival.objects.get(item=item)
    assert received.details == {
        "sha256": item.sha256,
        "size_bytes": item.size_bytes,
        "mime_type": "image/jpeg",
        "kind": "photo",
        "source": "social_media",
        "source_url": "https://example.org/post/1",
        "acquired_by_id": intake_worker.pk,
        "acquired_at": item.acquired_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "original_filename_sha256": hashlib.sha256(SENDER_FILE_NAME.encode()).hexdigest(),
        "exhibit_number": "CW-0042-000001",
        "arrival": arrival.pk,
    }
    assert "Amal" not in str(received.details)


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("source", "other", "source is 'other' but was recorded at intake as 'social_media'"),
        ("source_url", "https://example.org/a-different-post", "source_url differs from what was recorded at intake"),
        ("mime_type", "image/png", "mime_type is 'image/png'"),
        ("kind", "document", "kind is 'document'"),
        ("size_bytes", 12345, "size_bytes is 12345"),
        ("acquired_at", "2016-01-01 00:00:00", "acquired_at is"),
        ("original_filename", encrypt_text("innocent.jpg"), "original_filename_sha256 differs"),
        ("exhibit_number", "CW-0042-000099", "exhibit_number is 'CW-0042-000099' but was recorded at intake as"),
    ],
)
def test_a_provenance_column_changed_behind_the_log_is_named(case, intake_worker, column, value, named):
    item = ingest(case, intake_worker, seed=202)
    untouched = ingest(case, intake_worker, seed=203)
    assert verify()[0]
    raw_sql(f"UPDATE evidence_mediaitem SET {column} = %s WHERE id = %s", [value, item.pk])
    passed, _out, errors = verify()
    assert not passed
    assert f"PROVENANCE CHANGED: media item {item.pk} (case {case.pk}): {named}" in errors
    assert f"media item {untouched.pk} " not in errors
    assert "innocent" not in errors and "Amal" not in errors  # file names never reach the output


def test_a_changed_acquirer_and_a_changed_arrival_are_named(case, intake_worker):
    item = ingest(case, intake_worker, seed=204)
    again = ingest(case, UserFactory(username="second_intake"), seed=204, source="witness", source_url="")
    assert again.pk == item.pk
    someone = UserFactory(username="someone_else")
    raw_sql("UPDATE evidence_mediaitem SET acquired_by_id = %s WHERE id = %s", [someone.pk, item.pk])
    second_arrival = MediaArrival.objects.filter(item=item).order_by("pk").last()
    raw_sql("UPDATE evidence_mediaarrival SET source = %s WHERE id = %s", ["field_capture", second_arrival.pk])
    passed, _out, errors = verify()
    assert not passed
    assert f"acquired_by_id is {someone.pk} but was recorded at intake as {intake_worker.pk}" in errors
    assert f"arrival {second_arrival.pk} of media item {item.pk}: source is 'field_capture'" in errors


def test_an_item_received_before_provenance_was_recorded_is_noted_not_failed(case, intake_worker):
    content = jpeg_bytes(seed=205)
    digest = hashlib.sha256(content).hexdigest()
    name = default_storage.save(f"originals/{case.pk}/{digest[:2]}/{digest}", ContentFile(content))
    legacy = MediaItem.objects.create(
        case=case,
        original=name,
        sha256=digest,
        size_bytes=len(content),
        mime_type="image/jpeg",
        kind="photo",
        source="witness",
        acquired_by=intake_worker,
        acquired_at=datetime(2020, 5, 1, tzinfo=UTC),
    )
    # What intake recorded before this change, and the arrival the migration derived from the row.
    custody_record(
        action="received",
        target=legacy,
        actor=intake_worker,
        details={"sha256": digest, "size_bytes": len(content), "mime_type": "image/jpeg", "source": "witness"},
    )
    arrival = MediaArrival.objects.create(
        item=legacy, source="witness", acquired_by=intake_worker, acquired_at=legacy.acquired_at
    )
    passed, out, errors = verify()
    assert passed, errors
    assert (
        f"NOTE: media item {legacy.pk} (case {case.pk}): provenance not recorded at intake: kind, source_url, "
        "acquired_by_id, acquired_at, original_filename_sha256, exhibit_number"
    ) in out
    assert f"NOTE: arrival {arrival.pk} of media item {legacy.pk}: provenance not recorded at intake" in out
    # What was recorded is still compared.
    raw_sql("UPDATE evidence_mediaitem SET source = %s WHERE id = %s", ["other", legacy.pk])
    passed, _out, errors = verify()
    assert not passed and f"media item {legacy.pk} (case {case.pk}): source is 'other'" in errors


def test_editing_the_details_is_not_a_provenance_change(case, intake_worker):
    from casework.evidence.services import media_update

    item = ingest(case, intake_worker, seed=206)
    media_update(item=item, actor=intake_worker, description="The market, seen from the north.")
    passed, out, errors = verify()
    assert passed, errors
    assert "originals match their hashes and their provenance" in out


def test_each_run_prints_the_head_and_an_expected_head_must_still_be_in_the_chain(case, intake_worker):
    ingest(case, intake_worker, seed=207)
    passed, out, _errors = verify()
    head = printed_head(out)
    assert passed and head == custody_head_hash()
    passed, out, _errors = verify("--expect-head", head)
    assert passed and f"The expected head {head} is in the chain; 0 event(s) follow it." in out
    ingest(case, intake_worker, seed=208)  # one more event: its `received`
    passed, out, _errors = verify("--expect-head", head)
    assert passed and f"The expected head {head} is in the chain; 1 event(s) follow it." in out
    assert printed_head(out) == custody_head_hash() != head


def test_deleted_newest_events_fail_against_the_head_recorded_before(case, intake_worker):
    item = ingest(case, intake_worker, seed=209)
    _passed, out, _errors = verify()
    recorded_head = printed_head(out)  # e.g. written into a packet's manifest
    newest = CustodyEvent.objects.order_by("-sequence").first()
    raw_sql("DELETE FROM evidence_custodyevent WHERE id = %s", [newest.pk])
    assert custody_chain_breaks() == []  # nothing else shows it
    passed, out, errors = verify("--expect-head", recorded_head)
    assert not passed
    assert f"HEAD MISSING: the expected head {recorded_head} is not in the chain" in errors
    assert f"Head of the custody chain: {custody_head_hash()}" in out
    assert MediaItem.objects.filter(pk=item.pk).exists()


def test_a_rewritten_and_rechained_log_fails_against_the_head_recorded_before(case, intake_worker):
    item = ingest(case, intake_worker, seed=210)
    ingest(case, intake_worker, seed=211)
    _passed, out, _errors = verify()
    recorded_head = printed_head(out)
    # The attacker changes the source (of the item and of its arrival), and rewrites the received event to
    # match, re-hashing every later event.
    raw_sql("UPDATE evidence_mediaitem SET source = %s WHERE id = %s", ["field_capture", item.pk])
    raw_sql("UPDATE evidence_mediaarrival SET source = %s WHERE item_id = %s", ["field_capture", item.pk])
    received = CustodyEvent.objects.get(object_id=str(item.pk), action="received")
    rewrite_and_rechain(received, details={**received.details, "source": "field_capture"})
    assert custody_chain_breaks() == []
    passed, _out, errors = verify()
    assert passed, errors  # consistent in itself: only the head recorded earlier can tell
    passed, _out, errors = verify("--expect-head", recorded_head)
    assert not passed
    assert "not in the chain: newer events were deleted, or the log was rewritten" in errors


def test_expect_head_takes_only_a_hash(case, intake_worker):
    ingest(case, intake_worker, seed=212)
    with pytest.raises(CommandError, match="64 hexadecimal characters"):
        call_command("verify_custody", "--expect-head", "not-a-hash", stdout=io.StringIO())
