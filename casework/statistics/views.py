import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from casework.statistics.selectors import (
    MEASURES,
    BadParameter,
    breakdown_from_params,
    merged_records,
    records_behind,
    statistics_filter_form,
    statistics_summary,
    with_cluster_sizes,
)
from casework.web.listing import paginated

CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Tolls of one case or every case the person may see statistics of; 403 if none, 404 for another case."""
    form = statistics_filter_form(request.user, request.GET)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "statistics/overview.html", context, status=400)
    filters = form.statistics_filter()
    summary = statistics_summary(filters)
    context.update(
        summary=summary,
        merged_records=merged_records(filters),
        filter_query=filters.as_query(),
        max_monthly_killed=max((row.figures["civilians_killed"].value for row in summary.monthly), default=0),
        max_monthly_incidents=max((row.figures["incidents"].value for row in summary.monthly), default=0),
        max_occupation_killed=max((row.figures["killed"].value for row in summary.occupations), default=0),
        max_facility_incidents=max((row.figures["incidents"].value for row in summary.facilities), default=0),
    )
    return render(request, "statistics/overview.html", context)


@login_required
def records(request: HttpRequest) -> HttpResponse:
    """The records behind one figure of the overview, with the same filters; 400 for a bad measure."""
    form = statistics_filter_form(request.user, request.GET)
    if not form.is_valid():
        return render(request, "statistics/records.html", {"form": form}, status=400)
    filters = form.statistics_filter()
    try:
        measure, breakdown = breakdown_from_params(request.GET, filters)
        queryset = records_behind(measure, filters, **breakdown)
    except BadParameter as error:
        return render(request, "statistics/records.html", {"form": form, "parameter_error": error}, status=400)
    if MEASURES[measure].records == "victims":
        queryset = with_cluster_sizes(queryset)
    overview_query = filters.as_query()
    context = {
        "form": form,
        "measure": MEASURES[measure],
        "breakdown": sorted(
            {**breakdown, **({"governorate": filters.governorate} if filters.governorate else {})}.items()
        ),
        "overview_query": overview_query.urlencode(),
        **paginated(request, queryset),
    }
    return render(request, "statistics/records.html", context)


def _csv_cell(value) -> str | int:
    """Labels come from people; one starting like a formula must not run in a spreadsheet."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES):
        return "'" + value
    return value


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Every figure of the overview, with the same filters, as CSV rows: section, row, column, value."""
    form = statistics_filter_form(request.user, request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    summary = statistics_summary(form.statistics_filter())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="casework-statistics.csv"'
    # A byte-order mark so that spreadsheet programs read Arabic labels as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Section"), _("Row"), _("Column"), _("Value"), _("Measure"), _("Breakdown")])
    for section, row, column, figure in summary.sections():
        breakdown = " ".join(f"{key}={value}" for key, value in figure.breakdown.items())
        writer.writerow(
            [_csv_cell(section), _csv_cell(row), _csv_cell(column), figure.value, figure.measure, breakdown]
        )
    return response
