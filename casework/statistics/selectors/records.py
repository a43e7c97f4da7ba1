"""The measures a figure can count, their rules, and the exact records behind each figure."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from casework.incidents.models import (
    FacilityType,
    Incident,
    Occupation,
    Victim,
    VictimQuerySet,
    WeaponType,
)
from casework.statistics.selectors.filters import StatisticsFilter

HIGHLIGHTED_WEAPONS = ("cluster-munition", "incendiary")
# Occupation categories a report lists on their own (attacks on these workers are violations in themselves).
PROTECTED_OCCUPATIONS = ("medical-personnel", "civil-defence", "media-worker")
NO_OCCUPATION = "none"
MONTH_FORMAT = "%Y-%m"


def victim_totals(prefix: str = "") -> dict[str, Q]:
    """The victim totals and the condition on the (counted) victims behind each, from the rules of
    VictimQuerySet; with `prefix` ("victims__"), the same conditions seen from an incident."""
    rules = VictimQuerySet
    killed = rules.killed_civilian_q(prefix)
    return {
        "civilians_killed": killed,
        "children_killed": killed & rules.child_q(prefix),
        "adult_women_killed": killed & rules.adult_woman_q(prefix),
        # Everyone injured, whatever their civilian status, like the incident's toll; the civilians among them
        # are a figure of their own.
        "injured": rules.injured_q(prefix),
        "civilians_injured": rules.injured_civilian_q(prefix),
    }


def occupation_figures() -> dict[str, Q]:
    """The columns of the occupation table: civilians killed, and of them adult women and girls (apart, as
    every other figure keeps women 18 or over apart from children)."""
    rules = VictimQuerySet
    killed = rules.killed_civilian_q()
    return {
        "killed": killed,
        "adult_women_killed": killed & rules.adult_woman_q(),
        "girls_killed": killed & rules.girl_q(),
    }


VICTIM_TOTALS = tuple(victim_totals())
MONTHLY_VICTIM_TOTALS = ("civilians_killed", "children_killed", "adult_women_killed")
# The measure behind each column of the occupation table.
OCCUPATION_MEASURES = {
    "killed": "killed_by_occupation",
    "adult_women_killed": "adult_women_killed_by_occupation",
    "girls_killed": "girls_killed_by_occupation",
}


def _victim_condition(measure: str) -> Q:
    totals = victim_totals()
    by_occupation = {OCCUPATION_MEASURES[key]: condition for key, condition in occupation_figures().items()}
    monthly = {f"monthly_{key}": totals[key] for key in MONTHLY_VICTIM_TOTALS}
    return {**totals, **by_occupation, **monthly}[measure]


class BadParameter(ValueError):
    """A query parameter that names no measure, lacks a breakdown, or is malformed; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Measure:
    records: str  # "victims" or "incidents"
    label: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


MEASURES: dict[str, Measure] = {
    "incidents": Measure("incidents", _("Incidents"), optional=("governorate",)),
    "massacres": Measure("incidents", _("Massacres")),
    "civilians_killed": Measure("victims", _("Civilians killed")),
    "children_killed": Measure("victims", _("Children killed")),
    "adult_women_killed": Measure("victims", _("Adult women killed")),
    "injured": Measure("victims", _("Injured")),
    "civilians_injured": Measure("victims", _("Civilians injured")),
    "killed_by_occupation": Measure("victims", _("Civilians killed by occupation"), required=("occupation",)),
    "adult_women_killed_by_occupation": Measure(
        "victims", _("Adult women (18 or over) killed by occupation"), required=("occupation",)
    ),
    "girls_killed_by_occupation": Measure(
        "victims", _("Girls (under 18) killed by occupation"), required=("occupation",)
    ),
    "facility_incidents": Measure("incidents", _("Attacks on vital facilities"), required=("facility",)),
    "weapon_incidents": Measure("incidents", _("Incidents by weapon"), required=("weapon",), optional=("governorate",)),
    "monthly_incidents": Measure("incidents", _("Incidents in the month"), required=("month",)),
    "monthly_civilians_killed": Measure("victims", _("Civilians killed in the month"), required=("month",)),
    "monthly_children_killed": Measure("victims", _("Children killed in the month"), required=("month",)),
    "monthly_adult_women_killed": Measure("victims", _("Adult women killed in the month"), required=("month",)),
}
BREAKDOWN_KEYS = ("occupation", "facility", "weapon", "governorate", "month")


def _massacres(incidents: QuerySet[Incident], massacre_min: int) -> QuerySet[Incident]:
    """Incidents with at least `massacre_min` civilians killed, counted from the victims (each person once),
    not from Incident.is_massacre, which follows the default threshold rather than `massacre_min`."""
    return (
        incidents.order_by()
        .annotate(massacre_victims=Count("victims", filter=VictimQuerySet.massacre_victim_q("victims__")))
        .filter(massacre_victims__gte=massacre_min)
    )


# --- The records behind a figure ---------------------------------------------------------------------------


def _month_bounds(value: str) -> tuple[int, int]:
    try:
        month = dt.datetime.strptime(value, MONTH_FORMAT)
    except (TypeError, ValueError):
        raise BadParameter("month", str(_("Give the month as YYYY-MM."))) from None
    return month.year, month.month


def _check_breakdown(measure: str, breakdown: dict[str, str]) -> Measure:
    spec = MEASURES.get(measure)
    if spec is None:
        raise BadParameter("measure", str(_("Unknown measure: %(measure)s.") % {"measure": measure}))
    for key in spec.required:
        if not breakdown.get(key):
            raise BadParameter(key, str(_("This measure needs the parameter %(name)s.") % {"name": key}))
    allowed = set(spec.required) | set(spec.optional)
    for key, value in breakdown.items():
        if value and key not in allowed:
            raise BadParameter(key, str(_("This measure does not take the parameter %(name)s.") % {"name": key}))
    return spec


def records_behind(measure: str, filters: StatisticsFilter, **breakdown: str) -> QuerySet:
    """The exact victims or incidents behind a figure: its count always equals the figure.

    `breakdown` narrows to one row or cell: occupation= (a code, or "none"), facility=, weapon=,
    governorate= (codes) and month= ("YYYY-MM", month of the incident start). Raises BadParameter for an
    unknown measure or a missing or misplaced breakdown. Victims come with their incident and case, incidents
    with their case and governorate.
    """
    breakdown = {key: value for key, value in breakdown.items() if value}
    spec = _check_breakdown(measure, breakdown)
    incidents = filters.incidents()
    narrowed = measure == "massacres" or any(key in breakdown for key in ("governorate", "month", "weapon", "facility"))
    if "governorate" in breakdown:
        incidents = incidents.filter(governorate__code=breakdown["governorate"])
    if "month" in breakdown:
        year, month = _month_bounds(breakdown["month"])
        incidents = incidents.filter(start_time__year=year, start_time__month=month)
    if "weapon" in breakdown:
        incidents = incidents.filter(
            Exists(
                Incident.weapons.through.objects.filter(
                    incident_id=OuterRef("pk"), weapontype__code=breakdown["weapon"]
                )
            )
        )
    if "facility" in breakdown:
        incidents = incidents.filter(
            Exists(
                Incident.facilities_hit.through.objects.filter(
                    incident_id=OuterRef("pk"), facilitytype__code=breakdown["facility"]
                )
            )
        )
    if measure == "massacres":
        incidents = incidents.filter(pk__in=_massacres(incidents, filters.massacre_min).values("pk"))

    if spec.records == "incidents":
        return incidents.select_related("case", "governorate").order_by("-start_time", "id")

    victims = filters.victims(incidents if narrowed else None)
    victims = victims.filter(_victim_condition(measure))
    if "occupation" in breakdown:
        occupation = breakdown["occupation"]
        if occupation == NO_OCCUPATION:
            victims = victims.filter(occupation__isnull=True)
        else:
            victims = victims.filter(occupation__code=occupation)
    return victims.select_related("incident__case", "occupation").order_by("-incident__start_time", "id")


def breakdown_from_params(params: QueryDict, filters: StatisticsFilter) -> tuple[str, dict[str, str]]:
    """The measure and breakdown named by GET parameters, with codes checked against the vocabularies.

    `governorate` is a filter parameter already (a governorate row is the same filter), so it is not read
    here. Raises BadParameter. At most one query per code given.
    """
    measure = params.get("measure", "")
    if not measure:
        raise BadParameter("measure", str(_("Say which figure: the parameter measure is missing.")))
    breakdown = {key: params.get(key, "") for key in ("occupation", "facility", "weapon", "month")}
    breakdown = {key: value for key, value in breakdown.items() if value}
    _check_breakdown(measure, breakdown)
    vocabularies = {"occupation": Occupation, "facility": FacilityType, "weapon": WeaponType}
    for key, model in vocabularies.items():
        code = breakdown.get(key)
        if not code or (key == "occupation" and code == NO_OCCUPATION):
            continue
        known = model.objects.filter(Q(case__isnull=True) | Q(case_id__in=filters.case_ids), code=code).exists()
        if not known:
            raise BadParameter(key, str(_("Unknown code: %(code)s.") % {"code": code}))
    if "month" in breakdown:
        _month_bounds(breakdown["month"])
    return measure, breakdown


def merged_records(filters: StatisticsFilter) -> int:
    """Victim records of the filtered incidents merged into another record of the same person (record linkage):
    the records left out of every figure because their person is counted through another record."""
    if filters.narrows_incidents:
        victims = Victim.objects.filter(incident__in=filters.incidents().values("pk"))
    else:
        victims = Victim.objects.filter(incident__case_id__in=filters.case_ids)
    return victims.filter(duplicate_of__isnull=False).count()


def with_cluster_sizes(victims: QuerySet) -> QuerySet:
    """The victims, each with `merged_records`: how many other records of the same person were merged into it
    (a subquery, no query more)."""
    merged = (
        Victim.objects.filter(duplicate_of=OuterRef("pk"))
        .order_by()
        .values("duplicate_of")
        .annotate(records=Count("pk"))
        .values("records")
    )
    return victims.annotate(merged_records=Coalesce(Subquery(merged), 0))
