"""The code paths the scale work replaced, kept only so the benchmarks can measure them beside the new ones in
the same run: page-number pagination with a capped exact count (OFFSET paging), the statistics' recount of
every victim, and the near-duplicate search's Python loop over the case."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

EXACT_COUNT_LIMIT = 10_000


class BoundedCountPaginator(Paginator):
    """Counts the matching records exactly up to a limit; above it the count is None."""

    def __init__(self, *args, count_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_limit = count_limit

    @cached_property
    def count(self) -> int | None:
        if not hasattr(self.object_list, "order_by"):
            return len(self.object_list)
        counted = self.object_list.order_by()[: self.count_limit + 1].count()
        return None if counted > self.count_limit else counted

    @cached_property
    def num_pages(self) -> int | None:
        return None if self.count is None else super().num_pages

    def page(self, number):
        if self.count is not None:
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        self.num_pages = number + 1 if len(rows) > self.per_page else number
        return self._get_page(rows[: self.per_page], number, self)


class LegacyPagination(PageNumberPagination):
    """The former default: ?page=N (OFFSET) with a count capped at EXACT_COUNT_LIMIT."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def django_paginator_class(self, object_list, per_page):
        return BoundedCountPaginator(object_list, per_page, count_limit=EXACT_COUNT_LIMIT)


def totals_by_month_recount(filters) -> dict:
    """The former monthly totals: every victim of the filtered incidents counted again, per request."""
    from casework.incidents.models import VictimQuerySet
    from casework.statistics.selectors.records import victim_totals

    rules = VictimQuerySet
    prefix = "victims__"
    counts = {
        f"counted_{key}": Count("victims", filter=rules.counted_q(prefix) & condition)
        for key, condition in victim_totals(prefix).items()
    }
    per_incident = (
        filters.incidents()
        .order_by()
        .annotate(
            month=TruncMonth("start_time"),
            massacre_victims=Count("victims", filter=rules.massacre_victim_q(prefix)),
            **counts,
        )
        .values("month", "massacre_victims", *counts)
    )
    per_incident_sql, params = per_incident.query.get_compiler(using=per_incident.db).as_sql()
    connection = connections[per_incident.db]
    name = connection.ops.quote_name
    sums = ", ".join(f"COALESCE(SUM(per_incident.{name(key)}), 0)" for key in counts)
    sql = (
        f"SELECT per_incident.{name('month')}, COUNT(*), "
        f"SUM(CASE WHEN per_incident.{name('massacre_victims')} >= %s THEN 1 ELSE 0 END), {sums} "
        f"FROM ({per_incident_sql}) per_incident "
        f"GROUP BY per_incident.{name('month')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (filters.massacre_min, *params))
        return {row[0]: row[1:] for row in cursor.fetchall()}


def killed_by_occupation_recount(filters) -> dict:
    """The former occupation table: the civilians killed counted again from the victims, per request."""
    from casework.statistics.selectors.records import occupation_figures

    columns = occupation_figures()
    return {
        row["occupation__code"]: row
        for row in filters.victims()
        .filter(columns["killed"])
        .order_by()
        .values("occupation__code")
        .annotate(**{key: Count("id", filter=condition) for key, condition in columns.items()})
    }


def statistics_recount(filters) -> None:
    """The two victim-reading queries the summary used to run (the rest of the summary reads incidents only,
    then as now)."""
    totals_by_month_recount(filters)
    killed_by_occupation_recount(filters)


def near_duplicates_loop(item) -> dict[int, int]:
    """{other item id: distance} by the former search: every item of the case read and compared in Python."""
    from casework.evidence.models import MediaItem, ProcessingState
    from casework.evidence.processing import phash_distance
    from casework.evidence.services import NEAR_DUPLICATE_MAX_DISTANCE

    found = {}
    others = (
        MediaItem.objects.filter(case_id=item.case_id, processing_state=ProcessingState.DONE)
        .exclude(pk=item.pk)
        .exclude(perceptual_hashes=[])
        .values_list("pk", "perceptual_hashes")
    )
    for other_id, other_hashes in others.iterator():
        distance = min(phash_distance(a, b) for a in item.perceptual_hashes for b in other_hashes)
        if distance <= NEAR_DUPLICATE_MAX_DISTANCE:
            found[other_id] = distance
    return found
