"""Reads for incident and victim pages."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from casework.incidents.models import Victim

# Recorded by every revision and never shown as a change.
_NOT_CHANGES = frozenset({"id"})
REVISION_KINDS = {"+": _("Record created"), "~": _("Record changed"), "-": _("Record deleted")}


@dataclass(frozen=True)
class Revision:
    """One saved version of a record: when, by whom, how (created, changed, deleted), which fields changed."""

    when: datetime
    who: str
    kind: str
    changed: tuple[str, ...]


def victim_revisions(victim: Victim, *, limit: int = 50) -> list[Revision]:
    """The record's last `limit` revisions, newest first, each with the labels of the fields it changed (not the
    values: the page shows the record as it is). Two queries: the revisions with who made them."""
    records = list(victim.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    labels = {field.name: str(field.verbose_name) for field in Victim._meta.fields}
    revisions = []
    for index, record in enumerate(records[:limit]):
        earlier = records[index + 1] if index + 1 < len(records) else None
        changed: tuple[str, ...] = ()
        if earlier is not None and record.history_type == "~":
            delta = record.diff_against(earlier, foreign_keys_are_objs=False)
            changed = tuple(labels.get(name, name) for name in delta.changed_fields if name not in _NOT_CHANGES)
        user = record.history_user
        revisions.append(
            Revision(
                when=record.history_date,
                who=user.get_username() if user is not None else "",
                kind=str(REVISION_KINDS.get(record.history_type, record.history_type)),
                changed=changed,
            )
        )
    return revisions
