"""The summary: every figure of the statistics page in a fixed number of queries."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.incidents.models import (
    FacilityType,
    Governorate,
    IncidentMonthRollup,
    IncidentOccupationToll,
    Occupation,
    RollupFacility,
    RollupOccupation,
    RollupWeapon,
    WeaponType,
)
from casework.statistics.selectors.filters import StatisticsFilter, vocabulary_labels
from casework.statistics.selectors.records import (
    HIGHLIGHTED_WEAPONS,
    MEASURES,
    MONTHLY_VICTIM_TOTALS,
    NO_OCCUPATION,
    OCCUPATION_MEASURES,
    PROTECTED_OCCUPATIONS,
    VICTIM_TOTALS,
    occupation_figures,
)

# --- The summary -------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """A number and how to list the records behind it."""

    value: int
    measure: str
    breakdown: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    code: str
    label: str
    figures: dict[str, Figure]
    highlighted: bool = False


@dataclass
class StatisticsSummary:
    filters: StatisticsFilter
    totals: dict[str, Figure]
    occupations: list[Row]  # figures: killed, adult_women_killed, girls_killed
    facilities: list[Row]  # figures: incidents
    weapons: list[Row]  # the columns of the governorate table; figures: incidents
    governorates: list[Row]  # figures: incidents, and one per weapon code (the cells)
    monthly: list[Row]  # code "YYYY-MM"; figures: incidents, civilians_killed, children_killed, adult_women_killed

    def sections(self) -> Iterator[tuple[str, str, str, Figure]]:
        """Every figure as (section, row, column, figure), labels in the current language: the CSV rows."""
        section = str(_("Totals"))
        for key, figure in self.totals.items():
            yield section, str(MEASURES[key].label), "", figure
        section = str(_("Civilians killed by occupation"))
        for row in self.occupations:
            yield section, row.label, str(_("Killed")), row.figures["killed"]
            yield section, row.label, str(_("Of them adult women (18 or over)")), row.figures["adult_women_killed"]
            yield section, row.label, str(_("Of them girls (under 18)")), row.figures["girls_killed"]
        section = str(_("Attacks on vital facilities"))
        for row in self.facilities:
            yield section, row.label, str(_("Incidents")), row.figures["incidents"]
        section = str(_("Incidents by weapon"))
        for row in self.weapons:
            yield section, row.label, str(_("All governorates")), row.figures["incidents"]
        section = str(_("Incidents by governorate and weapon"))
        for row in self.governorates:
            yield section, row.label, str(_("All weapons")), row.figures["incidents"]
            for weapon in self.weapons:
                yield section, row.label, weapon.label, row.figures[weapon.code]
        section = str(_("Monthly"))
        columns = (
            ("incidents", _("Incidents")),
            ("civilians_killed", _("Civilians killed")),
            ("children_killed", _("Children killed")),
            ("adult_women_killed", _("Adult women killed")),
        )
        for row in self.monthly:
            for key, label in columns:
                yield section, row.label, str(label), row.figures[key]

    def figures(self) -> Iterator[Figure]:
        for _section, _row, _column, figure in self.sections():
            yield figure


@dataclass
class MonthTotals:
    incidents: int
    massacres: int
    victims: dict[str, int]  # VICTIM_TOTALS keys


def _totals_by_month(filters: StatisticsFilter) -> dict[str, MonthTotals]:
    """{"YYYY-MM": totals} of the incidents starting in each month; see _totals_by_month_and_governorate."""
    return _totals_by_month_and_governorate(filters, {})[0]


def rollups_apply(filters: StatisticsFilter) -> bool:
    """Whether the monthly rollups (IncidentMonthRollup and its rows) hold exactly the filtered incidents: no
    attribution filter, dates on whole months, months counted in the time zone of the rollups. Otherwise the
    summary adds up the incidents themselves."""
    if filters.party or filters.confidences:
        return False
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return False
    if filters.date_from and filters.date_from.day != 1:
        return False
    return not (filters.date_to and (filters.date_to + dt.timedelta(days=1)).day != 1)


def _rollups(filters: StatisticsFilter) -> QuerySet[IncidentMonthRollup]:
    """The monthly rollups of the filtered incidents (when rollups_apply)."""
    rows = IncidentMonthRollup.objects.filter(case_id__in=filters.case_ids)
    if filters.date_from:
        rows = rows.filter(month__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(month__lte=filters.date_to)
    if filters.governorate:
        rows = rows.filter(governorate__code=filters.governorate)
    return rows


def _totals_by_month_and_governorate(
    filters: StatisticsFilter, governorate_codes: dict[int, str]
) -> tuple[dict[str, MonthTotals], dict[str, int]]:
    if rollups_apply(filters):
        return _rollup_totals_by_month_and_governorate(filters, governorate_codes)
    return _incident_totals_by_month_and_governorate(filters, governorate_codes)


def _rollup_totals_by_month_and_governorate(
    filters: StatisticsFilter, governorate_codes: dict[int, str]
) -> tuple[dict[str, MonthTotals], dict[str, int]]:
    """_totals_by_month_and_governorate from the monthly rollups: one query over a row per case, month and
    governorate. Their massacres count incidents with at least the massacre minimum of the settings; another
    minimum (the massacre_min filter) counts those incidents again, in one more query."""
    rows = _rollups(filters).filter(incidents__gt=0).order_by()
    by_month: dict[str, MonthTotals] = {}
    by_governorate: dict[str, int] = {}
    other_minimum = False
    for month, governorate, incident_count, massacres, minimum, *values in rows.values_list(
        "month", "governorate_id", "incidents", "massacres", "massacre_minimum", *VICTIM_TOTALS
    ):
        totals = by_month.setdefault(_month_code(month), MonthTotals(0, 0, dict.fromkeys(VICTIM_TOTALS, 0)))
        totals.incidents += incident_count
        totals.massacres += massacres
        other_minimum = other_minimum or minimum != filters.massacre_min
        for key, value in zip(VICTIM_TOTALS, values, strict=True):
            totals.victims[key] += value
        code = governorate_codes.get(governorate, str(governorate))
        by_governorate[code] = by_governorate.get(code, 0) + incident_count
    if other_minimum:
        for totals in by_month.values():
            totals.massacres = 0
        for month, massacres in (
            filters.incidents()
            .filter(civilians_killed__gte=filters.massacre_min)
            .order_by()
            .annotate(month=TruncMonth("start_time"))
            .values("month")
            .annotate(massacres=Count("id"))
            .values_list("month", "massacres")
        ):
            by_month[_month_code(month)].massacres = massacres
    return by_month, by_governorate


def _incident_totals_by_month_and_governorate(
    filters: StatisticsFilter, governorate_codes: dict[int, str]
) -> tuple[dict[str, MonthTotals], dict[str, int]]:
    """{"YYYY-MM": totals} of the incidents starting in each month (in the current time zone, like the month=
    of records_behind), and {governorate code: incidents}, in one query over the incidents alone (grouped by
    the governorate's id, mapped to its code by `governorate_codes`: no join, so a hash of a few hundred groups).

    Each incident's tolls (civilians_killed and the rest, each person once) are written from its victims in
    the same transaction as every victim change (incidents.services.incident_refresh_tolls), so adding them
    up gives exactly what counting the victims would, at the cost of the incidents rather than the victims.
    A massacre is an incident with at least `filters.massacre_min` civilians killed (which is exactly the
    massacre rule's count: counted civilians killed).
    """
    rows = (
        filters.incidents()
        .order_by()
        .annotate(month=TruncMonth("start_time"))
        .values("month", "governorate_id")
        .annotate(
            incident_count=Count("id"),
            massacres=Count("id", filter=Q(civilians_killed__gte=filters.massacre_min)),
            **{f"sum_{key}": Sum(key) for key in VICTIM_TOTALS},
        )
        .values_list("month", "governorate_id", "incident_count", "massacres", *(f"sum_{key}" for key in VICTIM_TOTALS))
    )
    by_month: dict[str, MonthTotals] = {}
    by_governorate: dict[str, int] = {}
    for month, governorate, incident_count, massacres, *values in rows:
        totals = by_month.setdefault(_month_code(month), MonthTotals(0, 0, dict.fromkeys(VICTIM_TOTALS, 0)))
        totals.incidents += int(incident_count)
        totals.massacres += int(massacres)
        for key, value in zip(VICTIM_TOTALS, values, strict=True):
            totals.victims[key] += int(value or 0)
        code = governorate_codes.get(governorate, str(governorate))
        by_governorate[code] = by_governorate.get(code, 0) + int(incident_count)
    return by_month, by_governorate


def _killed_by_occupation(
    filters: StatisticsFilter, occupation_codes: dict[int, str] | None = None
) -> dict[str, dict[str, int]]:
    """{occupation code or NO_OCCUPATION: {killed, adult_women_killed, girls_killed}} of the filtered incidents,
    added up from their IncidentOccupationToll rows (written with the victims, like the incident's tolls), or
    from the monthly rollups' RollupOccupation rows when rollups_apply."""
    if rollups_apply(filters):
        rows = RollupOccupation.objects.order_by().filter(rollup__in=_rollups(filters).values("pk"))
    elif filters.narrows_incidents:
        rows = IncidentOccupationToll.objects.order_by().filter(incident__in=filters.incidents().values("pk"))
    else:
        rows = IncidentOccupationToll.objects.order_by().filter(incident__case_id__in=filters.case_ids)
    columns = tuple(occupation_figures())
    if occupation_codes is None:
        occupation_codes = dict(Occupation.objects.values_list("id", "code"))
    by_code: dict[str, dict[str, int]] = {}
    for row in rows.values("occupation_id").annotate(**{key: Sum(key) for key in columns}):
        code = occupation_codes.get(row["occupation_id"], NO_OCCUPATION) if row["occupation_id"] else NO_OCCUPATION
        figures = by_code.setdefault(code, dict.fromkeys(columns, 0))
        for key in columns:
            figures[key] += int(row[key])
    return by_code


def _month_code(value: dt.date | str) -> str:
    """The "YYYY-MM" of a TruncMonth read through a plain cursor (a datetime, or text on SQLite) or of a
    rollup's month (a date)."""
    if isinstance(value, str):
        return value[:7]
    return f"{value.year:04d}-{value.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def statistics_summary(filters: StatisticsFilter) -> StatisticsSummary:
    """Every figure of the statistics page, in 8 queries whatever the number of records:
    4 vocabularies (occupation, facility, weapon, governorate), incidents, massacres and victim tolls by month
    and governorate (the totals and the governorate rows add them up), occupations, facilities, governorate ×
    weapon. An incident is listed once per weapon or facility (each pair is stored once), so those count rows.
    None reads the victims: the victim figures add up the tolls written with them (see _totals_by_month), so
    the cost follows the number of incidents, not of victims; and when rollups_apply, none reads the incidents
    either: the monthly rollups recounted with every write hold their sums, so the cost follows the months.
    """
    case_ids = filters.case_ids
    # The figures are grouped by term id (no join to the vocabularies), then added up by code.
    codes: dict[str, dict[int, str]] = {"occupation": {}, "facility": {}, "weapon": {}, "governorate": {}}
    occupation_labels = vocabulary_labels(Occupation, case_ids, codes["occupation"])
    facility_labels = vocabulary_labels(FacilityType, case_ids, codes["facility"])
    weapon_labels = vocabulary_labels(WeaponType, case_ids, codes["weapon"])
    governorate_labels = vocabulary_labels(Governorate, case_ids, codes["governorate"])

    incidents = filters.incidents()
    by_month, by_governorate = _totals_by_month_and_governorate(filters, codes["governorate"])

    def total(key: str) -> int:
        return sum(month.victims[key] for month in by_month.values())

    totals = {
        "incidents": Figure(sum(month.incidents for month in by_month.values()), "incidents"),
        "civilians_killed": Figure(total("civilians_killed"), "civilians_killed"),
        "children_killed": Figure(total("children_killed"), "children_killed"),
        "adult_women_killed": Figure(total("adult_women_killed"), "adult_women_killed"),
        "massacres": Figure(sum(month.massacres for month in by_month.values()), "massacres"),
        "injured": Figure(total("injured"), "injured"),
        "civilians_injured": Figure(total("civilians_injured"), "civilians_injured"),
    }

    columns = occupation_figures()
    by_occupation = _killed_by_occupation(filters, codes["occupation"])
    occupation_rows = list(occupation_labels.items()) + [(NO_OCCUPATION, (str(_("Not recorded")), True))]
    occupations = [
        Row(
            code,
            label,
            {
                key: Figure(by_occupation.get(code, {}).get(key, 0), OCCUPATION_MEASURES[key], {"occupation": code})
                for key in columns
            },
            highlighted=code in PROTECTED_OCCUPATIONS,
        )
        for code, (label, is_active) in occupation_rows
        if is_active or code in by_occupation
    ]
    occupations.sort(key=lambda row: (not row.highlighted, row.code == NO_OCCUPATION))

    with_rollups = rollups_apply(filters)
    if with_rollups:
        rollup_ids = _rollups(filters).values("pk")
        facility_counts = (
            RollupFacility.objects.filter(rollup__in=rollup_ids)
            .order_by()
            .values("facility_id")
            .annotate(incidents=Sum("incidents"))
            .values_list("facility_id", "incidents")
        )
        cell_counts = (
            RollupWeapon.objects.filter(rollup__in=rollup_ids)
            .order_by()
            .values("rollup__governorate_id", "weapon_id")
            .annotate(incidents=Sum("incidents"))
            .values_list("rollup__governorate_id", "weapon_id", "incidents")
        )
    else:
        facility_counts = (
            incidents.filter(facilities_hit__isnull=False)
            .order_by()
            .values("facilities_hit")
            .annotate(incidents=Count("id"))
            .values_list("facilities_hit", "incidents")
        )
        cell_counts = (
            incidents.filter(weapons__isnull=False)
            .order_by()
            .values("governorate_id", "weapons")
            .annotate(incidents=Count("id"))
            .values_list("governorate_id", "weapons", "incidents")
        )
    by_facility: dict[str, int] = {}
    for facility_id, count in facility_counts:
        code = codes["facility"][facility_id]
        by_facility[code] = by_facility.get(code, 0) + count
    facilities = [
        Row(code, label, {"incidents": Figure(by_facility.get(code, 0), "facility_incidents", {"facility": code})})
        for code, (label, is_active) in facility_labels.items()
        if is_active or code in by_facility
    ]

    cells: dict[tuple[str, str], int] = {}
    for governorate_id, weapon_id, count in cell_counts:
        cell = (codes["governorate"][governorate_id], codes["weapon"][weapon_id])
        cells[cell] = cells.get(cell, 0) + count
    weapon_totals: dict[str, int] = {}
    for (_governorate, weapon), count in cells.items():
        # Each incident lies in one governorate, so a weapon's cells add up to its incidents.
        weapon_totals[weapon] = weapon_totals.get(weapon, 0) + count
    weapons = [
        Row(
            code,
            label,
            {"incidents": Figure(weapon_totals.get(code, 0), "weapon_incidents", {"weapon": code})},
            highlighted=code in HIGHLIGHTED_WEAPONS,
        )
        for code, (label, _is_active) in weapon_labels.items()
        if code in weapon_totals or code in HIGHLIGHTED_WEAPONS
    ]
    weapons.sort(key=lambda row: not row.highlighted)
    governorates = []
    for code, (label, _is_active) in governorate_labels.items():
        if code not in by_governorate:
            continue
        figures = {"incidents": Figure(by_governorate[code], "incidents", {"governorate": code})}
        for weapon in weapons:
            figures[weapon.code] = Figure(
                cells.get((code, weapon.code), 0), "weapon_incidents", {"weapon": weapon.code, "governorate": code}
            )
        governorates.append(Row(code, label, figures))

    monthly = []
    if by_month:
        for month in _months_between(min(by_month), max(by_month)):
            totals_of_month = by_month.get(month)
            monthly.append(
                Row(
                    month,
                    month,
                    {
                        "incidents": Figure(
                            totals_of_month.incidents if totals_of_month else 0, "monthly_incidents", {"month": month}
                        ),
                        **{
                            key: Figure(
                                totals_of_month.victims[key] if totals_of_month else 0,
                                f"monthly_{key}",
                                {"month": month},
                            )
                            for key in MONTHLY_VICTIM_TOTALS
                        },
                    },
                )
            )

    return StatisticsSummary(
        filters=filters,
        totals=totals,
        occupations=occupations,
        facilities=facilities,
        weapons=weapons,
        governorates=governorates,
        monthly=monthly,
    )
