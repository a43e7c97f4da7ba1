"""Case-wide search: which index rows match a query and filters, and the page of hits shown for them.

Matching, PostgreSQL: the normalised query against the `vector` column (migration 0002) as two tsqueries,
'simple' (words as typed, Arabic included) OR 'english' (stems: "entrances" finds "entrance"), web-search
syntax ("a phrase", or); and, for victims, trigram similarity of the name (`%`, pg_trgm), so that a
spelling variant ("Mohamad Alhasan") finds "Mohammed Al-Hassan". Ranked by ts_rank (plus the similarity)
when at most COUNT_LIMIT records match, else newest first (see search_entries).

Matching, SQLite (the documented fallback, for development and tests without PostgreSQL): every normalised
query word, or quoted phrase, must occur in `document` as a substring; a word ending in an English plural or
tense suffix (s, es, ed, ing) is looked for without it. No ranking (newest index rows first) and no
trigram similarity: a spelling variant that normalisation does not fold finds nothing.

Both fold the same way, since index and query go through `normalise_for_matching`.
"""

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from casework.captures.models import Capture
from casework.cases import access
from casework.evidence.models import MediaItem
from casework.evidence.selectors import media_day, media_item_day
from casework.incidents.models import Governorate, Incident, Victim
from casework.search.models import RecordKind, SavedSearch, SearchEntry
from casework.text import normalise_for_matching
from casework.witnesses.models import Testimony, identity_fields_through

# A tsvector over the normalised text; kept by a trigger (migration 0002), indexed by GIN.
TSQUERY_SQL = "(websearch_to_tsquery('simple'::regconfig, %s) || websearch_to_tsquery('english'::regconfig, %s))"
ENGLISH_SUFFIXES = ("ing", "es", "ed", "s")
SNIPPET_WORDS = 30


@dataclass(frozen=True)
class SearchFilters:
    """A validated search (SearchForm.filters()): the text and the filters; None or empty = not filtered."""

    q: str = ""
    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    governorate: Governorate | None = None
    status: str = ""
    verification: str = ""
    has_gps: bool | None = None

    def is_empty(self) -> bool:
        return (
            not self.normalised_query()
            and not any((self.kinds, self.date_from, self.date_to, self.governorate, self.status, self.verification))
            and self.has_gps is None
        )

    def normalised_query(self) -> str:
        return normalise_for_matching(self.q)


@dataclass
class SearchHit:
    kind: str
    kind_label: str
    record: object
    label: str
    url: str
    day: dt.date | None
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _query_terms(normalised: str) -> tuple[list[str], list[str]]:
    """(quoted phrases, other words) of a normalised query; "or" between words is web-search syntax."""
    phrases = [phrase.strip() for phrase in re.findall(r'"([^"]+)"', normalised) if phrase.strip()]
    rest = re.sub(r'"[^"]*"?', " ", normalised)
    words = [word for word in re.findall(r"\w+", rest) if word != "or"]
    return phrases, words


def _english_stem(word: str) -> str:
    for suffix in ENGLISH_SUFFIXES:
        if len(word) > len(suffix) + 3 and word.isascii() and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _kind_scopes(case, user, filters: SearchFilters) -> list[Q]:
    """Per kind of record `user` may see in `case` that the filters leave: the condition on its index rows
    (the kind, and the ids of its records that pass the filters, if any filter applies to it)."""
    kinds = set(filters.kinds or RecordKind.values)
    if not user.has_perm(access.VIEW_MEDIA, case):
        kinds.discard(RecordKind.MEDIA)
        kinds.discard(RecordKind.CAPTURE)
    # A filter only some kinds have keeps only those kinds.
    if filters.status:
        kinds &= {RecordKind.TESTIMONY}
    if filters.verification:
        kinds &= {RecordKind.MEDIA}
    if filters.has_gps is not None:
        kinds &= {RecordKind.INCIDENT, RecordKind.MEDIA}

    date_from, date_to = filters.date_from, filters.date_to
    governorate = filters.governorate
    scopes = []
    for kind in sorted(kinds):
        conditions = Q()
        if kind == RecordKind.INCIDENT:
            model, date_path, governorate_path = Incident, "start_time__date", "governorate"
        elif kind == RecordKind.VICTIM:
            model, date_path, governorate_path = Victim, "incident__start_time__date", "incident__governorate"
        elif kind == RecordKind.TESTIMONY:
            model, date_path, governorate_path = Testimony, "interview_date", "incidents__governorate"
            if filters.status:
                conditions &= Q(status=filters.status)
        elif kind == RecordKind.CAPTURE:
            model, date_path, governorate_path = Capture, "requested_at__date", "incidents__governorate"
        else:
            model, date_path, governorate_path = MediaItem, "search_day", "incidents__governorate"
            if filters.verification:
                conditions &= Q(verification_status=filters.verification)
        if filters.has_gps is not None:
            conditions &= Q(latitude__isnull=not filters.has_gps, longitude__isnull=not filters.has_gps)
        if date_from:
            conditions &= Q(**{f"{date_path}__gte": date_from})
        if date_to:
            conditions &= Q(**{f"{date_path}__lte": date_to})
        if governorate is not None:
            conditions &= Q(**{governorate_path: governorate})
        if conditions:
            records = model.objects.all()
            if kind == RecordKind.MEDIA and (date_from or date_to):
                records = records.alias(search_day=media_day())
            records = records.filter(conditions)
            records = records.filter(incident__case=case) if kind == RecordKind.VICTIM else records.filter(case=case)
            scopes.append(Q(kind=kind, object_id__in=records.values("pk")))
        else:
            scopes.append(Q(kind=kind))
    return scopes


# Counted up to this many (and one more, to know there are more): a count of every match of a common word
# would read all of them.
COUNT_LIMIT = 1000


@dataclass
class SearchResults:
    """The matching index rows in their order ({"id", "kind", "object_id"}), at most COUNT_LIMIT + 1."""

    rows: list[dict]
    ranked: bool

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def more_than_limit(self) -> bool:
        return self.count > COUNT_LIMIT

    def page(self, number, page_size: int):
        """A Django Page of the rows (the first COUNT_LIMIT + 1 matches only)."""
        return Paginator(self.rows, page_size).get_page(number)


def _text_match(filters: SearchFilters) -> Q | None:
    phrases, words = _query_terms(filters.normalised_query())
    if not phrases and not words:
        return None
    if _is_postgresql():
        query = filters.normalised_query()
        text_match = RawSQL(f"search_searchentry.vector @@ {TSQUERY_SQL}", [query, query], output_field=BooleanField())
        name_match = RawSQL(
            "search_searchentry.document %% %s", [" ".join([*phrases, *words])], output_field=BooleanField()
        )
        return Q(text_match) | (Q(kind=RecordKind.VICTIM) & Q(name_match))
    condition = Q()
    for phrase in phrases:
        condition &= Q(document__contains=phrase)
    for word in words:
        condition &= Q(document__contains=_english_stem(word))
    return condition


def _match_parts(*, case, user, filters: SearchFilters) -> list[QuerySet[SearchEntry]]:
    """The matching index rows as disjoint parts: one per kind when a filter names records of that kind (so
    that PostgreSQL can start from those few records, through the (kind, object_id) index, instead of from
    every match of the words), else one."""
    if filters.is_empty():
        return []
    scopes = _kind_scopes(case, user, filters)
    text = _text_match(filters)
    base = SearchEntry.objects.filter(case=case)
    if text is not None:
        base = base.filter(text)
    if any(len(scope) > 1 for scope in scopes):
        return [base.filter(scope) for scope in scopes]
    combined = Q(pk__in=[])
    for scope in scopes:
        combined |= scope
    return [base.filter(combined)]


def search_matches(*, case, user, filters: SearchFilters) -> QuerySet:
    """The (kind, object_id) of every matching index row of `case`; the caller checked that `user` may view
    the case. Records of a kind `user` may not see (media without VIEW_MEDIA) never match; an empty search
    matches nothing."""
    parts = [part.values_list("kind", "object_id") for part in _match_parts(case=case, user=user, filters=filters)]
    return _union(parts) if parts else SearchEntry.objects.none().values_list("kind", "object_id")


def search_rows_query(*, case, user, filters: SearchFilters) -> QuerySet:
    """The first COUNT_LIMIT + 1 matching index rows, newest first, as {"id", "kind", "object_id"}."""
    parts = _match_parts(case=case, user=user, filters=filters)
    if not parts:
        return SearchEntry.objects.none().values("id", "kind", "object_id")
    return _union([part.values("id", "kind", "object_id") for part in parts]).order_by("-id")[: COUNT_LIMIT + 1]


def _union(parts: list[QuerySet]) -> QuerySet:
    """The disjoint parts of `_match_parts` as one query (UNION ALL), or the only part as it is."""
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def search_entries(*, case, user, filters: SearchFilters) -> SearchResults:
    """The matching index rows, best first, up to COUNT_LIMIT + 1 of them: one query, and one more to rank.

    Ranked by relevance (PostgreSQL, with a text) when at most COUNT_LIMIT records match: the rank of those
    few is read by primary key. Otherwise, and on SQLite, newest index rows first: ranking every match of a
    common word would read all of them (narrowing the search brings back the ranking). The text of the rows
    is read for a page only, by `search_hits`.
    """
    rows = list(search_rows_query(case=case, user=user, filters=filters))
    phrases, words = _query_terms(filters.normalised_query())
    ranked = _is_postgresql() and bool(phrases or words) and 1 < len(rows) <= COUNT_LIMIT
    if ranked:
        query = filters.normalised_query()
        rank = RawSQL(f"ts_rank(search_searchentry.vector, {TSQUERY_SQL})", [query, query], output_field=FloatField())
        similarity = RawSQL(
            "similarity(search_searchentry.document, %s)", [" ".join([*phrases, *words])], output_field=FloatField()
        )
        score = rank + Case(When(kind=RecordKind.VICTIM, then=similarity), default=Value(0.0))
        scores = dict(
            SearchEntry.objects.filter(pk__in=[row["id"] for row in rows])
            .annotate(score=score)
            .values_list("id", "score")
        )
        rows.sort(key=lambda row: (scores.get(row["id"], 0.0), row["id"]), reverse=True)
    return SearchResults(rows=rows, ranked=ranked)


def _loaders(case):
    """Per kind: how to fetch the records of some ids (no identity column read), label, URL and day."""
    reference = case.reference
    return {
        RecordKind.INCIDENT: (
            lambda ids: Incident.objects.filter(case=case, pk__in=ids),
            str,
            lambda r: reverse("incidents:incident_detail", args=[reference, r.pk]),
            lambda r: r.start_time.date(),
        ),
        RecordKind.VICTIM: (
            lambda ids: Victim.objects.filter(incident__case=case, pk__in=ids).select_related("incident"),
            lambda r: f"{r} ({r.incident.reference})",
            lambda r: reverse("incidents:victim_detail", args=[reference, r.pk]),
            lambda r: r.incident.start_time.date(),
        ),
        RecordKind.TESTIMONY: (
            lambda ids: (
                Testimony.objects.filter(case=case, pk__in=ids)
                .select_related("witness")
                .defer(*identity_fields_through("witness"))
            ),
            str,
            lambda r: reverse("witnesses:testimony_detail", args=[reference, r.pk]),
            lambda r: r.interview_date,
        ),
        RecordKind.MEDIA: (
            lambda ids: MediaItem.objects.filter(case=case, pk__in=ids).only(
                "id", "case_id", "exhibit_number", "kind", "capture_time", "acquired_at"
            ),
            lambda r: f"{r.exhibit_number} ({r.get_kind_display()})",
            lambda r: reverse("evidence:media_detail", args=[r.pk]),
            media_item_day,
        ),
        RecordKind.CAPTURE: (
            lambda ids: Capture.objects.filter(case=case, pk__in=ids).only(
                "id", "case_id", "title", "url", "requested_at", "captured_at"
            ),
            lambda r: r.title or r.url,
            lambda r: reverse("captures:capture_detail", args=[reference, r.pk]),
            lambda r: (r.captured_at or r.requested_at).date(),
        ),
    }


def search_hits(*, case, entries, filters: SearchFilters) -> list[SearchHit]:
    """The hits for a page of SearchResults rows, in their order: their texts (one query), then one query per
    kind present; rows whose record is gone (or moved out of the case) are left out."""
    rows = list(entries)
    bodies = dict(SearchEntry.objects.filter(pk__in=[row["id"] for row in rows]).values_list("id", "body"))
    entries = [{**row, "body": bodies.get(row["id"], "")} for row in rows]
    loaders = _loaders(case)
    records: dict[tuple[str, int], object] = {}
    for kind in {entry["kind"] for entry in entries}:
        fetch = loaders[kind][0]
        for record in fetch([entry["object_id"] for entry in entries if entry["kind"] == kind]):
            records[(kind, record.pk)] = record
    phrases, words = _query_terms(filters.normalised_query())
    hits = []
    for entry in entries:
        kind = entry["kind"]
        record = records.get((kind, entry["object_id"]))
        if record is None:
            continue
        _, label, url, day = loaders[kind]
        hits.append(
            SearchHit(
                kind=kind,
                kind_label=RecordKind(kind).label,
                record=record,
                label=label(record),
                url=url(record),
                day=day(record),
                snippet=highlight(entry["body"], phrases=phrases, words=words),
            )
        )
    return hits


_WORD = re.compile(r"\w+")


def highlight(text: str, *, phrases: list[str], words: list[str]) -> SafeString:
    """About SNIPPET_WORDS words of `text` around its first match, HTML-escaped, each matching word in <mark>.

    A word of the text matches when its normalised form starts with a query word's normalised form or stem
    (so "الطائرة" is marked for "الطائره", "entrances" for "entrance"), or belongs to a quoted phrase.
    """
    wanted = {_english_stem(word) for word in words}
    for phrase in phrases:
        wanted.update(_english_stem(word) for word in phrase.split())
    tokens = list(_WORD.finditer(text))
    marked = [bool(wanted) and any(normalise_for_matching(t.group()).startswith(w) for w in wanted) for t in tokens]
    if not tokens:
        return mark_safe(html.escape(text[:200]))
    first = marked.index(True) if any(marked) else 0
    start = max(0, first - SNIPPET_WORDS // 3)
    end = min(len(tokens), start + SNIPPET_WORDS)
    pieces = ["…" if start > 0 else ""]
    position = tokens[start].start()
    for index in range(start, end):
        token = tokens[index]
        pieces.append(html.escape(text[position : token.start()]))
        word = html.escape(token.group())
        pieces.append(f"<mark>{word}</mark>" if marked[index] else word)
        position = token.end()
    pieces.append("…" if end < len(tokens) else html.escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece of text is escaped above)


def saved_searches_visible_to(*, case, user) -> QuerySet[SavedSearch]:
    """The case's shared saved searches and `user`'s own."""
    visible = Q(shared=True) | Q(created_by=user)
    return SavedSearch.objects.filter(case=case).filter(visible).select_related("created_by")


def search_incident_ids(*, case, user, filters: SearchFilters) -> list[int]:
    """The incidents a search's hits are about (the hit itself, a victim's incident, a testimony's or a media
    item's or a capture's linked incidents): the scope of a packet requested from a saved search."""
    by_kind: dict[str, list[int]] = {kind: [] for kind in RecordKind.values}
    # Read first, not as subqueries: the text match names the index table, which a subquery would alias.
    for kind, object_id in search_matches(case=case, user=user, filters=filters):
        by_kind[kind].append(object_id)
    ids: set[int] = set()
    ids.update(Incident.objects.filter(case=case, pk__in=by_kind[RecordKind.INCIDENT]).values_list("pk", flat=True))
    ids.update(Victim.objects.filter(pk__in=by_kind[RecordKind.VICTIM]).values_list("incident_id", flat=True))
    ids.update(
        Testimony.incidents.through.objects.filter(testimony_id__in=by_kind[RecordKind.TESTIMONY]).values_list(
            "incident_id", flat=True
        )
    )
    ids.update(
        MediaItem.incidents.through.objects.filter(mediaitem_id__in=by_kind[RecordKind.MEDIA]).values_list(
            "incident_id", flat=True
        )
    )
    ids.update(
        Capture.incidents.through.objects.filter(capture_id__in=by_kind[RecordKind.CAPTURE]).values_list(
            "incident_id", flat=True
        )
    )
    return sorted(ids)


def saved_search_filters(*, case, saved: SavedSearch) -> SearchFilters | None:
    """The filters a saved search stores, validated again (a governorate may have been retired since)."""
    from casework.search.forms import SearchForm  # forms imports this module

    data = QueryDict(mutable=True)
    for name, value in saved.parameters.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    form = SearchForm(data, case=case)
    return form.filters() if form.is_valid() else None


def saved_search_incident_ids(*, case, user, saved_id: int) -> list[int] | None:
    """The incidents behind the hits of a saved search `user` may see (None: no such search for them)."""
    saved = saved_searches_visible_to(case=case, user=user).filter(pk=saved_id).first()
    if saved is None:
        return None
    filters = saved_search_filters(case=case, saved=saved)
    return [] if filters is None else search_incident_ids(case=case, user=user, filters=filters)
