"""Writes to the search index and to saved searches.

The services that write records (incidents, victims, testimonies, media items) call `search_index` with the
ids they wrote, inside their transaction, so the web pages, the API, the admin, CSV imports and commands all
keep the index current through the one door. `manage.py search_reindex` rebuilds it (after a restore, or to
fill it for records written before search existed).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from casework.errors import Refused, save_checked
from casework.search import documents
from casework.search.models import SavedSearch, SearchEntry
from casework.text import normalise_for_matching

BATCH_SIZE = 1000


def search_index(*, kind: str, ids: Iterable[int]) -> int:
    """Write the index rows of the records of `kind` with these ids (idempotent); returns how many."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    model, build = documents.BUILDERS[kind]
    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            written += _write(kind, build(model.objects.filter(pk__in=batch)))
    return written


def search_index_queryset(*, kind: str, queryset) -> int:
    """Index every record of `queryset` (of `kind`), in batches by id; for the reindex command."""
    model, build = documents.BUILDERS[kind]
    written, last = 0, 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
        if not batch:
            return written
        with transaction.atomic():
            written += _write(kind, build(model.objects.filter(pk__in=batch)))
        last = batch[-1]


def _write(kind: str, built) -> int:
    rows = [
        SearchEntry(case_id=case_id, kind=kind, object_id=record.pk, body=body, document=normalise_for_matching(body))
        for record, case_id, body in built
    ]
    SearchEntry.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["case", "body", "document", "indexed_at"],
    )
    return len(rows)


def search_forget(*, kind: str, ids: Iterable[int]) -> None:
    """Remove the index rows of deleted records."""
    SearchEntry.objects.filter(kind=kind, object_id__in=list(ids)).delete()


def saved_search_create(*, case, actor, name: str, parameters: Mapping[str, Any], shared: bool) -> SavedSearch:
    """Save a search of `case` under `name` (unique per person and case); `parameters` come from SearchForm."""
    name = (name or "").strip()
    if not name:
        raise Refused(_("Give the search a name."), field="name")
    if SavedSearch.objects.filter(case=case, created_by=actor, name=name).exists():
        raise Refused(_("You already have a saved search with this name."), field="name")
    saved = SavedSearch(case=case, created_by=actor, name=name, parameters=dict(parameters), shared=shared)
    save_checked(saved)
    return saved


def saved_search_delete(*, saved: SavedSearch, actor) -> None:
    """Only the person who saved a search deletes it."""
    if saved.created_by_id != actor.pk:
        raise Refused(_("Only the person who saved this search can delete it."))
    saved.delete()
