"""Helpers that tamper with stored evidence the way an attacker with database or disk access could."""

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
