"""The figures, checked by hand against the fixture in conftest.py, and the records behind every figure."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from bench.bench_api import tolls_refresh_all
from casework.incidents.models import Incident, IncidentOccupationToll, VictimQuerySet
from casework.incidents.services import incident_occupation_tolls, incident_tolls, incidents_refresh_tolls
from casework.statistics.selectors import (
    BadParameter,
    StatisticsFilter,
    StatisticsFilterForm,
    records_behind,
    statistics_summary,
)
from tests.statistics.conftest import EXPECTED, build_tolls, more_data

pytestmark = pytest.mark.django_db


def totals(filters: StatisticsFilter) -> dict[str, int]:
    return {key: figure.value for key, figure in statistics_summary(filters).totals.items()}


def scope(case, **kwargs) -> StatisticsFilter:
    return StatisticsFilter(case_ids=(case.pk,), **kwargs)


def test_totals_match_the_hand_count(tolls, case):
    assert totals(scope(case)) == EXPECTED


def test_age_18_is_an_adult_and_unknown_age_and_sex_count_only_in_the_total(tolls, case):
    filters = scope(case)
    children = set(records_behind("children_killed", filters).values_list("name", flat=True))
    women = set(records_behind("adult_women_killed", filters).values_list("name", flat=True))
    killed = set(records_behind("civilians_killed", filters).values_list("name", flat=True))
    assert children == {"Boy", "Girl", "Pupil"}
    assert women == {"Journalist", "Woman", "Teacher"}
    assert {"Woman of unknown age", "Unknown sex"} <= killed - children - women
    assert not {"Fighter", "Status unknown", "Guard", "Boy again", "Rescuer again"} & killed


def test_a_person_linked_as_a_duplicate_is_counted_once(tolls, case):
    names = list(records_behind("civilians_killed", scope(case)).values_list("name", flat=True))
    assert names.count("Boy") == 1 and "Boy again" not in names


def test_massacre_starts_at_exactly_n_civilians_killed(tolls, case):
    filters = scope(case)
    assert set(records_behind("massacres", filters).values_list("reference", flat=True)) == {"A", "B"}
    assert totals(scope(case, massacre_min=4))["massacres"] == 3
    assert totals(scope(case, massacre_min=8))["massacres"] == 0


def test_massacre_default_comes_from_the_setting(tolls, case, settings):
    settings.CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED = 6
    assert totals(scope(case))["massacres"] == 1


def test_massacres_ignore_the_cached_flag(tolls, case):
    tolls["D"].is_massacre = True
    tolls["D"].save(update_fields=["is_massacre"])
    assert totals(scope(case))["massacres"] == 2


def test_tables_match_the_hand_count(tolls, case):
    summary = statistics_summary(scope(case))
    occupations = {
        row.code: tuple(row.figures[key].value for key in ("killed", "adult_women_killed", "girls_killed"))
        for row in summary.occupations
    }
    assert occupations["medical-personnel"] == (1, 0, 0)
    assert occupations["civil-defence"] == (1, 0, 0)
    assert occupations["media-worker"] == (1, 1, 0)
    assert occupations["teacher"] == (1, 1, 0)
    assert occupations["farmer"] == (0, 0, 0)
    assert occupations["none"] == (12, 1, 2)
    assert [row.code for row in summary.occupations[:3]] == ["civil-defence", "media-worker", "medical-personnel"]
    facilities = {row.code: row.figures["incidents"].value for row in summary.facilities}
    assert facilities["market"] == facilities["bakery"] == facilities["school"] == facilities["medical-facility"] == 1
    assert facilities["mosque"] == 0
    weapons = {row.code: row.figures["incidents"].value for row in summary.weapons}
    assert weapons == {"cluster-munition": 2, "incendiary": 1, "barrel-bomb": 1}
    grid = {row.code: {key: figure.value for key, figure in row.figures.items()} for row in summary.governorates}
    assert grid["idlib"] == {"incidents": 2, "cluster-munition": 2, "incendiary": 0, "barrel-bomb": 1}
    assert grid["aleppo"] == {"incidents": 1, "cluster-munition": 0, "incendiary": 1, "barrel-bomb": 0}
    assert grid["hama"]["incidents"] == 1 and "damascus" not in grid
    monthly = {row.code: {key: figure.value for key, figure in row.figures.items()} for row in summary.monthly}
    assert list(monthly) == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert monthly["2024-03"] == {
        "incidents": 2, "civilians_killed": 12, "children_killed": 2, "adult_women_killed": 2
    }  # fmt: skip
    assert monthly["2024-04"] == {"incidents": 1, "civilians_killed": 4, "children_killed": 1, "adult_women_killed": 1}
    assert monthly["2024-05"]["incidents"] == 0
    assert monthly["2024-06"] == {"incidents": 1, "civilians_killed": 0, "children_killed": 0, "adult_women_killed": 0}


def test_occupations_count_adult_women_and_girls_apart_like_every_other_figure(tolls, case):
    filters = scope(case)
    adult_women = records_behind("adult_women_killed_by_occupation", filters, occupation="none")
    girls = records_behind("girls_killed_by_occupation", filters, occupation="none")
    assert set(adult_women.values_list("name", flat=True)) == {"Woman"}
    assert set(girls.values_list("name", flat=True)) == {"Girl", "Pupil"}
    # A woman of unknown age is neither, as in the totals of adult women and children.
    everyone = records_behind("killed_by_occupation", filters, occupation="none").values_list("name", flat=True)
    assert "Woman of unknown age" in set(everyone)
    for measure in ("adult_women_killed_by_occupation", "girls_killed_by_occupation"):
        with pytest.raises(BadParameter):
            records_behind(measure, filters)
    with pytest.raises(BadParameter):
        records_behind("women_killed_by_occupation", filters, occupation="none")


def killed_unless_known_combatant(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": "killed"}) & ~Q(**{f"{prefix}combatant_status": "non_civilian"})


def under_ten(prefix: str = "") -> Q:
    return Q(**{f"{prefix}age__lt": 10}) | Q(**{f"{prefix}age__isnull": True, f"{prefix}age_band": "child"})


def test_each_counting_rule_has_one_home_that_every_toll_follows(tolls, case, other_case, monkeypatch):
    """Changing a rule in VictimQuerySet changes the incident tolls, every statistic, the records behind it,
    the monthly query, the massacres and the benchmark's bulk refresh alike: nothing restates it."""
    monkeypatch.setattr(VictimQuerySet, "killed_civilian_q", staticmethod(killed_unless_known_combatant))
    monkeypatch.setattr(VictimQuerySet, "child_q", staticmethod(under_ten))
    # A gains its victim of unknown status (8 killed); the boy of 17 and the pupil of 10 are no longer children.
    # The stored tolls follow once recomputed, as a change of rule must do for the records already kept.
    incidents_refresh_tolls(incident_ids=Incident.objects.values_list("pk", flat=True))
    filters = scope(case, massacre_min=8)
    summary = statistics_summary(filters)
    assert {key: summary.totals[key].value for key in ("civilians_killed", "children_killed", "massacres")} == {
        "civilians_killed": 17, "children_killed": 1, "massacres": 1
    }  # fmt: skip
    assert [row.figures["civilians_killed"].value for row in summary.monthly[:2]] == [13, 4]
    none = next(row for row in summary.occupations if row.code == "none")
    assert (none.figures["killed"].value, none.figures["girls_killed"].value) == (13, 1)
    for figure in summary.figures():
        assert records_behind(figure.measure, filters, **figure.breakdown).count() == figure.value, figure

    expected = {reference: incident_tolls(incident_id=incident.pk) for reference, incident in tolls.items()}
    by_occupation = {
        reference: incident_occupation_tolls(incident_id=incident.pk) for reference, incident in tolls.items()
    }
    assert expected["A"]["civilians_killed"] == 8 and expected["A"]["children_killed"] == 1
    Incident.objects.update(civilians_killed=0, children_killed=0, adult_women_killed=0, injured=0)
    with connection.cursor() as cursor:
        tolls_refresh_all(cursor, massacre_minimum=8)
    fields = ["civilians_killed", "children_killed", "adult_women_killed", "injured", "civilians_injured"]
    fields.append("is_massacre")
    stored = {row["reference"]: row for row in Incident.objects.values("reference", *fields)}
    for reference, computed in expected.items():
        assert {field: stored[reference][field] for field in fields} == {
            **computed, "is_massacre": computed["civilians_killed"] >= 8
        }, reference  # fmt: skip
        stored_occupations = IncidentOccupationToll.objects.filter(incident=tolls[reference])
        columns = ["occupation", "killed", "adult_women_killed", "girls_killed"]
        assert list(stored_occupations.order_by("occupation").values(*columns)) == by_occupation[reference]


FILTERS = [
    {},
    {"date_from": dt.date(2024, 3, 31), "date_to": dt.date(2024, 3, 31)},
    {"date_from": dt.date(2024, 4, 1)},
    {"party": "russian-forces"},
    {"party": "syrian-government-forces", "confidences": ("confirmed",)},
    {"confidences": ("confirmed", "possible")},
    {"governorate": "idlib", "massacre_min": 4},
]


@pytest.mark.parametrize("extra", FILTERS)
def test_every_figure_equals_the_count_of_its_records(tolls, case, other_case, extra):
    for case_ids in ((case.pk,), (case.pk, other_case.pk)):
        filters = StatisticsFilter(case_ids=case_ids, **extra)
        summary = statistics_summary(filters)
        figures = list(summary.figures())
        assert len(figures) > 30
        for figure in figures:
            assert records_behind(figure.measure, filters, **figure.breakdown).count() == figure.value, figure


def test_date_range_is_inclusive_of_both_days(tolls, case):
    only_b = scope(case, date_from=dt.date(2024, 3, 31), date_to=dt.date(2024, 3, 31))
    assert totals(only_b)["incidents"] == 1 and totals(only_b)["civilians_killed"] == 5
    only_c = scope(case, date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 4, 1))
    assert totals(only_c)["civilians_killed"] == 4


def test_party_and_governorate_filters(tolls, case):
    assert totals(scope(case, party="russian-forces"))["civilians_killed"] == 11
    assert totals(scope(case, governorate="aleppo"))["civilians_killed"] == 5
    assert totals(scope(case, party="isis"))["incidents"] == 0


def test_party_and_confidence_must_hold_on_the_same_attribution(tolls, case):
    # A: Russian forces confirmed, government forces possible. Government forces + confirmed is only B.
    filters = scope(case, party="syrian-government-forces", confidences=("confirmed",))
    assert set(records_behind("incidents", filters).values_list("reference", flat=True)) == {"B"}
    filters = scope(case, party="syrian-government-forces", confidences=("possible",))
    assert set(records_behind("incidents", filters).values_list("reference", flat=True)) == {"A"}


def test_confidence_matching_two_attributions_counts_the_incident_once(tolls, case):
    filters = scope(case, confidences=("confirmed", "possible"))
    assert totals(filters)["incidents"] == 3
    assert totals(filters)["civilians_killed"] == 16


def test_other_cases_are_not_counted(tolls, case, other_case):
    assert totals(scope(case))["civilians_killed"] == 16
    both = StatisticsFilter(case_ids=(case.pk, other_case.pk))
    assert totals(both)["civilians_killed"] == 22


def test_records_behind_refuses_unknown_measures_and_missing_breakdowns(case):
    with pytest.raises(BadParameter) as error:
        records_behind("everything", scope(case))
    assert error.value.field == "measure"
    with pytest.raises(BadParameter) as error:
        records_behind("killed_by_occupation", scope(case))
    assert error.value.field == "occupation"
    with pytest.raises(BadParameter) as error:
        records_behind("monthly_incidents", scope(case), month="March")
    assert error.value.field == "month"
    with pytest.raises(BadParameter):
        records_behind("civilians_killed", scope(case), weapon="mortar")


def form(permitted_case, **params) -> StatisticsFilterForm:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return StatisticsFilterForm(query, cases=[permitted_case])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2024-02-30"}, "date_from"),
        ({"date_from": "2024-05-01", "date_to": "2024-04-01"}, "date_to"),
        ({"party": "no-such-party"}, "party"),
        ({"governorate": "atlantis"}, "governorate"),
        ({"confidence": ["confirmed", "sure"]}, "confidence"),
        ({"massacre_min": "0"}, "massacre_min"),
        ({"massacre_min": "many"}, "massacre_min"),
        ({"case": "CW-0099"}, "case"),
    ],
)
def test_filter_form_explains_bad_parameters(case, params, field):
    bound = form(case, **params)
    assert not bound.is_valid()
    assert field in bound.errors


def test_filter_form_gives_the_filter(case):
    bound = form(
        case, case="CW-0042", date_from="2024-03-01", party="russian-forces", confidence=["confirmed", "likely"]
    )
    assert bound.is_valid(), bound.errors
    filters = bound.statistics_filter()
    assert filters.case_ids == (case.pk,)
    assert filters.massacre_min == 5
    assert filters.confidences == ("confirmed", "likely")
    assert filters.as_query().urlencode() == (
        "case=CW-0042&date_from=2024-03-01&party=russian-forces&confidence=confirmed&confidence=likely"
    )


def test_summary_takes_the_same_queries_whatever_the_data_size(case, other_case):
    build_tolls(case, other_case)
    filters = StatisticsFilter(case_ids=(case.pk,), party="russian-forces", confidences=("confirmed",))
    with CaptureQueriesContext(connection) as small:
        statistics_summary(filters)
    more_data(case, other_case, 15)
    with CaptureQueriesContext(connection) as large:
        statistics_summary(filters)
    # 4 vocabularies, incidents, massacres and victim tolls by month and governorate (the totals and the
    # governorate rows too), occupations, facilities, governorate × weapon.
    assert len(small) == len(large) == 8
