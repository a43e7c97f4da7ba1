"""Every door that writes incidents and victims goes through the one service: the tolls are right the moment a
save returns, and the same rules refuse the same bad input with the same plain message next to its field."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from casework.incidents.models import Governorate, Incident, IncidentType, Victim
from tests.conftest import assert_no_constraint_name
from tests.factories import CaseFactory, IncidentFactory
from tests.helpers import admin_url, form_data

pytestmark = pytest.mark.django_db


def victim_rows(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


KILLED_GIRL = {"sex": "female", "age": "9", "age_band": "child", "combatant_status": "civilian", "status": "killed"}
KILLED_WOMAN = {"sex": "female", "age": "30", "age_band": "adult", "combatant_status": "civilian", "status": "killed"}


def test_the_incident_page_shows_the_tolls_right_after_the_form_is_saved(client, case, intake_worker):
    client.force_login(intake_worker)
    data = {
        "reference": "INC-DOOR",
        "title": "Strike on the bakery queue",
        "start_time": "2019-05-02T08:10",
        "date_precision": "exact",
        "governorate": Governorate.objects.get(code="idlib", case=None).pk,
        "incident_type": IncidentType.objects.get(code="airstrike", case=None).pk,
        "attributions-TOTAL_FORMS": "0",
        "attributions-INITIAL_FORMS": "0",
        **victim_rows("victims", [KILLED_GIRL, KILLED_WOMAN, KILLED_WOMAN]),
    }
    response = client.post(reverse("incidents:incident_create", args=[case.reference]), data, follow=True)
    assert response.status_code == 200
    assert "3 civilians killed (1 children, 2 adult women)" in response.content.decode()
    incident = Incident.objects.get(reference="INC-DOOR")
    assert (incident.civilians_killed, incident.children_killed, incident.adult_women_killed) == (3, 1, 2)


def test_the_import_command_writes_the_tolls_with_the_victims(case, intake_worker, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_text(
        "incident_reference,incident_title,incident_date,governorate,incident_type,victim_status,sex,age\n"
        "INC-CMD,Shelling of the school,2018-02-01,idlib,airstrike,killed,female,8\n"
        "INC-CMD,,,,,killed,male,40\n",
        encoding="utf-8",
    )
    call_command("import_victims", case.reference, str(path), "--commit", "--user", intake_worker.username,
                 stdout=io.StringIO())  # fmt: skip
    incident = Incident.objects.get(reference="INC-CMD")
    assert (incident.civilians_killed, incident.children_killed) == (2, 1)


def test_the_admin_refuses_a_victim_whose_age_contradicts_its_band_with_the_plain_message(client, superuser, case):
    incident = IncidentFactory(case=case)
    client.force_login(superuser)
    data = {"incident": incident.pk, "name": "", "sex": "male", "age": "12", "age_band": "adult",
            "combatant_status": "civilian", "status": "killed", "notes": ""}  # fmt: skip
    response = client.post(admin_url(Victim, "add"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The age does not fit this age band" in body
    assert_no_constraint_name(body)
    assert not Victim.objects.exists()


def test_the_admin_refuses_a_governorate_term_of_another_case(client, superuser, case):
    other = CaseFactory(reference="CW-OTHER")
    foreign = Governorate.objects.create(case=other, code="only-there", name="Only in the other case")
    incident = IncidentFactory(case=case)
    client.force_login(superuser)
    change_url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(change_url), Incident)
    data["governorate"] = [str(foreign.pk)]
    response = client.post(change_url, data, follow=True)
    assert "not a term this case may use" in response.content.decode()
    incident.refresh_from_db()
    assert incident.governorate.code == "idlib" and incident.version == 1


def test_the_admin_adds_victims_through_the_service_so_the_tolls_follow(client, superuser, case):
    incident = IncidentFactory(case=case)
    client.force_login(superuser)
    data = {"incident": incident.pk, "name": "", "notes": "", **KILLED_GIRL}
    assert client.post(admin_url(Victim, "add"), data).status_code == 302
    incident.refresh_from_db()
    assert (incident.civilians_killed, incident.children_killed) == (1, 1)
    victim = Victim.objects.get()
    assert client.post(admin_url(Victim, "delete", victim.pk), {"post": "yes"}).status_code == 302
    incident.refresh_from_db()
    assert incident.civilians_killed == 0


def test_the_api_refuses_a_stale_incident_edit_and_the_page_keeps_the_other_edit(api, client, case, intake_worker):
    incident = IncidentFactory(case=case, title="Original")
    api.force_authenticate(intake_worker)
    url = f"/api/cases/{case.reference}/incidents/{incident.pk}/"
    assert api.patch(url, {"title": "First", "version": 1}, format="json").status_code == 200
    stale = api.patch(url, {"title": "Second", "version": 1}, format="json")
    assert stale.status_code == 409
    assert Incident.objects.get(pk=incident.pk).title == "First"
