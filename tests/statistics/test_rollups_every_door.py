"""The statistics add up the monthly rollups (or, for filters they cannot answer, the tolls each incident
keeps) instead of counting every victim again. Whatever door writes victims or incidents (service, page, API,
spreadsheet import, admin), every figure must still equal a count of its records, at once: the stored tolls
and the rollups are written in the same transaction as the victims and incidents."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import call_command

from casework.incidents import services
from casework.incidents.models import (
    Governorate,
    Incident,
    IncidentMonthRollup,
    IncidentOccupationToll,
    IncidentType,
    Occupation,
    RollupFacility,
    RollupOccupation,
    RollupWeapon,
    Victim,
    WeaponType,
)
from casework.statistics.selectors import StatisticsFilter, records_behind, statistics_summary
from casework.statistics.selectors.summary import rollups_apply
from tests.factories import IncidentFactory
from tests.helpers import admin_url, form_data

pytestmark = pytest.mark.django_db

KILLED_GIRL = {"sex": "female", "age": 9, "age_band": "child", "combatant_status": "civilian", "status": "killed"}
KILLED_WOMAN = {"sex": "female", "age": 30, "age_band": "adult", "combatant_status": "civilian", "status": "killed"}


def assert_figures_equal_their_records(case, *, massacre_min: int = 2) -> None:
    """Every figure equals the count of the records behind it (from the rollups, and from the incidents for
    filters the rollups cannot answer), every incident's stored tolls equal a recount from its victims, and
    the rollups equal a recount from the incidents."""
    for extra in (
        {},
        {"governorate": "idlib"},
        {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 3, 31)},  # whole months: the rollups
        {"date_from": dt.date(2024, 3, 2)},  # part of a month: the incidents
        {"party": "russian-forces"},  # an attribution: the incidents
    ):
        for minimum in (massacre_min, services.VictimQuerySet.massacre_minimum()):
            filters = StatisticsFilter(case_ids=(case.pk,), massacre_min=minimum, **extra)
            summary = statistics_summary(filters)
            for figure in summary.figures():
                records = records_behind(figure.measure, filters, **figure.breakdown)
                assert records.count() == figure.value, (figure, extra)
            with mock.patch("casework.statistics.selectors.summary.rollups_apply", return_value=False):
                from_incidents = statistics_summary(filters)
            assert list(summary.sections()) == list(from_incidents.sections()), extra
    assert rollups_apply(StatisticsFilter(case_ids=(case.pk,), date_from=dt.date(2024, 3, 1)))
    assert rollups_now() == rollups_recounted()
    for incident in Incident.objects.filter(case=case):
        expected = services.incident_tolls(incident_id=incident.pk)
        stored = {key: getattr(incident, key) for key in expected}
        assert stored == expected, incident.reference
        by_occupation = IncidentOccupationToll.objects.filter(incident=incident).order_by("occupation")
        columns = ["occupation", "killed", "adult_women_killed", "girls_killed"]
        assert list(by_occupation.values(*columns)) == services.incident_occupation_tolls(incident_id=incident.pk)


def rollups_now() -> dict:
    """Every monthly rollup with an incident, and its weapon, facility and occupation rows."""
    rollups = {}
    for rollup in IncidentMonthRollup.objects.filter(incidents__gt=0):
        key = (rollup.case_id, rollup.month, rollup.governorate_id)
        rollups[key] = (
            (rollup.incidents, rollup.massacres, rollup.massacre_minimum, rollup.civilians_killed),
            (rollup.children_killed, rollup.adult_women_killed, rollup.injured, rollup.civilians_injured),
            sorted(RollupWeapon.objects.filter(rollup=rollup).values_list("weapon", "incidents")),
            sorted(RollupFacility.objects.filter(rollup=rollup).values_list("facility", "incidents")),
            sorted(
                RollupOccupation.objects.filter(rollup=rollup).values_list(
                    "occupation", "killed", "adult_women_killed", "girls_killed"
                ),
                key=str,
            ),
        )
    return rollups


def rollups_recounted() -> dict:
    services.rollups_rebuild()
    return rollups_now()


def totals(case) -> dict[str, int]:
    summary = statistics_summary(StatisticsFilter(case_ids=(case.pk,), massacre_min=2))
    return {key: figure.value for key, figure in summary.totals.items()}


def test_the_services_keep_every_figure_equal_to_its_records(case, intake_worker, reviewer):
    medic = Occupation.objects.get(code="medical-personnel", case=None)
    incident = services.incident_write(
        case=case,
        actor=intake_worker,
        values={
            "reference": "INC-SVC",
            "title": "Strike",
            "start_time": "2024-03-02T09:30:00Z",
            "governorate": Governorate.objects.get(code="idlib", case=None),
            "incident_type": IncidentType.objects.get(code="airstrike", case=None),
        },
        victims=[
            services.VictimChange(Victim(), KILLED_GIRL),
            services.VictimChange(Victim(), {**KILLED_WOMAN, "occupation": medic}),
        ],
    )
    assert totals(case)["civilians_killed"] == 2 and totals(case)["massacres"] == 1
    assert_figures_equal_their_records(case)

    woman = Victim.objects.get(incident=incident, age=30)
    services.victim_write(actor=intake_worker, victim=woman, values={"status": "injured"})
    assert (totals(case)["civilians_killed"], totals(case)["civilians_injured"], totals(case)["massacres"]) == (1, 1, 0)
    assert_figures_equal_their_records(case)

    twin = services.victim_write(actor=intake_worker, incident=incident, values=KILLED_GIRL)
    assert totals(case)["children_killed"] == 2
    services.victim_mark_duplicate(victim=twin, same_as=Victim.objects.get(incident=incident, age=9, pk__lt=twin.pk),
                                   actor=reviewer)  # fmt: skip
    assert totals(case)["children_killed"] == 1
    assert_figures_equal_their_records(case)

    services.victim_delete(victim=woman, actor=intake_worker)
    assert totals(case)["injured"] == 0
    # The incident moves out of Idlib: the governorate row and its figures follow at once.
    services.incident_write(
        case=case,
        actor=intake_worker,
        incident=incident,
        expected_version=incident.version,
        values={"governorate": Governorate.objects.get(code="aleppo", case=None)},
    )
    assert_figures_equal_their_records(case)
    # And to another month, with a weapon: the March rollup is left with nothing, April has it all.
    incident.refresh_from_db()
    services.incident_write(
        case=case,
        actor=intake_worker,
        incident=incident,
        expected_version=incident.version,
        values={"start_time": "2024-04-30T23:30:00Z", "weapons": [WeaponType.objects.get(code="mortar", case=None)]},
    )
    march = StatisticsFilter(case_ids=(case.pk,), date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31))
    april = StatisticsFilter(case_ids=(case.pk,), date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 4, 30))
    assert statistics_summary(march).totals["incidents"].value == 0
    assert statistics_summary(april).totals["civilians_killed"].value == 1
    assert [row.figures["incidents"].value for row in statistics_summary(april).weapons if row.code == "mortar"] == [1]
    assert_figures_equal_their_records(case)


def test_the_api_keeps_every_figure_equal_to_its_records(api, case, intake_worker, reviewer):
    IncidentFactory(case=case, reference="INC-API")
    api.force_authenticate(intake_worker)
    url = f"/api/cases/{case.reference}/victims/"
    payload = {"incident": "INC-API", **KILLED_WOMAN, "occupation": "media-worker"}
    first = api.post(url, payload, format="json").json()["id"]
    second = api.post(url, {"incident": "INC-API", **KILLED_GIRL}, format="json").json()["id"]
    third = api.post(url, payload, format="json").json()["id"]
    assert totals(case)["massacres"] == 1
    assert_figures_equal_their_records(case)

    assert api.patch(f"{url}{second}/", {"combatant_status": "non_civilian"}, format="json").status_code == 200
    assert_figures_equal_their_records(case)
    api.force_authenticate(reviewer)
    linked = api.post(f"{url}{third}/duplicate-of/", {"duplicate_of": first}, format="json")
    assert linked.status_code == 200, linked.json()
    assert totals(case)["adult_women_killed"] == 1
    assert_figures_equal_their_records(case)
    api.force_authenticate(intake_worker)
    assert api.delete(f"{url}{second}/").status_code == 204
    assert totals(case)["civilians_killed"] == 1
    assert_figures_equal_their_records(case)


def test_the_spreadsheet_import_keeps_every_figure_equal_to_its_records(case, intake_worker, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_text(
        "incident_reference,incident_title,incident_date,governorate,incident_type,victim_status,sex,age\n"
        "INC-CSV,Shelling of the school,2018-02-01,idlib,airstrike,killed,female,8\n"
        "INC-CSV,,,,,killed,female,40\n"
        "INC-CSV2,Shelling of the bakery,2018-03-05,aleppo,airstrike,injured,male,20\n",
        encoding="utf-8",
    )
    call_command("import_victims", case.reference, str(path), "--commit", "--user", intake_worker.username,
                 stdout=io.StringIO())  # fmt: skip
    assert (totals(case)["civilians_killed"], totals(case)["injured"], totals(case)["massacres"]) == (2, 1, 1)
    assert_figures_equal_their_records(case)


def test_the_admin_keeps_every_figure_equal_to_its_records(client, superuser, case):
    incident = IncidentFactory(case=case)
    client.force_login(superuser)
    for row in (KILLED_GIRL, KILLED_WOMAN):
        data = {"incident": incident.pk, "name": "", "notes": "", **row}
        assert client.post(admin_url(Victim, "add"), data).status_code == 302
    assert totals(case)["civilians_killed"] == 2
    assert_figures_equal_their_records(case)
    victim = Victim.objects.get(age=9)
    data = {"name": "", "notes": "", **KILLED_GIRL, "status": "injured", "duplicate_of": ""}
    assert client.post(admin_url(Victim, "change", victim.pk), data).status_code == 302
    assert (totals(case)["children_killed"], totals(case)["injured"]) == (0, 1)
    assert_figures_equal_their_records(case)
    assert client.post(admin_url(Victim, "delete", victim.pk), {"post": "yes"}).status_code == 302
    assert totals(case)["injured"] == 0
    assert_figures_equal_their_records(case)

    # The incident moves to Aleppo and gains a weapon in the admin: its rollups follow in the same save.
    change_url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(change_url), Incident)
    data["governorate"] = [str(Governorate.objects.get(code="aleppo", case=None).pk)]
    data["weapons"] = [str(WeaponType.objects.get(code="mortar", case=None).pk)]
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    summary = statistics_summary(StatisticsFilter(case_ids=(case.pk,)))
    assert [(row.code, row.figures["mortar"].value) for row in summary.governorates] == [("aleppo", 1)]
    assert_figures_equal_their_records(case)


def test_the_statistics_api_shows_a_new_victim_at_once(api, case, analyst, intake_worker):
    incident = IncidentFactory(case=case)
    api.force_authenticate(analyst)
    assert api.get("/api/statistics/").json()["totals"]["children_killed"]["value"] == 0
    services.victim_write(actor=intake_worker, incident=incident, values=KILLED_GIRL)
    assert api.get("/api/statistics/").json()["totals"]["children_killed"]["value"] == 1
