"""Writes for evidence: intake, linking, and recording what happens to an item (with custody events)."""

import json
import logging
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.models import Case
from casework.evidence.custody import custody_record
from casework.evidence.models import (
    CustodyAction,
    DuplicateStatus,
    MediaItem,
    MediaSource,
    NearDuplicate,
    ProcessingState,
    VerificationStatus,
    original_upload_path,
)
from casework.evidence.processing import (
    ProbeFailed,
    ProbeResult,
    UnsupportedMedia,
    classify,
    phash_distance,
    probe_media,
)
from casework.evidence.uploads import (
    IntakeRejected,
    ReceivedFile,
    receive_path,
    receive_stream,
    receive_upload,
)
from casework.incidents.models import Incident

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


class _MovableFile(File):
    """Lets FileSystemStorage move the received temporary file into place instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.name


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
    source_url: str = "",
    description: str = "",
) -> IngestResult:
    """Store a received file as a MediaItem of `case`, or link the existing item with the same bytes.

    Raises IntakeRejected (nothing stored) for empty files and types outside the allow-list. The
    temporary file is consumed either way. Metadata extraction is enqueued after the commit.
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
                raise IntakeRejected(_("Incident %(ref)s belongs to another case.") % {"ref": incident.reference})
        try:
            return _store_or_link(
                case=case,
                received=received,
                mime_type=mime_type,
                kind=kind,
                original_filename=Path(original_filename).name[:300],
                source=source,
                acquired_by=acquired_by,
                acquired_at=acquired_at or timezone.now(),
                incidents=incidents,
                testimony=testimony,
                source_url=source_url,
                description=description,
            )
        except IntegrityError:
            # Another request stored the same bytes between our check and insert: link to theirs.
            existing = MediaItem.objects.get(case=case, sha256=received.sha256)
            with transaction.atomic():
                _link_duplicate(existing, acquired_by=acquired_by, incidents=incidents, source=source)
            return IngestResult(existing, created=False)
    finally:
        received.discard()


def _store_or_link(*, case, received, mime_type, kind, acquired_by, incidents, **fields) -> IngestResult:
    with transaction.atomic():
        existing = MediaItem.objects.select_for_update().filter(case=case, sha256=received.sha256).first()
        if existing is not None:
            _link_duplicate(existing, acquired_by=acquired_by, incidents=incidents, source=fields["source"])
            return IngestResult(existing, created=False)

        item = MediaItem(
            case=case,
            sha256=received.sha256,
            size_bytes=received.size_bytes,
            mime_type=mime_type,
            kind=kind,
            acquired_by=acquired_by,
            **fields,
        )
        storage_name = original_upload_path(item, "")
        # Named by hash: a file already there (left by a rolled-back intake) holds exactly these bytes.
        if not default_storage.exists(storage_name):
            with open(received.temporary_path, "rb") as handle:
                stored_name = default_storage.save(
                    storage_name, _MovableFile(handle, name=str(received.temporary_path))
                )
            if stored_name != storage_name:
                raise RuntimeError(f"Storage renamed an original to {stored_name}")
        item.original.name = storage_name
        item.save()
        custody_record(
            action=CustodyAction.RECEIVED,
            target=item,
            actor=acquired_by,
            details={
                "sha256": item.sha256,
                "size_bytes": item.size_bytes,
                "mime_type": item.mime_type,
                "source": item.source,
            },
        )
        _link_incidents(item, incidents, actor=acquired_by)
        media_schedule_processing(item_id=item.pk)
    return IngestResult(item, created=True)


def _link_duplicate(existing: MediaItem, *, acquired_by, incidents, source) -> None:
    custody_record(
        action=CustodyAction.DUPLICATE_RECEIVED,
        target=existing,
        actor=acquired_by,
        details={"source": str(source)},
    )
    _link_incidents(existing, incidents, actor=acquired_by)


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


def media_schedule_processing(*, item_id: int) -> None:
    from casework.evidence.tasks import media_process_task

    transaction.on_commit(lambda: media_process_task.delay(item_id))


# Processing: metadata extraction, derived files and near-duplicates, run by a worker.

MAX_PROCESSING_ATTEMPTS = 3
# A claim older than this is taken to belong to a worker that died; the item may be claimed again.
PROCESSING_LEASE = timedelta(minutes=20)
NEAR_DUPLICATE_MAX_DISTANCE = 10


def media_claim_for_processing(*, item_id: int) -> MediaItem | None:
    """Claim an item with a conditional UPDATE; None if it is gone, done, or being processed elsewhere.

    A claim that has run out of attempts marks the item failed instead: a file that kills its worker
    every time must not be redelivered for ever.
    """
    now = timezone.now()
    claimable = Q(processing_state=ProcessingState.PENDING) | Q(
        processing_state=ProcessingState.PROCESSING, processing_started_at__lt=now - PROCESSING_LEASE
    )
    claimed = MediaItem.objects.filter(claimable, pk=item_id).update(
        processing_state=ProcessingState.PROCESSING,
        processing_started_at=now,
        processing_attempts=F("processing_attempts") + 1,
    )
    if not claimed:
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
    state = ProcessingState.QUARANTINED if quarantine else ProcessingState.FAILED
    with transaction.atomic():
        MediaItem.objects.filter(pk=item.pk).update(
            processing_state=state, processing_error=reason, processed_at=timezone.now()
        )
        custody_record(
            action=CustodyAction.PROCESSING_FAILED,
            target=item,
            details={"state": state, "reason": reason, "attempt": item.processing_attempts},
        )


def media_process(*, item_id: int) -> None:
    """Extract metadata, make derived files and find near-duplicates for one item. Safe to run twice."""
    item = media_claim_for_processing(item_id=item_id)
    if item is None:
        return
    try:
        with tempfile.TemporaryDirectory(prefix="derived-") as derived_dir, _local_copy(item) as original_path:
            try:
                result = probe_media(str(original_path), kind=item.kind, mime=item.mime_type, derived_dir=derived_dir)
            except ProbeFailed as failure:
                media_record_processing_failure(item=item, reason=failure.reason, quarantine=failure.quarantine)
                return
            derived_names = _store_derived_files(item, Path(derived_dir), result)
        _save_probe_result(item, result, derived_names)
    except Exception:
        # Let a retry claim it at once; the attempt stays counted, so a persistent failure still ends.
        MediaItem.objects.filter(pk=item.pk, processing_state=ProcessingState.PROCESSING).update(
            processing_state=ProcessingState.PENDING
        )
        raise
    media_find_near_duplicates(item=item)


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


def _save_probe_result(item: MediaItem, result: ProbeResult, derived_names: dict[str, object]) -> None:
    fields = {
        "metadata": json.loads(json.dumps(result.raw, default=str)),
        "capture_time": result.capture_time,
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
        "processing_state": ProcessingState.DONE,
        "processing_error": "",
        "processed_at": timezone.now(),
    }
    with transaction.atomic():
        MediaItem.objects.filter(pk=item.pk).update(**fields)
        custody_record(
            action=CustodyAction.METADATA_EXTRACTED,
            target=item,
            details={
                "capture_time": result.capture_time.isoformat() if result.capture_time else None,
                "has_gps": result.latitude is not None,
                "device": " ".join(filter(None, [result.device_make, result.device_model])),
                "duration_seconds": result.duration_seconds,
                "thumbnail": bool(derived_names["thumbnail"]),
            },
        )
    for field, value in fields.items():
        setattr(item, field, value)


def _coordinate(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(value, 6)))


def media_find_near_duplicates(*, item: MediaItem) -> list[NearDuplicate]:
    """Record every item of the same case whose perceptual hashes come within the threshold."""
    if not item.perceptual_hashes:
        return []
    found = []
    others = (
        MediaItem.objects.filter(case_id=item.case_id, processing_state=ProcessingState.DONE)
        .exclude(pk=item.pk)
        .exclude(perceptual_hashes=[])
        .values_list("pk", "perceptual_hashes")
    )
    for other_id, other_hashes in others.iterator():
        distance = min(phash_distance(a, b) for a in item.perceptual_hashes for b in other_hashes)
        if distance > NEAR_DUPLICATE_MAX_DISTANCE:
            continue
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


class ReviewRefused(ValueError):
    """A review decision that the rules do not allow; the message is shown to the person."""


def media_record_view(*, item: MediaItem, actor, request=None) -> None:
    """Showing the original in the browser hands over its bytes like a download: custody and audit both."""
    from casework.audit.models import AuditAction
    from casework.audit.services import audit_record

    with transaction.atomic():
        custody_record(action=CustodyAction.VIEWED, target=item, actor=actor)
        audit_record(action=AuditAction.ORIGINAL_VIEWED, actor=actor, case=item.case, target=item, request=request)


def media_link_incident(*, item: MediaItem, incident: Incident, actor) -> None:
    if incident.case_id != item.case_id:
        raise IntakeRejected(_("Incident %(ref)s belongs to another case.") % {"ref": incident.reference})
    with transaction.atomic():
        _link_incidents(item, [incident], actor=actor)


def media_set_testimony_recordings(*, testimony, items: Iterable[MediaItem], actor) -> None:
    """Make `items` the recordings of `testimony` (the one link between a testimony and its audio or video);
    each change is a custody event. Joins the caller's transaction."""
    chosen = {item.pk: item for item in items}
    for item in chosen.values():
        if item.case_id != testimony.case_id:
            raise IntakeRejected(_("A recording must belong to the testimony's case."))
    with transaction.atomic():
        for item in MediaItem.objects.filter(testimony=testimony).exclude(pk__in=list(chosen)):
            MediaItem.objects.filter(pk=item.pk).update(testimony=None)
            custody_record(action=CustodyAction.UNLINKED, target=item, actor=actor, details={"testimony": testimony.pk})
        for item in chosen.values():
            if item.testimony_id == testimony.pk:
                continue
            MediaItem.objects.filter(pk=item.pk).update(testimony=testimony)
            custody_record(action=CustodyAction.LINKED, target=item, actor=actor, details={"testimony": testimony.pk})


def media_unlink_incident(*, item: MediaItem, incident: Incident, actor) -> None:
    with transaction.atomic():
        if not item.incidents.filter(pk=incident.pk).exists():
            return
        item.incidents.remove(incident)
        custody_record(
            action=CustodyAction.UNLINKED, target=item, actor=actor, details={"incident": incident.reference}
        )


def media_review(*, item: MediaItem, reviewer, verified: bool, notes: str) -> MediaItem:
    """Verify or reject an item. Two-person rule: whoever acquired it cannot review it."""
    if reviewer.pk == item.acquired_by_id:
        raise ReviewRefused(_("You added this item, so someone else must review it."))
    notes = notes.strip()
    if not verified and not notes:
        raise ReviewRefused(_("Say why the item is rejected."))
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


def media_set_graphic(*, item: MediaItem, is_graphic: bool) -> None:
    """A reviewer's content warning: graphic items are blurred on every page until someone clicks."""
    MediaItem.objects.filter(pk=item.pk).update(is_graphic=is_graphic)
    item.is_graphic = is_graphic
