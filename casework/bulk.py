"""Bulk actions: one single-item service applied to each selected record in turn.

Each record goes through the same service as its own page (its own transaction, its own rules: the two-person
rule, a verified testimony staying unchanged...). A refusal is kept with the record it names and the rest are
applied, so a person sees which ones were not changed and why.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from casework.errors import Refused

Record = TypeVar("Record")


@dataclass
class BulkOutcome:
    applied: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (the record's label, why)


def bulk_apply(
    records: Iterable[Record], *, label: Callable[[Record], str], apply: Callable[[Record], object]
) -> BulkOutcome:
    """Call `apply` on each record; a Refused (EditConflict too) or PermissionDenied refuses that record only."""
    outcome = BulkOutcome()
    for record in records:
        try:
            apply(record)
        except Refused as refusal:
            outcome.refused.append((label(record), str(refusal)))
        except PermissionDenied:
            outcome.refused.append((label(record), _("Your role on this case does not allow this.")))
        else:
            outcome.applied.append(label(record))
    return outcome
