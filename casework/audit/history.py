"""Reads of a record's saved versions (django-simple-history), as pages show them: who, when, and field by field
what changed, old → new, with labels instead of stored codes.

Identity never shows: the history tables of witnesses and media leave identifying fields out altogether, a
related record is loaded without its encrypted columns, and a witness's identity changes are listed from their
own table as "Identity changed" without fields or values.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.web import formatting
from casework.witnesses.crypto import EncryptedTextField

# Recorded by every revision and never a change a reader needs to see.
NOT_CHANGES = frozenset({"id", "version"})
# Stored files and machine-made lists (thumbnails, keyframes, hashes): a storage path is not for people to read,
# and the page shows the file itself.
NOT_SHOWN_FIELDS = (models.FileField, models.JSONField)
REVISION_KINDS = {"+": _("Record created"), "~": _("Record changed"), "-": _("Record deleted")}
LONG_TEXT = 300  # characters of a long text shown in a change; the record's page shows it whole


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Revision:
    """One saved version of a record: when, by whom, how (created, changed, deleted), what changed."""

    when: datetime.datetime
    who: str
    kind: str
    changes: tuple[FieldChange, ...] = ()

    @property
    def changed(self) -> tuple[str, ...]:
        """The labels of the fields this revision changed."""
        return tuple(change.label for change in self.changes)


def _short_label(related: models.Model) -> str:
    for attribute in ("exhibit_number", "reference", "pseudonym"):
        value = getattr(related, attribute, None)
        if value:
            return str(value)
    if hasattr(related, "get_username"):
        return related.get_username()
    return str(related)


def _display(field: models.Field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        found = related.get((field.related_model, value))
        return _short_label(found) if found is not None else gettext("deleted record")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        return formatting.format_datetime(value)
    if isinstance(value, datetime.date):
        return formatting.format_date(value)
    if isinstance(value, Decimal | float):
        return formatting.format_coordinate(value) if isinstance(value, Decimal) else f"{value:g}"
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def _related_records(model: type[models.Model], wanted: dict[type[models.Model], set]) -> dict:
    """{(model, pk): record} for every related id a change names: one query per related model, never reading
    an encrypted column."""
    found = {}
    for related_model, ids in wanted.items():
        encrypted = [f.name for f in related_model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        for pk, record in related_model._base_manager.defer(*encrypted).in_bulk(ids).items():
            found[(related_model, pk)] = record
    return found


def record_revisions(record: models.Model, *, limit: int = 50) -> list[Revision]:
    """The record's last `limit` revisions, newest first, each with its changes old → new. Queries: the
    revisions with who made them, and one per kind of related record a change names."""
    model = type(record)
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    fields = {field.name: field for field in model._meta.concrete_fields}
    pairs = []
    wanted: dict[type[models.Model], set] = {}
    for index, version in enumerate(versions[:limit]):
        earlier = versions[index + 1] if index + 1 < len(versions) else None
        changes = []
        if earlier is not None and version.history_type == "~":
            delta = version.diff_against(earlier, foreign_keys_are_objs=False)
            for change in delta.changes:
                field = fields.get(change.field)
                if field is None or change.field in NOT_CHANGES or isinstance(field, NOT_SHOWN_FIELDS):
                    continue
                changes.append((field, change.old, change.new))
                if field.is_relation:
                    wanted.setdefault(field.related_model, set()).update(
                        value for value in (change.old, change.new) if value is not None
                    )
        pairs.append((version, changes))
    related = _related_records(model, wanted) if wanted else {}
    revisions = []
    for version, changes in pairs:
        if version.history_type == "~" and not changes:
            continue  # saved with nothing a reader would see changed (a version number, a cache)
        user = version.history_user
        revisions.append(
            Revision(
                when=version.history_date,
                who=user.get_username() if user is not None else "",
                kind=str(REVISION_KINDS.get(version.history_type, version.history_type)),
                changes=tuple(
                    FieldChange(
                        field=field.name,
                        label=str(field.verbose_name),
                        old=_display(field, old, related),
                        new=_display(field, new, related),
                    )
                    for field, old, new in changes
                ),
            )
        )
    return revisions


def witness_revisions(witness, *, limit: int = 50) -> list[Revision]:
    """A witness's revisions and identity changes, newest first. An identity change says only that the identity
    changed: its fields and earlier values (encrypted) are not read."""
    revisions = record_revisions(witness, limit=limit)
    identity_changes = (
        witness.identity_changes.select_related("changed_by").only("changed_at", "changed_by__username", "witness_id")
    )[:limit]
    revisions += [
        Revision(when=change.changed_at, who=change.changed_by.get_username(), kind=gettext("Identity changed"))
        for change in identity_changes
    ]
    revisions.sort(key=lambda revision: revision.when, reverse=True)
    return revisions[:limit]
