"""Statistics of tolls: the figures a report like SNHR's needs, and the exact records behind each figure.

Every figure is computed by the database (aggregate() or values().annotate()), in a fixed number of queries
whatever the number of records. Victims a reviewer linked as duplicates are always left out (`counted()`);
attribution filters are Exists subqueries, so no join ever multiplies a row. The victims are read twice per
summary: once aggregated per incident (totals, massacres, months), once by occupation.

Each figure carries its measure and breakdown: `records_behind(figure.measure, filters, **figure.breakdown)`
is exactly the set of records counted, which is what the "records" links of the page and the API show.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404, QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.cases import access
from casework.cases.models import Case
from casework.cases.selectors import cases_permitting
from casework.incidents.models import (
    Attribution,
    AttributionConfidence,
    CombatantStatus,
    FacilityType,
    Governorate,
    Incident,
    Occupation,
    Party,
    Sex,
    Victim,
    VictimQuerySet,
    VictimStatus,
    WeaponType,
)

HIGHLIGHTED_WEAPONS = ("cluster-munition", "incendiary")
# Occupation categories a report lists on their own (attacks on these workers are violations in themselves).
PROTECTED_OCCUPATIONS = ("medical-personnel", "civil-defence", "media-worker")
NO_OCCUPATION = "none"
MONTH_FORMAT = "%Y-%m"

KILLED_CIVILIAN = Q(status=VictimStatus.KILLED, combatant_status=CombatantStatus.CIVILIAN)
# The same rule as casework.incidents.services.incident_tolls: every injured person, whatever their status;
# the civilians among them are a figure of their own.
INJURED = Q(status=VictimStatus.INJURED)
INJURED_CIVILIAN = Q(status=VictimStatus.INJURED, combatant_status=CombatantStatus.CIVILIAN)
# The victim totals and the condition on the (counted) victims behind each.
VICTIM_TOTALS: Mapping[str, Q] = {
    "civilians_killed": KILLED_CIVILIAN,
    "children_killed": KILLED_CIVILIAN & VictimQuerySet.child_q(),
    "adult_women_killed": KILLED_CIVILIAN & VictimQuerySet.adult_woman_q(),
    "injured": INJURED,
    "civilians_injured": INJURED_CIVILIAN,
}
MONTHLY_VICTIM_TOTALS = ("civilians_killed", "children_killed", "adult_women_killed")


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
    "women_killed_by_occupation": Measure("victims", _("Women killed by occupation"), required=("occupation",)),
    "facility_incidents": Measure("incidents", _("Attacks on vital facilities"), required=("facility",)),
    "weapon_incidents": Measure("incidents", _("Incidents by weapon"), required=("weapon",), optional=("governorate",)),
    "monthly_incidents": Measure("incidents", _("Incidents in the month"), required=("month",)),
    "monthly_civilians_killed": Measure("victims", _("Civilians killed in the month"), required=("month",)),
    "monthly_children_killed": Measure("victims", _("Children killed in the month"), required=("month",)),
    "monthly_adult_women_killed": Measure("victims", _("Adult women killed in the month"), required=("month",)),
}
BREAKDOWN_KEYS = ("occupation", "facility", "weapon", "governorate", "month")


def default_massacre_min() -> int:
    return getattr(settings, "CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED", 5)


@dataclass(frozen=True)
class StatisticsFilter:
    """Which incidents count: the cases in scope and the filters of the form, already validated."""

    case_ids: tuple[int, ...]
    case_reference: str = ""  # "" for every case the person may see statistics of
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    party: str = ""
    governorate: str = ""
    confidences: tuple[str, ...] = ()
    massacre_min: int = field(default_factory=default_massacre_min)

    @property
    def narrows_incidents(self) -> bool:
        """Whether anything but the cases selects the incidents."""
        return bool(self.date_from or self.date_to or self.party or self.governorate or self.confidences)

    def incidents(self) -> QuerySet[Incident]:
        incidents = Incident.objects.filter(case_id__in=self.case_ids)
        if self.date_from:
            incidents = incidents.filter(start_time__date__gte=self.date_from)
        if self.date_to:
            incidents = incidents.filter(start_time__date__lte=self.date_to)
        if self.governorate:
            incidents = incidents.filter(governorate__code=self.governorate)
        if self.party or self.confidences:
            # One attribution must match both the party and the confidence.
            attributions = Attribution.objects.filter(incident=OuterRef("pk"))
            if self.party:
                attributions = attributions.filter(party__code=self.party)
            if self.confidences:
                attributions = attributions.filter(confidence__in=self.confidences)
            incidents = incidents.filter(Exists(attributions))
        return incidents

    def victims(self, incidents: QuerySet[Incident] | None = None) -> VictimQuerySet:
        """Victims of the filtered incidents (or of `incidents`, a narrower set), each person once."""
        if incidents is None and not self.narrows_incidents:
            # The case of the incident, joined, rather than a subquery of every incident of the cases.
            return Victim.objects.counted().filter(incident__case_id__in=self.case_ids)
        incidents = self.incidents() if incidents is None else incidents
        return Victim.objects.counted().filter(incident__in=incidents.values("pk"))

    def as_query(self) -> QueryDict:
        """The GET parameters that reproduce this filter (for links to the records and the export)."""
        query = QueryDict(mutable=True)
        if self.case_reference:
            query["case"] = self.case_reference
        if self.date_from:
            query["date_from"] = self.date_from.isoformat()
        if self.date_to:
            query["date_to"] = self.date_to.isoformat()
        if self.party:
            query["party"] = self.party
        if self.governorate:
            query["governorate"] = self.governorate
        if self.confidences:
            query.setlist("confidence", list(self.confidences))
        if self.massacre_min != default_massacre_min():
            query["massacre_min"] = str(self.massacre_min)
        return query


def vocabulary_labels(model, case_ids) -> dict[str, tuple[str, bool]]:
    """{code: (label in the current language, active)} of the terms shared or added to these cases.

    A case may add a term whose code is also a shared code; figures group by code, labelled by the shared
    term. One query.
    """
    arabic = get_language() == "ar"
    terms: dict[str, tuple[str, bool, bool]] = {}
    rows = model.objects.filter(Q(case__isnull=True) | Q(case_id__in=case_ids)).values_list(
        "code", "name", "name_ar", "is_active", "case_id"
    )
    for code, name, name_ar, is_active, case_id in rows:
        shared = case_id is None
        if code in terms and not (shared and not terms[code][2]):
            continue
        terms[code] = ((name_ar if arabic and name_ar else name), is_active, shared)
    ordered = sorted(terms.items(), key=lambda item: item[1][0].casefold())
    return {code: (label, is_active) for code, (label, is_active, _shared) in ordered}


def statistics_cases(user) -> list[Case]:
    """The cases a person may see statistics of; PermissionDenied if there is none."""
    cases = list(cases_permitting(user, access.VIEW_STATISTICS).order_by("reference"))
    if not cases:
        raise PermissionDenied
    return cases


class StatisticsFilterForm(forms.Form):
    """Validates the GET parameters of the page, the export and the API into a StatisticsFilter."""

    case = forms.ChoiceField(label=_("Case"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    party = forms.ChoiceField(label=_("Perpetrator party"), required=False)
    governorate = forms.ChoiceField(label=_("Governorate"), required=False)
    confidence = forms.MultipleChoiceField(
        label=_("Attribution confidence"),
        required=False,
        choices=AttributionConfidence.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    massacre_min = forms.IntegerField(
        label=_("Massacre: civilians killed at least"),
        required=False,
        min_value=1,
        max_value=10000,
    )

    def __init__(self, data=None, *, cases: list[Case], **kwargs):
        super().__init__(data, **kwargs)
        self.cases = cases
        case_ids = [case.pk for case in cases]
        self.fields["case"].choices = [("", _("All my cases"))] + [
            (case.reference, f"{case.reference} — {case.title}") for case in cases
        ]
        for name, model in (("party", Party), ("governorate", Governorate)):
            labels = vocabulary_labels(model, case_ids)
            self.fields[name].choices = [("", _("Any"))] + [(code, label) for code, (label, _a) in labels.items()]
        self.fields["massacre_min"].widget.attrs["placeholder"] = str(default_massacre_min())

    def clean_massacre_min(self) -> int:
        value = self.cleaned_data.get("massacre_min")
        return default_massacre_min() if value is None else value

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def statistics_filter(self) -> StatisticsFilter:
        data = self.cleaned_data
        reference = data["case"]
        case_ids = tuple(case.pk for case in self.cases if not reference or case.reference == reference)
        return StatisticsFilter(
            case_ids=case_ids,
            case_reference=reference,
            date_from=data["date_from"],
            date_to=data["date_to"],
            party=data["party"],
            governorate=data["governorate"],
            confidences=tuple(data["confidence"]),
            massacre_min=data["massacre_min"],
        )


def statistics_filter_form(user, params: QueryDict) -> StatisticsFilterForm:
    """The bound filter form for a person. PermissionDenied (403) if they may see statistics of no case;
    Http404 if `case` names a case they may not see statistics of, so outsiders learn nothing of it."""
    cases = statistics_cases(user)
    reference = params.get("case", "")
    if reference and reference not in {case.reference for case in cases}:
        raise Http404("No such case.")
    return StatisticsFilterForm(params, cases=cases)


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
    condition = {
        **VICTIM_TOTALS,
        "killed_by_occupation": KILLED_CIVILIAN,
        "women_killed_by_occupation": KILLED_CIVILIAN & Q(sex=Sex.FEMALE),
        **{f"monthly_{key}": VICTIM_TOTALS[key] for key in MONTHLY_VICTIM_TOTALS},
    }[measure]
    victims = victims.filter(condition)
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
    occupations: list[Row]  # figures: killed, women_killed
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
            yield section, row.label, str(_("Of them women")), row.figures["women_killed"]
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


def _massacres(incidents: QuerySet[Incident], massacre_min: int) -> QuerySet[Incident]:
    """Incidents with at least `massacre_min` civilians killed, counted from the victims (each person once),
    not from the cached Incident.is_massacre, which a worker refreshes later."""
    killed = Q(
        victims__status=VictimStatus.KILLED,
        victims__combatant_status=CombatantStatus.CIVILIAN,
        victims__duplicate_of__isnull=True,
    )
    return (
        incidents.order_by()
        .annotate(counted_civilians_killed=Count("victims", filter=killed))
        .filter(counted_civilians_killed__gte=massacre_min)
    )


@dataclass
class MonthTotals:
    incidents: int
    massacres: int
    victims: dict[str, int]  # VICTIM_TOTALS keys


def _totals_by_month(filters: StatisticsFilter) -> dict[str, MonthTotals]:
    """{"YYYY-MM": totals} of the incidents starting in each month (in the current time zone, like the month=
    of records_behind), in one query that reads the victims once.

    The database counts the victims of each incident (each person once, VICTIM_TOTALS), joins those counts to
    the incidents and adds them up by month; a massacre is an incident with at least `filters.massacre_min`
    civilians killed. The victims are counted, not read from the cached Incident tolls, which a worker
    refreshes later.
    """
    per_incident = (
        filters.victims()
        .filter(status__in=(VictimStatus.KILLED, VictimStatus.INJURED))  # the others count in no total
        .order_by()
        .values("incident_id")
        .annotate(**{key: Count("id", filter=condition) for key, condition in VICTIM_TOTALS.items()})
    )
    # The month of each incident, not of each victim row: computed 20,000 times rather than 200,000.
    months = (
        filters.incidents()
        .order_by()
        .annotate(incident_pk=F("pk"), month=TruncMonth("start_time"))
        .values("incident_pk", "month")
    )
    victims_sql, victims_params = per_incident.query.get_compiler(using=per_incident.db).as_sql()
    months_sql, months_params = months.query.get_compiler(using=months.db).as_sql()
    connection = connections[months.db]
    name = connection.ops.quote_name
    killed = f"per_incident.{name('civilians_killed')}"
    sums = ", ".join(f"COALESCE(SUM(per_incident.{name(key)}), 0)" for key in VICTIM_TOTALS)
    # Adding up aggregates needs the per-incident counts as a subquery, which the ORM cannot join or group.
    sql = (
        f"SELECT incident.{name('month')}, COUNT(*), "
        f"SUM(CASE WHEN {killed} >= %s THEN 1 ELSE 0 END), {sums} "
        f"FROM ({months_sql}) incident "
        f"LEFT JOIN ({victims_sql}) per_incident "
        f"ON per_incident.{name('incident_id')} = incident.{name('incident_pk')} "
        f"GROUP BY incident.{name('month')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (filters.massacre_min, *months_params, *victims_params))
        rows = cursor.fetchall()
    return {
        _month_code(month): MonthTotals(
            incidents=int(incident_count),
            massacres=int(massacres),
            victims={key: int(value) for key, value in zip(VICTIM_TOTALS, values, strict=True)},
        )
        for month, incident_count, massacres, *values in rows
    }


def _month_code(value: dt.datetime | str) -> str:
    """The "YYYY-MM" of a TruncMonth read through a plain cursor: a datetime, or text on SQLite."""
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
    """Every figure of the statistics page, in 9 queries whatever the number of records:
    4 vocabularies (occupation, facility, weapon, governorate), incidents, massacres and victim tolls by month
    (the totals add the months up), occupations, facilities, incidents per governorate, governorate × weapon.
    """
    case_ids = filters.case_ids
    occupation_labels = vocabulary_labels(Occupation, case_ids)
    facility_labels = vocabulary_labels(FacilityType, case_ids)
    weapon_labels = vocabulary_labels(WeaponType, case_ids)
    governorate_labels = vocabulary_labels(Governorate, case_ids)

    incidents = filters.incidents()
    by_month = _totals_by_month(filters)

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

    by_occupation = {
        row["occupation__code"] or NO_OCCUPATION: row
        for row in filters.victims()
        .filter(KILLED_CIVILIAN)
        .order_by()
        .values("occupation__code")
        .annotate(killed=Count("id"), women_killed=Count("id", filter=Q(sex=Sex.FEMALE)))
    }
    occupation_rows = list(occupation_labels.items()) + [(NO_OCCUPATION, (str(_("Not recorded")), True))]
    occupations = [
        Row(
            code,
            label,
            {
                "killed": Figure(
                    by_occupation.get(code, {}).get("killed", 0), "killed_by_occupation", {"occupation": code}
                ),
                "women_killed": Figure(
                    by_occupation.get(code, {}).get("women_killed", 0),
                    "women_killed_by_occupation",
                    {"occupation": code},
                ),
            },
            highlighted=code in PROTECTED_OCCUPATIONS,
        )
        for code, (label, is_active) in occupation_rows
        if is_active or code in by_occupation
    ]
    occupations.sort(key=lambda row: (not row.highlighted, row.code == NO_OCCUPATION))

    by_facility = {
        row["facilities_hit__code"]: row["incidents"]
        for row in incidents.filter(facilities_hit__isnull=False)
        .order_by()
        .values("facilities_hit__code")
        .annotate(incidents=Count("id", distinct=True))
    }
    facilities = [
        Row(code, label, {"incidents": Figure(by_facility.get(code, 0), "facility_incidents", {"facility": code})})
        for code, (label, is_active) in facility_labels.items()
        if is_active or code in by_facility
    ]

    by_governorate = {
        row["governorate__code"]: row["incidents"]
        for row in incidents.order_by().values("governorate__code").annotate(incidents=Count("id"))
    }
    cells: dict[tuple[str, str], int] = {
        (row["governorate__code"], row["weapons__code"]): row["incidents"]
        for row in incidents.filter(weapons__isnull=False)
        .order_by()
        .values("governorate__code", "weapons__code")
        .annotate(incidents=Count("id", distinct=True))
    }
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
