"""Writes for evidence: intake, editing and withdrawing, processing, and recording what happens to an item
(each with its custody event)."""

import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.bulk import BulkOutcome, bulk_apply
from casework.cases import access
from casework.cases.models import Case
from casework.cases.services import case_lock
from casework.errors import Refused
from casework.evidence.custody import arrival_provenance, custody_lock_chain, custody_record, media_provenance
from casework.evidence.models import (
    HASH_BAND_BITS,
    HASH_BANDS,
    CustodyAction,
    DuplicateStatus,
    MediaArrival,
    MediaItem,
    MediaPerceptualHash,
    MediaSource,
    NearDuplicate,
    ProcessingState,
    TextExtraction,
    VerificationStatus,
    hash_bands,
    original_upload_path,
)
from casework.evidence.processing import (
    ProbeFailed,
    ProbeResult,
    TextResult,
    UnsupportedMedia,
    classify,
    extract_text,
    phash_distance,
    probe_media,
)
from casework.evidence.processing.privacy import scrub_paths, split_identifying
from casework.evidence.resumable import PartialUpload
from casework.evidence.selectors import custody_history
from casework.evidence.uploads import (
    IntakeRejected,
    ReceivedFile,
    place_original,
    receive_path,
    receive_stream,
    receive_upload,
)
from casework.incidents.models import Incident
from casework.notifications.services import notify_processing_failed
from casework.queueing import enqueue_after_commit
from casework.search.models import RecordKind
from casework.search.services import search_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    item: MediaItem
    created: bool

    @property
    def message(self) -> str:
        if self.created:
            return _("Received and stored; SHA-256 %(sha256)s.") % {"sha256": self.item.sha256}
        return _("This exact file is already in the case (SHA-256 %(sha256)s): linked to the existing item.") % {
            "sha256": self.item.sha256
        }


def media_ingest(
    *,
    case: Case,
    received: ReceivedFile,
    original_filename: str,
    source: MediaSource | str,
    acquired_by,
    acquired_at: datetime | None = None,
    incidents: Iterable[Incident] = (),
    testimony=None,
    witness=None,
    source_url: str = "",
    description: str = "",
) -> IngestResult:
    """Store a received file as a MediaItem of `case`, or link the existing item with the same bytes.

    Every arrival is recorded (MediaArrival: source, URL, sender, file name), the first one and each later copy
    from another source. Raises IntakeRejected (nothing stored) for empty files, types outside the allow-list
    and incidents or a witness of another case. The temporary file is consumed either way. Metadata
    extraction is enqueued after the commit.
    """
    try:
        if received.size_bytes == 0:
            raise IntakeRejected(_("The file is empty."))
        try:
            mime_type, kind = classify(received.head)
        except UnsupportedMedia as error:
            raise IntakeRejected(str(error)) from error
        incidents = list(incidents)
        for incident in incidents:
            if incident.case_id != case.pk:
                raise IntakeRejected(
                    _("Incident %(ref)s belongs to another case.") % {"ref": incident.reference}, field="incidents"
                )
        if witness is not None and witness.case_id != case.pk:
            raise IntakeRejected(_("The witness belongs to another case."), field="witness")
        arrival = {
            "source": str(source),
            "source_url": source_url,
            "original_filename": Path(original_filename).name[:300],
            "acquired_by": acquired_by,
            "acquired_at": acquired_at or timezone.now(),
            "witness": witness,
        }
        try:
            return _store_or_link(
                case=case,
                received=received,
                mime_type=mime_type,
                kind=kind,
                arrival=arrival,
                incidents=incidents,
                testimony=testimony,
                description=description,
            )
        except IntegrityError:
            # Another request stored the same bytes between our check and insert: link to theirs.
            existing = MediaItem.objects.get(case=case, sha256=received.sha256)
            with transaction.atomic():
                _record_duplicate(existing, arrival=arrival, incidents=incidents)
            return IngestResult(existing, created=False)
    finally:
        received.discard()


def _store_or_link(*, case, received, mime_type, kind, arrival, incidents, **fields) -> IngestResult:
    placed: list[str] = []
    try:
        return _store_or_link_once(
            case=case,
            received=received,
            mime_type=mime_type,
            kind=kind,
            arrival=arrival,
            incidents=incidents,
            placed=placed,
            **fields,
        )
    except BaseException:
        # The row was not written (a database failure, a duplicate committed meanwhile): an original this call
        # put in place must not stay behind without a record.
        for storage_name in placed:
            _remove_unowned_original(case=case, sha256=received.sha256, storage_name=storage_name)
        raise


def _remove_unowned_original(*, case, sha256: str, storage_name: str) -> None:
    """Delete a stored original that no item owns, deciding under the case's lock (which an intake takes to
    number its exhibit, and before trusting the file is still there). If the database cannot be asked, the
    file stays: manage.py verify_custody reports it."""
    try:
        with transaction.atomic():
            case_lock(case.pk)
            if not MediaItem.objects.filter(case=case, sha256=sha256).exists():
                default_storage.delete(storage_name)
    except DatabaseError:
        logger.warning("Left %s in place: the database could not say whether an item owns it", storage_name)


def _store_or_link_once(*, case, received, mime_type, kind, arrival, incidents, placed, **fields) -> IngestResult:
    with transaction.atomic():
        existing = MediaItem.objects.select_for_update().filter(case=case, sha256=received.sha256).first()
        if existing is not None:
            _record_duplicate(existing, arrival=arrival, incidents=incidents)
            return IngestResult(existing, created=False)

        item = MediaItem(
            case=case,
            sha256=received.sha256,
            size_bytes=received.size_bytes,
            mime_type=mime_type,
            kind=kind,
            **arrival,
            **fields,
        )
        storage_name = original_upload_path(item, "")
        if place_original(received, storage_name):
            placed.append(storage_name)
        item.original.name = storage_name
        item.save()
        # item.save() took the case's lock: a failed intake of the same bytes that removed the file meanwhile
        # (under that lock, seeing no item) is done with it now; put it back.
        if not default_storage.exists(storage_name) and place_original(received, storage_name):
            placed.append(storage_name)
        first_arrival = MediaArrival.objects.create(item=item, **arrival)
        # The provenance, so that manage.py verify_custody can tell if a column is changed later.
        custody_record(
            action=CustodyAction.RECEIVED,
            target=item,
            actor=item.acquired_by,
            details={**media_provenance(item), "arrival": first_arrival.pk},
        )
        _link_incidents(item, incidents, actor=item.acquired_by)
        search_index(kind=RecordKind.MEDIA, ids=[item.pk])
        media_schedule_processing(item_id=item.pk)
    return IngestResult(item, created=True)


def _record_duplicate(existing: MediaItem, *, arrival: dict, incidents) -> MediaArrival:
    """The same bytes again, maybe from another source: its arrival is kept, and named by the custody event."""
    recorded = MediaArrival.objects.create(item=existing, **arrival)
    custody_record(
        action=CustodyAction.DUPLICATE_RECEIVED,
        target=existing,
        actor=recorded.acquired_by,
        details={**arrival_provenance(recorded), "arrival": recorded.pk},
    )
    _link_incidents(existing, incidents, actor=recorded.acquired_by)
    return recorded


def _link_incidents(item: MediaItem, incidents: Iterable[Incident], *, actor) -> None:
    already = set(item.incidents.values_list("pk", flat=True))
    for incident in incidents:
        if incident.pk in already:
            continue
        item.incidents.add(incident)
        custody_record(action=CustodyAction.LINKED, target=item, actor=actor, details={"incident": incident.reference})


def media_ingest_stream(*, stream: BinaryIO, **kwargs) -> IngestResult:
    return media_ingest(received=receive_stream(stream), **kwargs)


def media_ingest_upload(*, uploaded, **kwargs) -> IngestResult:
    return media_ingest(received=receive_upload(uploaded), original_filename=uploaded.name, **kwargs)


def media_ingest_path(*, path: Path, **kwargs) -> IngestResult:
    return media_ingest(received=receive_path(path), original_filename=path.name, **kwargs)


def media_ingest_resumable(*, upload: PartialUpload, actor) -> IngestResult:
    """Complete a resumable upload: the whole file goes through media_ingest, as every other arrival does.

    Only the person who created the upload may complete it, and only while they may still upload to its case
    (checked again here: a role can change while the bytes arrive). Call while holding `upload.locked()`.
    A refusal (IntakeRejected) removes the upload; the result is kept in its state for the client to read.
    """
    from casework.witnesses.models import Witness

    case = Case.objects.get(pk=upload.case_id)
    if actor.pk != upload.user_id or not actor.has_perm(access.UPLOAD_MEDIA, case):
        raise PermissionDenied
    details = upload.details
    try:
        witness = None
        if details.get("witness"):
            witness = Witness.objects.filter(case=case, pseudonym=details["witness"]).first()
            if witness is None:
                raise IntakeRejected(_("The witness belongs to another case."), field="witness")
        references = details.get("incidents") or []
        incidents = list(Incident.objects.filter(case=case, reference__in=references))
        if len(incidents) != len(set(references)):
            raise IntakeRejected(_("An incident of this upload is no longer in the case."), field="incidents")
        result = media_ingest(
            received=upload.received(),
            case=case,
            original_filename=upload.original_filename,
            source=details["source"],
            source_url=details.get("source_url", ""),
            description=details.get("description", ""),
            incidents=incidents,
            witness=witness,
            acquired_by=actor,
        )
    except IntakeRejected:
        upload.remove()
        raise
    upload.record_result(item_id=result.item.pk, created=result.created)
    return result


def media_schedule_processing(*, item_id: int) -> None:
    from casework.evidence.tasks import media_process_task

    enqueue_after_commit(media_process_task, item_id)


# Processing: metadata extraction, derived files and near-duplicates, run by a worker.

MAX_PROCESSING_ATTEMPTS = 3
NEAR_DUPLICATE_MAX_DISTANCE = 10


class ProcessingLeaseHeld(Exception):
    """Another worker holds the item's lease (it renews it while working); try again in `retry_in` seconds."""

    def __init__(self, retry_in: float):
        super().__init__(f"lease held for another {retry_in:.0f} s")
        self.retry_in = retry_in


def processing_lease() -> timedelta:
    """How long a claim lasts without renewal. The worker renews it every quarter of this while it works
    (processing_started_at is moved on), so a claim not renewed this long belongs to a worker that died or
    lost the database, and its redelivered task takes the item over at once."""
    return timedelta(seconds=settings.CASEWORK_MEDIA_LEASE_SECONDS)


def media_claim_for_processing(*, item_id: int) -> MediaItem | None:
    """Claim an item with a conditional UPDATE; None if it is gone or done; ProcessingLeaseHeld if another
    worker is on it (its lease is still being renewed).

    A claim that has run out of attempts marks the item failed instead: a file that kills its worker
    every time must not be redelivered for ever.
    """
    now = timezone.now()
    claimable = Q(processing_state=ProcessingState.PENDING) | Q(
        processing_state=ProcessingState.PROCESSING, processing_started_at__lt=now - processing_lease()
    )
    claimed = MediaItem.objects.filter(claimable, pk=item_id).update(
        processing_state=ProcessingState.PROCESSING,
        processing_started_at=now,
        processing_attempts=F("processing_attempts") + 1,
    )
    if not claimed:
        held = (
            MediaItem.objects.filter(pk=item_id, processing_state=ProcessingState.PROCESSING)
            .values_list("processing_started_at", flat=True)
            .first()
        )
        if held is not None:
            raise ProcessingLeaseHeld(max(1.0, (held + processing_lease() - now).total_seconds() + 1))
        return None
    item = MediaItem.objects.get(pk=item_id)
    if item.processing_attempts > MAX_PROCESSING_ATTEMPTS:
        media_record_processing_failure(
            item=item,
            reason=_("Processing was attempted %(count)s times without finishing; giving up.")
            % {"count": MAX_PROCESSING_ATTEMPTS},
            quarantine=False,
        )
        return None
    return item


def media_record_processing_failure(*, item: MediaItem, reason: str, quarantine: bool) -> None:
    """Mark the item failed or quarantined with a reason people read; the reason never carries a server path."""
    state = ProcessingState.QUARANTINED if quarantine else ProcessingState.FAILED
    reason = scrub_paths(str(reason), (str(_media_root()),), any_absolute=True)
    with transaction.atomic():
        MediaItem.objects.filter(pk=item.pk).update(
            processing_state=state, processing_error=reason, processed_at=timezone.now()
        )
        custody_record(
            action=CustodyAction.PROCESSING_FAILED,
            target=item,
            details={"state": state, "reason": reason, "attempt": item.processing_attempts},
        )
        notify_processing_failed(item=item)


def media_process(*, item_id: int) -> None:
    """Extract metadata, make derived files and find near-duplicates for one item. Safe to run twice."""
    item = media_claim_for_processing(item_id=item_id)
    if item is None:
        return
    with _lease_renewed(item):
        _process_claimed(item)
    # Processing may store text on the item (text read from a document); make it searchable.
    search_index(kind=RecordKind.MEDIA, ids=[item.pk])
    media_find_near_duplicates(item=item)


@contextmanager
def _lease_renewed(item: MediaItem):
    """Renew the item's claim from a thread (on its own database connection) while the block runs."""
    stop = threading.Event()
    interval = processing_lease().total_seconds() / 4

    def renew() -> None:
        try:
            while not stop.wait(interval):
                try:
                    MediaItem.objects.filter(
                        pk=item.pk,
                        processing_state=ProcessingState.PROCESSING,
                        processing_attempts=item.processing_attempts,  # still this claim, not a later one
                    ).update(processing_started_at=timezone.now())
                except DatabaseError:
                    logger.warning("Could not renew the processing lease of item %s", item.pk, exc_info=True)
        finally:
            connection.close()

    renewer = threading.Thread(target=renew, name=f"lease-media-{item.pk}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def _process_claimed(item: MediaItem) -> None:
    try:
        with tempfile.TemporaryDirectory(prefix="derived-") as derived_dir, _local_copy(item) as original_path:
            try:
                result = probe_media(str(original_path), kind=item.kind, mime=item.mime_type, derived_dir=derived_dir)
            except ProbeFailed as failure:
                media_record_processing_failure(item=item, reason=failure.reason, quarantine=failure.quarantine)
                return
            derived_names = _store_derived_files(item, Path(derived_dir), result)
            text_fields = _read_text(item, original_path, derived_dir)
        server_paths = (str(original_path), os.path.realpath(original_path), derived_dir, str(_media_root()))
        _save_probe_result(item, result, derived_names, server_paths=server_paths, text_fields=text_fields)
    except Exception:
        # Let a retry claim it at once; the attempt stays counted, so a persistent failure still ends.
        MediaItem.objects.filter(pk=item.pk, processing_state=ProcessingState.PROCESSING).update(
            processing_state=ProcessingState.PENDING
        )
        raise


# Types whose text is read: PDFs, and the photos Pillow decodes (HEIC has no decoder here, see child.py).
TEXT_MIME_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/tiff")
# Fewer words than this read from a photo are noise (a shop sign's letters, texture taken for glyphs).
MIN_OCR_WORDS = 3


def _read_text(item: MediaItem, original_path: Path, derived_dir: str) -> dict[str, object]:
    """The text fields of a photo or PDF whose metadata was just extracted, under the same sandbox limits.

    Runs inside the processing claim, so a file that kills the worker while being read counts an attempt like
    any other and ends failed after MAX_PROCESSING_ATTEMPTS. A file that cannot be read is still processed:
    only its text is marked failed, with the reason, and it is not read again unless reprocessed.
    """
    if item.mime_type not in TEXT_MIME_TYPES:
        return {"extracted_text": "", "text_extraction": TextExtraction.NOT_READ, "text_extraction_error": ""}
    try:
        read = extract_text(
            str(original_path), mime=item.mime_type, derived_dir=derived_dir, languages=settings.CASEWORK_OCR_LANGUAGES
        )
    except ProbeFailed as failure:
        reason = scrub_paths(failure.reason, (str(_media_root()), str(original_path), derived_dir), any_absolute=True)
        return {"extracted_text": "", "text_extraction": TextExtraction.FAILED, "text_extraction_error": reason}
    return {
        "extracted_text": text_worth_keeping(read),
        "text_extraction": _text_outcome(read),
        "text_extraction_error": "",
    }


def text_worth_keeping(read: TextResult) -> str:
    """A PDF's text layer always; OCR text only when Tesseract read at least a few words with a mean confidence
    of CASEWORK_OCR_MIN_CONFIDENCE or more (a photo of a street yields a handful of unsure "words")."""
    if read.method == "text_layer":
        return read.text
    confident = (read.confidence or 0) >= settings.CASEWORK_OCR_MIN_CONFIDENCE and read.words >= MIN_OCR_WORDS
    return read.text if confident else ""


def _text_outcome(read: TextResult) -> str:
    if not text_worth_keeping(read):
        return TextExtraction.NO_TEXT
    return TextExtraction.TEXT_LAYER if read.method == "text_layer" else TextExtraction.OCR


@contextmanager
def _local_copy(item: MediaItem):
    """A local path to the original: the file itself on local storage, a temporary copy otherwise."""
    try:
        yield Path(default_storage.path(item.original.name))
        return
    except NotImplementedError:
        pass
    with (
        tempfile.NamedTemporaryFile(prefix="original-") as copy,
        default_storage.open(item.original.name) as source,
    ):
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield Path(copy.name)


def _media_root() -> str:
    try:
        return os.path.abspath(default_storage.location)
    except AttributeError:  # storage without a local folder
        return ""


def _derived_prefix(item: MediaItem) -> str:
    return f"derived/{item.case_id}/{item.sha256}"


def _store_derived_files(item: MediaItem, derived_dir: Path, result: ProbeResult) -> dict[str, object]:
    """Copy derived files into storage under fixed names, replacing any from an earlier run."""
    prefix = _derived_prefix(item)
    names: dict[str, object] = {"thumbnail": "", "keyframes": []}
    candidates = [derived_dir / "thumbnail.jpg", derived_dir / "poster.jpg"]
    thumbnail = next((path for path in candidates if path.exists()), None)
    if thumbnail is not None:
        names["thumbnail"] = _replace_in_storage(f"{prefix}/thumbnail.jpg", thumbnail)
    names["keyframes"] = [
        _replace_in_storage(f"{prefix}/{Path(path).name}", Path(path)) for path in result.keyframe_paths
    ]
    return names


def _replace_in_storage(name: str, path: Path) -> str:
    if default_storage.exists(name):
        default_storage.delete(name)
    with open(path, "rb") as handle:
        return default_storage.save(name, File(handle))


def _save_probe_result(
    item: MediaItem,
    result: ProbeResult,
    derived_names: dict[str, object],
    *,
    server_paths: tuple[str, ...],
    text_fields: dict[str, object],
) -> None:
    raw = json.loads(json.dumps(result.raw, default=str))
    # People's details in the file's metadata go to the encrypted field; the server's own paths go nowhere.
    metadata, identifying = split_identifying(scrub_paths(raw, server_paths))
    capture_time = result.capture_time
    if capture_time is not None and capture_time.tzinfo is None:
        # The file's clock time without its zone: stored as that wall-clock time, flagged as zone unknown.
        capture_time = capture_time.replace(tzinfo=UTC)
    fields = {
        "metadata": metadata,
        "identifying_metadata": identifying,
        "capture_time": capture_time,
        "capture_time_zone_known": result.capture_time_zone_known if capture_time is not None else True,
        "latitude": _coordinate(result.latitude),
        "longitude": _coordinate(result.longitude),
        "device_make": (result.device_make or "")[:120],
        "device_model": (result.device_model or "")[:120],
        "width": result.width,
        "height": result.height,
        "duration_seconds": result.duration_seconds,
        "container": (result.container or "")[:60],
        "video_codec": (result.video_codec or "")[:60],
        "audio_codec": (result.audio_codec or "")[:60],
        "frame_rate": result.frame_rate,
        "thumbnail": derived_names["thumbnail"],
        "keyframes": derived_names["keyframes"],
        "perceptual_hashes": list(result.perceptual_hashes),
        **text_fields,
        "processing_state": ProcessingState.DONE,
        "processing_error": "",
        "processed_at": timezone.now(),
    }
    with transaction.atomic():
        MediaItem.objects.filter(pk=item.pk).update(**fields)
        media_index_hashes(item=item, hashes=fields["perceptual_hashes"])
        custody_record(
            action=CustodyAction.METADATA_EXTRACTED,
            target=item,
            details={
                "capture_time": result.capture_time.isoformat() if result.capture_time else None,
                "capture_time_zone_known": fields["capture_time_zone_known"],
                "has_gps": result.latitude is not None,
                "device": " ".join(filter(None, [result.device_make, result.device_model])),
                "duration_seconds": result.duration_seconds,
                "thumbnail": bool(derived_names["thumbnail"]),
                "text": text_fields["text_extraction"],
                "text_characters": len(str(text_fields["extracted_text"])),
            },
        )
    for field, value in fields.items():
        setattr(item, field, value)


def _coordinate(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(value, 6)))


HEX_64_BITS = re.compile(r"[0-9a-f]{16}")


def _hash_value(hex_hash: str) -> int | None:
    """The unsigned value of a 64-bit hash given as 16 hex digits; None for any other form."""
    hex_hash = hex_hash.lower()
    return int(hex_hash, 16) if HEX_64_BITS.fullmatch(hex_hash) else None


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def media_index_hashes(*, item: MediaItem, hashes: list[str]) -> None:
    """Store the item's hashes in the near-duplicate index (replacing any), in the caller's transaction.
    Hashes of another size are left out; media_find_near_duplicates compares such items the slow way."""
    MediaPerceptualHash.objects.filter(item=item).delete()
    rows = []
    for value in {_hash_value(hex_hash) for hex_hash in hashes} - {None}:
        bands = {f"band{index}": band for index, band in enumerate(hash_bands(value))}
        rows.append(MediaPerceptualHash(item_id=item.pk, case_id=item.case_id, value=_signed(value), **bands))
    MediaPerceptualHash.objects.bulk_create(rows)


def _band_variants(band: int, radius: int) -> list[int]:
    """Every HASH_BAND_BITS-bit value within `radius` bits of `band` (itself included)."""
    variants = [band]
    for flips in range(1, radius + 1):
        for bits in itertools.combinations(range(HASH_BAND_BITS), flips):
            variants.append(band ^ sum(1 << bit for bit in bits))
    return variants


def _near_duplicates_indexed(item: MediaItem, values: list[int]) -> dict[int, int]:
    """{other item id: smallest distance} of the items of the case within NEAR_DUPLICATE_MAX_DISTANCE, through
    the band index.

    Pigeonhole: two 64-bit hashes at most D bits apart differ in at most D // 4 bits in one of their four
    16-bit bands at least. So every such pair has a stored hash whose band i lies within D // 4 bits of the
    new hash's band i, for some i: the lookup lists those few candidates (1 + 16 + 120 band values per band
    for D = 10), and the exact distance of each is then computed. Nothing within the threshold is missed.
    """
    radius = NEAR_DUPLICATE_MAX_DISTANCE // HASH_BANDS
    near_bands = [set() for _ in range(HASH_BANDS)]
    for value in values:
        for index, band in enumerate(hash_bands(value)):
            near_bands[index].update(_band_variants(band, radius))
    candidates = _hash_candidates(item.case_id, [sorted(bands) for bands in near_bands])
    near: dict[int, int] = {}
    for other_id, other_value in candidates:
        if other_id == item.pk:
            continue
        other_value &= (1 << 64) - 1
        distance = min((value ^ other_value).bit_count() for value in values)
        if distance <= NEAR_DUPLICATE_MAX_DISTANCE and distance < near.get(other_id, 65):
            near[other_id] = distance
    if not near:
        return {}
    # Processed items only (the index also holds items being processed again): one lookup by primary key.
    processed = MediaItem.objects.filter(pk__in=list(near), processing_state=ProcessingState.DONE).order_by()
    return {other_id: near[other_id] for other_id in processed.values_list("pk", flat=True)}


def _hash_candidates(case_id: int, near_bands: list[list[int]]) -> list[tuple[int, int]]:
    """(item id, hash) of the stored hashes of the case with band i among near_bands[i], for some i: one index
    lookup per band. On PostgreSQL each band's values go as one array (= ANY), so the query stays small."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(MediaPerceptualHash._meta.db_table)
        sql = " UNION ALL ".join(
            f"SELECT item_id, value FROM {table} WHERE case_id = %s AND band{index} = ANY(%s)"
            for index in range(HASH_BANDS)
        )
        params = [param for bands in near_bands for param in (case_id, bands)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        condition = Q(pk__in=[])
        for index, bands in enumerate(near_bands):
            condition |= Q(**{f"band{index}__in": bands})
        rows = list(
            MediaPerceptualHash.objects.filter(condition, case_id=case_id).order_by().values_list("item_id", "value")
        )
    return rows


def _near_duplicates_compared(item: MediaItem) -> dict[int, int]:
    """The same as _near_duplicates_indexed, by comparing every item of the case (for hashes of another
    size than 64 bits, which the index does not hold)."""
    found = {}
    others = (
        MediaItem.objects.filter(case_id=item.case_id, processing_state=ProcessingState.DONE)
        .exclude(pk=item.pk)
        .exclude(perceptual_hashes=[])
        .values_list("pk", "perceptual_hashes")
    )
    for other_id, other_hashes in others.iterator():
        distance = min(phash_distance(a, b) for a in item.perceptual_hashes for b in other_hashes)
        if distance <= NEAR_DUPLICATE_MAX_DISTANCE:
            found[other_id] = distance
    return found


def media_near_duplicate_distances(*, item: MediaItem) -> dict[int, int]:
    """{id: distance} of every other processed item of the case whose perceptual hashes come within
    NEAR_DUPLICATE_MAX_DISTANCE bits of one of this item's (the smallest distance over the pairs of hashes)."""
    if not item.perceptual_hashes:
        return {}
    values = [_hash_value(hex_hash) for hex_hash in item.perceptual_hashes]
    if None in values:
        return _near_duplicates_compared(item)
    return _near_duplicates_indexed(item, values)


def media_find_near_duplicates(*, item: MediaItem) -> list[NearDuplicate]:
    """Record every item of the same case whose perceptual hashes come within the threshold."""
    found = []
    for other_id, distance in sorted(media_near_duplicate_distances(item=item).items()):
        first_id, second_id = sorted((item.pk, other_id))
        pair, _created = NearDuplicate.objects.get_or_create(
            first_id=first_id,
            second_id=second_id,
            defaults={"case_id": item.case_id, "distance": distance},
        )
        found.append(pair)
    return found


def media_record_download(*, item: MediaItem, actor, request=None) -> None:
    from casework.audit.models import AuditAction
    from casework.audit.services import audit_record

    with transaction.atomic():
        custody_record(action=CustodyAction.DOWNLOADED, target=item, actor=actor)
        audit_record(action=AuditAction.ORIGINAL_DOWNLOADED, actor=actor, case=item.case, target=item, request=request)


# Playing a video takes many range requests, and the page of a photo may be opened again and again: a person's
# view of an original is recorded once in this window, not once per request.
ORIGINAL_VIEW_WINDOW = timedelta(minutes=10)


def media_record_view(*, item: MediaItem, actor, request=None, unless_viewed_within: timedelta | None = None) -> bool:
    """Showing the original in the browser hands over its bytes like a download: custody and audit both.

    With `unless_viewed_within`, nothing is recorded when the same person's view of the item was recorded that
    recently. The custody chain's lock is taken before looking, so the parallel requests of one playback record
    one view; it is the lock every custody write takes first, so no other lock is held while waiting for it.
    Returns whether a view was recorded.
    """
    from casework.audit.models import AuditAction
    from casework.audit.services import audit_record

    with transaction.atomic():
        if unless_viewed_within is not None:
            custody_lock_chain()
            recent = custody_history(target=item).filter(
                action=CustodyAction.VIEWED, actor=actor, occurred_at__gte=timezone.now() - unless_viewed_within
            )
            if recent.exists():
                return False
        custody_record(action=CustodyAction.VIEWED, target=item, actor=actor)
        audit_record(action=AuditAction.ORIGINAL_VIEWED, actor=actor, case=item.case, target=item, request=request)
    return True


def media_review(*, item: MediaItem, reviewer, verified: bool, notes: str) -> MediaItem:
    """Verify or reject an item. Two-person rule: whoever acquired it cannot review it."""
    if reviewer.pk == item.acquired_by_id:
        raise Refused(_("You added this item, so someone else must review it."))
    notes = notes.strip()
    if not verified and not notes:
        raise Refused(_("Say why the item is rejected."), field="notes")
    status = VerificationStatus.VERIFIED if verified else VerificationStatus.REJECTED
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().get(pk=item.pk)
        item.verification_status = status
        item.verified_by = reviewer
        item.verified_at = timezone.now()
        item.verification_notes = notes
        item.save(update_fields=["verification_status", "verified_by", "verified_at", "verification_notes"])
        custody_record(
            action=CustodyAction.VERIFIED if verified else CustodyAction.REJECTED,
            target=item,
            actor=reviewer,
            details={"notes": notes},
        )
    return item


def near_duplicate_review(*, pair: NearDuplicate, reviewer, confirmed: bool) -> NearDuplicate:
    pair.status = DuplicateStatus.CONFIRMED if confirmed else DuplicateStatus.DISMISSED
    pair.reviewed_by = reviewer
    pair.reviewed_at = timezone.now()
    pair.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return pair


# Editing and withdrawing: the one write path for an item's editable details. Provenance (what the bytes
# are, where they came from, who received them when) is not among them: nothing changes it after intake.


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()

# Who may change which detail. A content warning is a reviewer's call; the rest is record-keeping.
MEDIA_EDIT_PERMISSIONS = {
    "description": access.EDIT_RECORDS,
    "incidents": access.EDIT_RECORDS,
    "witness": access.EDIT_RECORDS,
    "testimony": access.EDIT_RECORDS,
    "is_graphic": access.REVIEW,
}
# Custody events are permanent and travel in packets: for these they record that the value changed, not what
# it was or became (a description can name someone; which witness sent a file is a witness's secret).
SENSITIVE_EDIT_FIELDS = frozenset({"description", "witness"})


def media_require_edit_permission(*, actor, item: MediaItem, fields: Iterable[str]) -> None:
    """PermissionDenied unless `actor` may change every one of `fields` (EDIT_RECORDS when none is named)."""
    needed = {MEDIA_EDIT_PERMISSIONS[name] for name in fields if name in MEDIA_EDIT_PERMISSIONS}
    for permission in needed or {access.EDIT_RECORDS}:
        if not actor.has_perm(permission, item.case):
            raise PermissionDenied


def media_check_links(
    *, item: MediaItem, incidents: Any = UNCHANGED, witness: Any = UNCHANGED, testimony: Any = UNCHANGED
) -> None:
    """Refused unless every record to link belongs to the item's case (the admin form asks this too)."""
    errors: dict[str, list[str]] = {}
    if incidents is not UNCHANGED:
        foreign = sorted(incident.reference for incident in incidents if incident.case_id != item.case_id)
        if foreign:
            errors["incidents"] = [
                _("Incident %(ref)s belongs to another case.") % {"ref": reference} for reference in foreign
            ]
    if witness is not UNCHANGED and witness is not None and witness.case_id != item.case_id:
        errors["witness"] = [_("The witness belongs to another case.")]
    if testimony is not UNCHANGED and testimony is not None and testimony.case_id != item.case_id:
        errors["testimony"] = [_("A recording must belong to the testimony's case.")]
    if errors:
        raise Refused(errors=errors)


def media_update(
    *,
    item: MediaItem,
    actor,
    description: Any = UNCHANGED,
    is_graphic: Any = UNCHANGED,
    incidents: Any = UNCHANGED,
    witness: Any = UNCHANGED,
    testimony: Any = UNCHANGED,
) -> MediaItem:
    """Change an item's editable details: the only way pages, the API, the admin and other services do it.

    Only the details passed are looked at (`incidents` is the whole new set), and only changed ones are
    written (`update_fields`), with one custody event EDITED that names them and gives the old and new values
    of the non-sensitive ones. No change, no event. Raises PermissionDenied when the actor's role may not
    change a detail, Refused when a linked record belongs to another case; nothing is written then.
    Returns the item as stored; `item` is updated too.
    """
    given = {
        name: value
        for name, value in {
            "description": description,
            "is_graphic": is_graphic,
            "incidents": incidents,
            "witness": witness,
            "testimony": testimony,
        }.items()
        if value is not UNCHANGED
    }
    media_require_edit_permission(actor=actor, item=item, fields=given)
    if "incidents" in given:
        given["incidents"] = list(given["incidents"])
    media_check_links(
        item=item, **{name: given[name] for name in ("incidents", "witness", "testimony") if name in given}
    )
    if "description" in given:
        given["description"] = str(given["description"] or "").strip()
    if "is_graphic" in given:
        given["is_graphic"] = bool(given["is_graphic"])

    with transaction.atomic():
        stored = MediaItem.objects.select_for_update().get(pk=item.pk)
        changed_columns: list[str] = []
        values: dict[str, dict[str, Any]] = {}
        for name in ("description", "is_graphic", "witness", "testimony"):
            if name not in given:
                continue
            new = given[name]
            if name in ("witness", "testimony"):
                old_value, new_value = getattr(stored, f"{name}_id"), (new.pk if new is not None else None)
            else:
                old_value, new_value = getattr(stored, name), new
            if old_value == new_value:
                continue
            setattr(stored, name, new)
            changed_columns.append(name)
            if name not in SENSITIVE_EDIT_FIELDS:
                values[name] = {"old": old_value, "new": new_value}
        changed = list(changed_columns)
        if "incidents" in given:
            current = {incident.pk: incident.reference for incident in stored.incidents.all()}
            chosen = {incident.pk: incident.reference for incident in given["incidents"]}
            if set(current) != set(chosen):
                stored.incidents.set(list(chosen))
                changed.append("incidents")
                values["incidents"] = {"old": sorted(current.values()), "new": sorted(chosen.values())}
        if not changed:
            return stored
        if changed_columns:
            stored._history_user = actor
            stored.save(update_fields=changed_columns)
            if "description" in changed_columns:
                search_index(kind=RecordKind.MEDIA, ids=[stored.pk])
        custody_record(
            action=CustodyAction.EDITED,
            target=stored,
            actor=actor,
            details={"fields": sorted(changed), "values": values},
        )
    for name in changed_columns:
        setattr(item, name, getattr(stored, name))
    return stored


def media_withdraw(*, item: MediaItem, actor, reason: str) -> MediaItem:
    """Withdraw an item from use: case admins only, with a reason; a custody event WITHDRAWN.

    The item is never deleted: it stays stored, listed (marked withdrawn, with the reason) and downloadable by
    the case's team, and out of every packet. Idempotent: withdrawing a withdrawn item changes nothing.
    """
    if not actor.has_perm(access.MANAGE_TEAM, item.case):
        raise PermissionDenied
    reason = str(reason or "").strip()
    if not reason:
        raise Refused(_("Say why the item is withdrawn."), field="reason")
    with transaction.atomic():
        stored = MediaItem.objects.select_for_update().get(pk=item.pk)
        if stored.withdrawn_at is not None:
            return stored
        stored.withdrawn_at = timezone.now()
        stored.withdrawn_by = actor
        stored.withdrawal_reason = reason
        stored._history_user = actor
        stored.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        custody_record(action=CustodyAction.WITHDRAWN, target=stored, actor=actor, details={"reason": reason})
    item.withdrawn_at, item.withdrawn_by, item.withdrawal_reason = stored.withdrawn_at, actor, reason
    return stored


def media_set_testimony_recordings(*, testimony, items: Iterable[MediaItem], actor) -> None:
    """Make `items` the recordings of `testimony` (the one link between a testimony and its audio or video);
    each changed item gets its custody event EDITED (through media_update). Joins the caller's transaction."""
    chosen = {item.pk: item for item in items}
    if any(item.case_id != testimony.case_id for item in chosen.values()):
        raise Refused(_("A recording must belong to the testimony's case."), field="recordings")
    with transaction.atomic():
        for item in MediaItem.objects.filter(testimony=testimony).exclude(pk__in=list(chosen)).select_related("case"):
            media_update(item=item, actor=actor, testimony=None)
        for item in chosen.values():
            if item.testimony_id != testimony.pk:
                media_update(item=item, actor=actor, testimony=testimony)


class MediaBulkAction(models.TextChoices):
    LINK_INCIDENT = "link_incident", gettext_lazy("Link to an incident")
    MARK_GRAPHIC = "mark_graphic", gettext_lazy("Mark as graphic content")
    VERIFY = "verify", gettext_lazy("Verify (review)")


def media_bulk_apply(
    *, items: Iterable[MediaItem], actor, action: str, incident: Incident | None = None
) -> BulkOutcome:
    """Apply one action to each item through its single-item service (media_update, media_review): refusals
    are listed per item by exhibit number, the other items are changed."""
    if action == MediaBulkAction.LINK_INCIDENT:
        if incident is None:
            raise Refused(_("Choose the incident to link."), field="incident")

        def apply(item: MediaItem) -> None:
            current = list(item.incidents.all())
            if incident not in current:
                media_update(item=item, actor=actor, incidents=[*current, incident])

    elif action == MediaBulkAction.MARK_GRAPHIC:

        def apply(item: MediaItem) -> None:
            if not actor.has_perm(access.REVIEW, item.case):
                raise PermissionDenied
            media_update(item=item, actor=actor, is_graphic=True)

    elif action == MediaBulkAction.VERIFY:

        def apply(item: MediaItem) -> None:
            if not actor.has_perm(access.REVIEW, item.case):
                raise PermissionDenied
            media_review(item=item, reviewer=actor, verified=True, notes="")

    else:
        raise Refused(_("Choose an action."), field="action")
    return bulk_apply(items, label=lambda item: item.exhibit_number, apply=apply)
