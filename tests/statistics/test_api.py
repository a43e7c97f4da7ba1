"""The statistics API: the same figures as the page, each with a working link to its records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.statistics.conftest import EXPECTED, more_data

pytestmark = pytest.mark.django_db

STATISTICS = reverse("api:statistics")
RECORDS = reverse("api:statistics_records")


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_is_refused(api, tolls):
    assert api.get(STATISTICS).status_code in (401, 403)
    assert api.get(RECORDS, {"measure": "civilians_killed"}).status_code in (401, 403)


@pytest.mark.parametrize("persona", ["intake_worker", "reviewer"])
def test_team_members_without_statistics_are_refused(api, request, persona, tolls):
    api.force_authenticate(request.getfixturevalue(persona))
    assert api.get(STATISTICS).status_code == 403
    assert api.get(RECORDS, {"measure": "civilians_killed"}).status_code == 403


def test_outsider_gets_not_found_for_our_case_and_only_their_figures(api, outsider, case, tolls):
    api.force_authenticate(outsider)
    assert api.get(STATISTICS, {"case": case.reference}).status_code == 404
    assert api.get(RECORDS, {"measure": "civilians_killed", "case": case.reference}).status_code == 404
    body = api.get(STATISTICS).json()
    assert body["cases"] == ["CW-0099"]
    assert body["totals"]["civilians_killed"]["value"] == 6


def test_every_figure_links_to_exactly_its_records(api, analyst, tolls):
    api.force_authenticate(analyst)
    response = api.get(STATISTICS, {"massacre_min": "4", "confidence": ["confirmed", "possible"]})
    assert response.status_code == 200
    body = response.json()
    assert body["cases"] == ["CW-0042"] and body["massacre_min"] == 4
    assert {key: figure["value"] for key, figure in body["totals"].items()} == {
        **EXPECTED,
        "incidents": 3,
        "massacres": 3,
    }
    figures = [
        *body["totals"].values(),
        *(figure for row in body["occupations"] for figure in row["figures"].values()),
        *(row["figures"]["incidents"] for row in body["facilities"]),
        *(row["figures"]["incidents"] for row in body["weapons"]),
        *(row["incidents"] for row in body["governorates"]),
        *(figure for row in body["governorates"] for figure in row["weapons"].values()),
        *(figure for row in body["monthly"] for figure in row["figures"].values()),
    ]
    assert len(figures) > 40
    for figure in figures:
        listed = api.get(figure["records"] + "&page_size=500")
        assert listed.status_code == 200, figure
        assert listed.json()["next"] is None and len(listed.json()["results"]) == figure["value"], figure


def test_occupations_give_adult_women_and_girls_apart(api, analyst, tolls):
    api.force_authenticate(analyst)
    body = api.get(STATISTICS).json()
    row = next(row for row in body["occupations"] if row["code"] == "none")
    assert {key: figure["value"] for key, figure in row["figures"].items()} == {
        "killed": 12, "adult_women_killed": 1, "girls_killed": 2
    }  # fmt: skip
    girls = api.get(row["figures"]["girls_killed"]["records"]).json()
    assert {victim["name"] for victim in girls["results"]} == {"Girl", "Pupil"}


def test_records_are_victims_or_incidents(api, analyst, case, tolls):
    api.force_authenticate(analyst)
    victims = api.get(RECORDS, {"measure": "children_killed"}).json()
    assert {victim["name"] for victim in victims["results"]} == {"Boy", "Girl", "Pupil"}
    assert victims["results"][0]["case"] == case.reference
    incidents = api.get(RECORDS, {"measure": "massacres"}).json()
    assert [incident["reference"] for incident in incidents["results"]] == ["B", "A"]
    assert incidents["results"][0]["governorate"] == "aleppo"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"measure": "everything"}, "measure"),
        ({}, "measure"),
        ({"measure": "killed_by_occupation"}, "occupation"),
        ({"measure": "facility_incidents", "facility": "spaceport"}, "facility"),
        ({"measure": "monthly_incidents", "month": "03/2024"}, "month"),
        ({"measure": "incidents", "date_from": "2024-02-31"}, "date_from"),
        ({"measure": "incidents", "date_from": "2024-03-02", "date_to": "2024-03-01"}, "date_to"),
        ({"measure": "incidents", "party": "martians"}, "party"),
        ({"measure": "incidents", "massacre_min": "-1"}, "massacre_min"),
        ({"measure": "incidents", "confidence": "certain"}, "confidence"),
    ],
)
def test_bad_parameters_are_field_errors(api, analyst, tolls, params, field):
    api.force_authenticate(analyst)
    response = api.get(RECORDS, params)
    assert response.status_code == 400
    assert field in response.json()
    if "measure" in params and field != "measure":
        overview = api.get(STATISTICS, params)
        assert overview.status_code == (
            400 if field in ("date_from", "date_to", "party", "massacre_min", "confidence") else 200
        )


def test_statistics_takes_the_same_queries_whatever_the_data_size(api, analyst, case, other_case, tolls):
    api.force_authenticate(analyst)
    with CaptureQueriesContext(connection) as small:
        api.get(STATISTICS)
    more_data(case, other_case, 12)
    with CaptureQueriesContext(connection) as large:
        api.get(STATISTICS)
    # Permitted cases, party and governorate choices, and the 8 of statistics_summary (incidents by governorate
    # come with the monthly totals, from the same query).
    assert len(small) == len(large) == 11
