"""Helpers that tamper with stored evidence the way an attacker with database or disk access could."""

import json
import os
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import connection


@contextmanager
def custody_trigger_disabled():
    """On PostgreSQL a trigger refuses UPDATE/DELETE on custody events; an attacker with owner rights could
    disable it, so the chain itself must still reveal the change."""
    if connection.vendor != "postgresql":
        yield
        return
    # ALTER TABLE waits for no deferred foreign-key checks: run them now.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE evidence_custodyevent DISABLE TRIGGER custody_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE evidence_custodyevent ENABLE TRIGGER custody_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def raw_sql(sql: str, params: list) -> None:
    with custody_trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def flip_one_byte(storage_name: str, offset: int = 100) -> None:
    path = Path(default_storage.path(storage_name))
    os.chmod(path, 0o640)
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def rewrite_and_rechain(event, **changes) -> None:
    """Change an event, then recompute its hash and every later one, as an attacker who knows the hashing
    would: the chain is consistent again, and only a head hash recorded before gives the rewrite away."""
    import hashlib

    from casework.evidence.custody import event_canonical_form
    from casework.evidence.models import CustodyEvent

    previous_hash = event.previous_hash
    for later in CustodyEvent.objects.filter(sequence__gte=event.sequence).order_by("sequence"):
        if later.pk == event.pk:
            for name, value in changes.items():
                setattr(later, name, value)
        later.previous_hash = previous_hash
        later.event_hash = hashlib.sha256(event_canonical_form(later)).hexdigest()
        raw_sql(
            "UPDATE evidence_custodyevent SET details = %s, actor_label = %s, previous_hash = %s, event_hash = %s "
            "WHERE id = %s",
            [json.dumps(later.details, ensure_ascii=False), later.actor_label, later.previous_hash, later.event_hash,
             later.pk],
        )  # fmt: skip
        previous_hash = later.event_hash
