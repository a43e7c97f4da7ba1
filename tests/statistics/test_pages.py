"""The statistics page, the records behind a figure and the CSV export: who may see what."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.statistics.selectors import StatisticsFilter, statistics_summary
from tests.factories import UserFactory
from tests.statistics.conftest import EXPECTED, more_data

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("statistics:overview")
RECORDS = reverse("statistics:records")
EXPORT = reverse("statistics:export")


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for url in (OVERVIEW, RECORDS, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["intake_worker", "reviewer"])
def test_team_members_without_statistics_are_refused(client, request, persona, tolls):
    client.force_login(request.getfixturevalue(persona))
    for url in (OVERVIEW, f"{RECORDS}?measure=civilians_killed", EXPORT):
        assert client.get(url).status_code == 403


def test_person_on_no_case_is_refused(client, tolls):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(OVERVIEW).status_code == 403


def test_outsider_sees_only_their_own_case_and_not_found_for_ours(client, outsider, case, tolls):
    client.force_login(outsider)
    for url in (OVERVIEW, f"{RECORDS}?measure=civilians_killed", EXPORT):
        assert client.get(url, {"case": case.reference}).status_code == 404
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert response.context["summary"].totals["civilians_killed"].value == 6
    assert b"CW-0042" not in response.content


def test_analyst_sees_the_figures_each_linked_to_its_records(client, analyst, case, other_case, tolls):
    client.force_login(analyst)
    response = client.get(OVERVIEW, {"party": "russian-forces"})
    assert response.status_code == 200
    totals = response.context["summary"].totals
    assert totals["civilians_killed"].value == 11
    body = response.content.decode()
    assert "CW-0099" not in body
    links = re.findall(r'<a href="(/statistics/records/\?[^"]+)">(\d+)</a>', body)
    assert len(links) > 30
    for url, value in links[:12]:
        listed = client.get(url.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert listed.context["page_obj"].paginator.count == int(value), url


def test_records_list_links_each_victim_to_its_incident(client, analyst, case, tolls):
    client.force_login(analyst)
    response = client.get(RECORDS, {"measure": "killed_by_occupation", "occupation": "medical-personnel"})
    assert response.status_code == 200
    assert [victim.name for victim in response.context["object_list"]] == ["Medic"]
    incident_url = reverse("incidents:incident_detail", args=[case.reference, tolls["A"].pk])
    assert incident_url in response.content.decode()


def test_occupation_table_shows_adult_women_and_girls_apart_each_linked_to_its_records(client, analyst, tolls):
    client.force_login(analyst)
    body = client.get(OVERVIEW).content.decode()
    assert "Of them adult women (18 or over)" in body and "Of them girls (under 18)" in body
    assert "Of them women<" not in body
    response = client.get(RECORDS, {"measure": "girls_killed_by_occupation", "occupation": "none"})
    assert {victim.name for victim in response.context["object_list"]} == {"Girl", "Pupil"}
    rows = list(csv.reader(io.StringIO(client.get(EXPORT).content.decode("utf-8-sig"))))
    not_recorded = {
        row[2]: row[3] for row in rows if row[0] == "Civilians killed by occupation" and row[1] == "Not recorded"
    }
    assert not_recorded == {"Killed": "12", "Of them adult women (18 or over)": "1", "Of them girls (under 18)": "2"}


def test_records_list_of_weapon_cell(client, analyst, case, tolls):
    client.force_login(analyst)
    response = client.get(
        RECORDS, {"measure": "weapon_incidents", "weapon": "cluster-munition", "governorate": "idlib"}
    )
    assert [incident.reference for incident in response.context["object_list"]] == ["C", "A"]


@pytest.mark.parametrize(
    "params",
    [
        {"measure": "everything"},
        {},
        {"measure": "killed_by_occupation"},
        {"measure": "killed_by_occupation", "occupation": "astronaut"},
        {"measure": "monthly_incidents", "month": "2024-13"},
        {"measure": "civilians_killed", "date_from": "yesterday"},
    ],
)
def test_records_with_bad_parameters_is_a_bad_request(client, analyst, tolls, params):
    client.force_login(analyst)
    response = client.get(RECORDS, params)
    assert response.status_code == 400
    assert b"error-summary" in response.content


def test_overview_explains_bad_filters(client, analyst, tolls):
    client.force_login(analyst)
    response = client.get(OVERVIEW, {"date_from": "2024-05-01", "date_to": "2024-04-01", "massacre_min": "0"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end date is before the start date." in body
    assert "greater than or equal to 1" in body


def test_export_has_the_same_numbers_as_the_page(client, case_admin, case, tolls):
    client.force_login(case_admin)
    params = {"governorate": "idlib", "massacre_min": "4"}
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    summary = statistics_summary(
        StatisticsFilter(case_ids=(case.pk,), case_reference="", governorate="idlib", massacre_min=4)
    )
    expected = [[section, row, column, str(figure.value)] for section, row, column, figure in summary.sections()]
    assert [row[:4] for row in rows[1:]] == expected
    assert ["Totals", "Massacres", "", "2"] in [row[:4] for row in rows]
    page = client.get(OVERVIEW, params)
    assert page.context["summary"].totals["massacres"].value == 2


def test_superuser_counts_every_case(client, superuser, tolls):
    client.force_login(superuser)
    response = client.get(OVERVIEW)
    assert response.context["summary"].totals["civilians_killed"].value == EXPECTED["civilians_killed"] + 6
    response = client.get(OVERVIEW, {"case": "CW-0099"})
    assert response.context["summary"].totals["civilians_killed"].value == 6


def test_page_renders_right_to_left_in_arabic(client, analyst, tolls):
    client.force_login(analyst)
    client.post(reverse("set_language"), {"language": "ar", "next": OVERVIEW})
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body
    assert "إدلب" in body and "ذخائر عنقودية" in body
    assert "منهم نساء بالغات (18 فأكثر)" in body and "منهم فتيات (دون 18)" in body
    csv_body = client.get(EXPORT).content.decode("utf-8-sig")
    assert "كوادر طبية" in csv_body and "منهم فتيات (دون 18)" in csv_body


def test_overview_takes_the_same_queries_whatever_the_data_size(client, analyst, case, other_case, tolls):
    client.force_login(analyst)
    client.get(OVERVIEW)  # the session and the user are cached from here on.
    with CaptureQueriesContext(connection) as small:
        client.get(OVERVIEW, {"confidence": ["confirmed", "possible"]})
    more_data(case, other_case, 12)
    with CaptureQueriesContext(connection) as large:
        response = client.get(OVERVIEW, {"confidence": ["confirmed", "possible"]})
    assert response.status_code == 200
    # Session, user, the user's two-factor device, permitted cases, party and governorate choices, the 8 of
    # the summary (statistics_summary), the header's work counts (notifications, reviews waiting) and whether
    # it links to the statistics (any case); the records merged into another record of the same person.
    assert len(small) == len(large) == 17
