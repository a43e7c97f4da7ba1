"""The custody chain: append and verify. The only code that writes CustodyEvent rows."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from casework.evidence.models import PROVENANCE_FIELDS, CustodyAction, CustodyEvent, MediaArrival, MediaItem

GENESIS_HASH = "0" * 64
# Any fixed number: the key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x43555354


def canonical_form(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    case_id: int | None,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    previous_hash: str,
) -> bytes:
    document = {
        "sequence": sequence,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "case_id": case_id,
        "object_type": object_type,
        "object_id": str(object_id),
        "details": details,
        "previous_hash": previous_hash,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_canonical_form(event: CustodyEvent) -> bytes:
    return canonical_form(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        case_id=event.case_id,
        object_type=event.object_type,
        object_id=event.object_id,
        details=event.details,
        previous_hash=event.previous_hash,
    )


def custody_lock_chain() -> None:
    """Hold the chain's lock until the transaction ends, for a caller that reads the log and then appends to it
    with no other append in between (custody_record takes it again, which is allowed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: transactions are opened IMMEDIATE (settings), so writers are already serialised.


def custody_record(
    *,
    action: CustodyAction | str,
    target: models.Model,
    actor=None,
    details: dict[str, Any] | None = None,
    case_id: int | None = None,
) -> CustodyEvent:
    """Append one event to the chain. Joins the caller's transaction: if that rolls back, so does the event."""
    if details is None:
        details = {}
    # Round-trip through JSON now so the hash is computed over exactly what the database will return.
    details = json.loads(json.dumps(details, ensure_ascii=False))
    if case_id is None:
        case_id = getattr(target, "case_id", None)
    actor_label = actor.get_username() if actor is not None else "system"
    with transaction.atomic():
        custody_lock_chain()
        head = CustodyEvent.objects.order_by("-sequence").values("sequence", "event_hash").first()
        sequence = head["sequence"] + 1 if head else 1
        previous_hash = head["event_hash"] if head else GENESIS_HASH
        occurred_at = timezone.now()
        fields = {
            "sequence": sequence,
            "occurred_at": occurred_at,
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": actor_label,
            "action": str(action),
            "case_id": case_id,
            "object_type": target._meta.label_lower,
            "object_id": str(target.pk),
            "details": details,
            "previous_hash": previous_hash,
        }
        event_hash = hashlib.sha256(canonical_form(**fields)).hexdigest()
        event = CustodyEvent(**fields, event_hash=event_hash)
        event.save()
    return event


def custody_head_hash() -> str:
    head = CustodyEvent.objects.order_by("-sequence").values_list("event_hash", flat=True).first()
    return head or GENESIS_HASH


def custody_events_after(event_hash: str) -> int | None:
    """How many events follow the one with `event_hash` (0 if it is the head), or None if no event has it.

    A head hash recorded earlier (by a packet, or a previous check) that is no longer in the chain means the
    newest events were deleted, or the log was rewritten and its hashes recomputed.
    """
    if event_hash == GENESIS_HASH:
        return CustodyEvent.objects.count()
    sequence = CustodyEvent.objects.filter(event_hash=event_hash).values_list("sequence", flat=True).first()
    if sequence is None:
        return None
    return CustodyEvent.objects.filter(sequence__gt=sequence).count()


# -- provenance: what intake recorded, compared with what the rows say now ----------------------------------


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _name_digest(name: str) -> str:
    # A digest, never the name: custody events are permanent and travel in packets, and names identify people.
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def media_provenance(item: MediaItem) -> dict[str, Any]:
    """What intake records of an item in its `received` custody event; none of it ever changes."""
    return {
        "sha256": item.sha256,
        "size_bytes": item.size_bytes,
        "mime_type": item.mime_type,
        "kind": item.kind,
        "source": item.source,
        "source_url": item.source_url,
        "acquired_by_id": item.acquired_by_id,
        "acquired_at": _instant(item.acquired_at),
        "original_filename_sha256": _name_digest(item.original_filename),
        "exhibit_number": item.exhibit_number,
    }


def arrival_provenance(arrival: MediaArrival) -> dict[str, Any]:
    """What the custody event of one arrival of a file records about it."""
    return {
        "source": arrival.source,
        "source_url": arrival.source_url,
        "acquired_by_id": arrival.acquired_by_id,
        "acquired_at": _instant(arrival.acquired_at),
        "original_filename_sha256": _name_digest(arrival.original_filename),
    }


# Names an edit event would use for provenance, as columns or as recorded keys; no edit ever may.
PROVENANCE_NAMES = frozenset(PROVENANCE_FIELDS) | {"acquired_by_id", "original_filename_sha256", "case", "original"}
# Shown for a key instead of its value: these stay out of the command's output.
UNSHOWN_KEYS = frozenset({"original_filename_sha256", "source_url"})


@dataclass(frozen=True)
class ProvenanceFindings:
    problems: list[str]  # a column differs from what intake recorded: tampering, or a bug that wrote it
    not_recorded: list[str]  # items received before intake recorded all of it: nothing to compare with


def _differences(recorded: dict[str, Any], current: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(keys whose value differs, keys intake did not record)."""
    differing, missing = [], []
    for key, value in current.items():
        if key not in recorded:
            missing.append(key)
        elif key == "acquired_at":
            if datetime.fromisoformat(str(recorded[key])) != datetime.fromisoformat(value):
                differing.append(key)
        elif recorded[key] != value:
            differing.append(key)
    return differing, missing


def _describe(key: str, recorded: dict[str, Any], current: dict[str, Any]) -> str:
    if key in UNSHOWN_KEYS:
        return f"{key} differs from what was recorded at intake"
    return f"{key} is {current[key]!r} but was recorded at intake as {recorded[key]!r}"


def media_provenance_findings() -> ProvenanceFindings:
    """Compare every item's provenance columns, and every arrival, with what intake recorded in custody.

    Provenance never changes after intake (no service writes it, the admin shows it read-only), so any
    difference is a change made behind the log's back. Items received before intake recorded every key are
    listed as "provenance not recorded at intake" for the keys that are missing, not as tampering.
    """
    actions = [CustodyAction.RECEIVED, CustodyAction.DUPLICATE_RECEIVED, CustodyAction.EDITED]
    events = CustodyEvent.objects.filter(object_type=MediaItem._meta.label_lower, action__in=actions).values(
        "object_id", "action", "details", "sequence"
    )
    received: dict[str, dict[str, Any]] = {}
    arrival_events: dict[int, dict[str, Any]] = {}
    provenance_edits: list[str] = []
    for event in events.order_by("sequence").iterator(chunk_size=2000):
        details = event["details"] or {}
        if event["action"] == CustodyAction.RECEIVED:
            received.setdefault(event["object_id"], details)
        if event["action"] in (CustodyAction.RECEIVED, CustodyAction.DUPLICATE_RECEIVED) and "arrival" in details:
            arrival_events[details["arrival"]] = details
        if event["action"] == CustodyAction.EDITED:
            touched = sorted(set(details.get("fields", [])) & PROVENANCE_NAMES)
            if touched:
                provenance_edits.append(
                    f"event #{event['sequence']} (media item {event['object_id']}) claims to edit provenance "
                    f"({', '.join(touched)}), which never changes"
                )

    problems: list[str] = list(provenance_edits)
    not_recorded: list[str] = []
    legacy_items: set[int] = set()
    columns = ["case_id", "acquired_by_id", *(name for name in PROVENANCE_FIELDS if name != "acquired_by")]
    for item in MediaItem.objects.order_by("pk").only(*columns).iterator(chunk_size=500):
        label = f"media item {item.pk} (case {item.case_id})"
        recorded = received.get(str(item.pk))
        if recorded is None:
            continue  # media_integrity_problems reports a missing `received` event
        if "arrival" not in recorded:
            legacy_items.add(item.pk)
        current = media_provenance(item)
        differing, missing = _differences(recorded, current)
        problems += [f"{label}: {_describe(key, recorded, current)}" for key in differing]
        if missing:
            not_recorded.append(f"{label}: provenance not recorded at intake: {', '.join(missing)}")

    for arrival in MediaArrival.objects.order_by("pk").iterator(chunk_size=500):
        label = f"arrival {arrival.pk} of media item {arrival.item_id}"
        recorded = arrival_events.get(arrival.pk)
        if recorded is None:
            if arrival.item_id in legacy_items:
                not_recorded.append(f"{label}: provenance not recorded at intake")
            else:
                problems.append(f"{label}: no custody event records this arrival")
            continue
        current = arrival_provenance(arrival)
        differing, _missing = _differences(recorded, current)
        problems += [f"{label}: {_describe(key, recorded, current)}" for key in differing]
    return ProvenanceFindings(problems, not_recorded)


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    object_label: str
    problem: str

    def __str__(self) -> str:
        return f"event #{self.sequence} ({self.object_label}): {self.problem}"


def custody_chain_breaks() -> list[ChainBreak]:
    """Re-walk the whole chain; every event must hash to its stored hash and link to its predecessor."""
    breaks: list[ChainBreak] = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for event in CustodyEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        label = f"{event.object_type}:{event.object_id}"
        if event.sequence != expected_sequence:
            breaks.append(
                ChainBreak(
                    event.sequence,
                    label,
                    f"events #{expected_sequence} to #{event.sequence - 1} are missing (deleted)",
                )
            )
        if event.previous_hash != expected_previous:
            breaks.append(ChainBreak(event.sequence, label, "does not link to the event before it"))
        recomputed = hashlib.sha256(event_canonical_form(event)).hexdigest()
        if recomputed != event.event_hash:
            breaks.append(ChainBreak(event.sequence, label, "was edited after it was written (hash mismatch)"))
        expected_previous = event.event_hash
        expected_sequence = event.sequence + 1
    return breaks


def media_integrity_problems(*, chunk_size: int = 1024 * 1024) -> list[str]:
    """Re-hash every stored original and compare it with the hash recorded at intake.

    Checks both the item's column and the `received` custody event, so an edited column is caught too.
    """
    from django.core.files.storage import default_storage

    received_hashes = {
        event["object_id"]: event["details"].get("sha256")
        for event in CustodyEvent.objects.filter(
            action=CustodyAction.RECEIVED, object_type=MediaItem._meta.label_lower
        ).values("object_id", "details")
    }
    problems = []
    for item in MediaItem.objects.order_by("pk").only("pk", "case_id", "sha256", "size_bytes", "original"):
        label = f"media item {item.pk} (case {item.case_id}, SHA-256 {item.sha256[:16]}…)"
        recorded = received_hashes.get(str(item.pk))
        if recorded is None:
            problems.append(f"{label}: no 'received' custody event")
        elif recorded != item.sha256:
            problems.append(f"{label}: hash column differs from the hash recorded at intake ({recorded[:16]}…)")
        try:
            digest = hashlib.sha256()
            size = 0
            with default_storage.open(item.original.name, "rb") as stored:
                while chunk := stored.read(chunk_size):
                    digest.update(chunk)
                    size += len(chunk)
        except FileNotFoundError:
            problems.append(f"{label}: stored original is missing ({item.original.name})")
            continue
        if digest.hexdigest() != (recorded or item.sha256):
            problems.append(f"{label}: stored original was altered (now SHA-256 {digest.hexdigest()[:16]}…)")
        elif size != item.size_bytes:
            problems.append(f"{label}: stored size {size} differs from {item.size_bytes}")
    return problems


def originals_without_record() -> tuple[list[str], list[str]]:
    """Files under originals/ that no media item owns, and temporary `.partial` files left there.

    A stored original always has its item: a file without one was left by an intake that failed after the file
    was in place (and could not be cleaned, the database being away). Partial files belong to an intake under
    way, or to one that was killed.
    """
    from django.core.files.storage import default_storage

    try:
        root = Path(default_storage.path("originals"))
    except NotImplementedError:  # storage without local paths
        return [], []
    if not root.exists():
        return [], []
    owned = set(MediaItem.objects.exclude(original="").values_list("original", flat=True))
    unowned, partial = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root.parent).as_posix()
        if path.name.startswith(".") and path.name.endswith(".partial"):
            partial.append(name)
        elif name not in owned:
            unowned.append(name)
    return unowned, partial
