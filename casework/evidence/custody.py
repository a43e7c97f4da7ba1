"""The custody chain: append and verify. The only code that writes CustodyEvent rows."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from casework.evidence.models import CustodyAction, CustodyEvent

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


def _lock_chain() -> None:
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
        _lock_chain()
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

    from casework.evidence.models import MediaItem

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
