"""Reads for incident and victim pages."""

from casework.audit.history import Revision, record_revisions
from casework.incidents.models import Victim


def victim_revisions(victim: Victim, *, limit: int = 50) -> list[Revision]:
    """The record's last `limit` revisions, newest first, each with its changes old → new."""
    return record_revisions(victim, limit=limit)
