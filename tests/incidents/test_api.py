"""Incidents and victims through the REST API: same permission rules as the web, precise errors, nothing
partial saved, no lost updates."""

import pytest
from rest_framework.test import APIClient

from casework.incidents.models import Attribution, Incident, Victim
from casework.web.models import ApiToken
from tests.conftest import assert_no_constraint_name
from tests.factories import IncidentFactory, VictimFactory

pytestmark = pytest.mark.django_db

NEW_INCIDENT = {
    "reference": "INC-API-1",
    "title": "Airstrike on Maarat al-Numan market",
    "start_time": "2024-03-02T09:30:00Z",
    "governorate": "idlib",
    "incident_type": "airstrike",
    "weapons": ["cluster-munition", "unguided-bomb"],
    "facilities_hit": ["market"],
    "latitude": "35.643600",
    "longitude": "36.674300",
    "attributions": [
        {"party": "russian-forces", "confidence": "likely", "basis": "Observatory tracked the aircraft from Hmeimim."}
    ],
}


@pytest.fixture
def api():
    return APIClient()


def incidents_url(case, incident=None):
    return f"/api/cases/{case.reference}/incidents/" + (f"{incident.pk}/" if incident else "")


def victims_url(case, victim=None):
    return f"/api/cases/{case.reference}/victims/" + (f"{victim.pk}/" if victim else "")


def test_create_incident_with_attributions_weapons_and_facilities(api, case, intake_worker):
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=intake_worker)[1]}")
    response = api.post(incidents_url(case), NEW_INCIDENT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and body["civilians_killed"] == 0
    incident = Incident.objects.get(case=case, reference="INC-API-1")
    assert incident.created_by == intake_worker
    assert sorted(incident.weapons.values_list("code", flat=True)) == ["cluster-munition", "unguided-bomb"]
    assert list(incident.facilities_hit.values_list("code", flat=True)) == ["market"]
    attribution = incident.attributions.get()
    assert (attribution.party.code, attribution.confidence) == ("russian-forces", "likely")
    assert api.get(incidents_url(case, incident)).json()["attributions"] == NEW_INCIDENT["attributions"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"governorate": "atlantis"}, "governorate", "does not exist"),
        ({"end_time": "2024-03-01T00:00:00Z"}, "end_time", "The end cannot be before the start."),
        ({"longitude": None}, "latitude", "Give both latitude and longitude, or neither."),
        ({"latitude": "95.0"}, "latitude", "between -90 and 90"),
        ({"weapons": ["cluster-munition", "laser"]}, "weapons", "laser"),
        ({"start_time": "yesterday"}, "start_time", "Datetime has wrong format"),
        (
            {"attributions": [{"party": "isis", "confidence": "sure", "basis": "x"}]},
            "attributions",
            "not a valid choice",
        ),
        (
            {"attributions": [{"party": "isis", "confidence": "likely", "basis": "x"}] * 2},
            "attributions",
            "Each party can be named once",
        ),
    ],
)
def test_bad_incident_is_refused_precisely_and_nothing_is_saved(api, case, intake_worker, change, field, message):
    api.force_authenticate(intake_worker)
    response = api.post(incidents_url(case), {**NEW_INCIDENT, **change}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert message in str(errors[field] if field else errors)
    assert_no_constraint_name(response.content.decode())
    assert not Incident.objects.exists() and not Attribution.objects.exists()


def test_a_reference_used_twice_in_a_case_is_refused(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    IncidentFactory(case=case, reference="INC-API-1")
    response = api.post(incidents_url(case), NEW_INCIDENT, format="json")
    assert response.status_code == 400
    assert "already exists" in str(response.json())
    assert Incident.objects.count() == 1


def test_update_needs_the_version_read_and_a_stale_one_is_a_conflict(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    incident = Incident.objects.get(pk=api.post(incidents_url(case), NEW_INCIDENT, format="json").json()["id"])
    missing = api.patch(incidents_url(case, incident), {"title": "No version"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    first = api.patch(incidents_url(case, incident), {"title": "First edit", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    old_copy = {"title": "Edit from an old copy", "version": 1, "attributions": []}
    stale = api.patch(incidents_url(case, incident), old_copy, format="json")
    assert stale.status_code == 409
    assert "Someone else saved this record" in stale.json()["detail"]
    incident.refresh_from_db()
    assert incident.title == "First edit" and incident.attributions.count() == 1


def test_attributions_are_replaced_only_when_sent(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    incident_id = api.post(incidents_url(case), NEW_INCIDENT, format="json").json()["id"]
    url = f"{incidents_url(case)}{incident_id}/"
    api.patch(url, {"title": "Renamed", "version": 1}, format="json")
    assert Attribution.objects.filter(incident_id=incident_id).count() == 1
    new = [{"party": "syrian-government-forces", "confidence": "confirmed", "basis": "Official media claimed it."}]
    assert api.patch(url, {"attributions": new, "version": 2}, format="json").status_code == 200
    assert list(Attribution.objects.filter(incident_id=incident_id).values_list("party__code", flat=True)) == [
        "syrian-government-forces"
    ]


def test_incident_permissions(api, case, other_case, reviewer, analyst, outsider):
    incident = IncidentFactory(case=case)
    for person in (reviewer, analyst):
        api.force_authenticate(person)
        assert api.get(incidents_url(case, incident)).status_code == 200
        assert api.post(incidents_url(case), NEW_INCIDENT, format="json").status_code == 403
        assert api.patch(incidents_url(case, incident), {"title": "x", "version": 1}, format="json").status_code == 403
    api.force_authenticate(outsider)
    assert api.get(incidents_url(case)).status_code == 404
    assert api.get(incidents_url(case, incident)).status_code == 404
    assert api.get(f"/api/cases/{other_case.reference}/incidents/{incident.pk}/").status_code == 404
    api.force_authenticate(None)
    assert api.get(incidents_url(case)).status_code in (401, 403)
    assert Incident.objects.get(pk=incident.pk).title == incident.title


def test_incident_filters_and_ordering(api, case, analyst):
    api.force_authenticate(analyst)
    api_post = APIClient()
    api_post.force_authenticate(analyst)
    idlib = IncidentFactory(case=case, reference="A-1", start_time="2024-01-05T10:00:00Z")
    aleppo = IncidentFactory(
        case=case, reference="A-2", start_time="2024-02-05T10:00:00Z", governorate=governorate("aleppo")
    )
    aleppo.weapons.add(weapon("incendiary"))
    Attribution.objects.create(incident=aleppo, party=party("russian-forces"), confidence="confirmed", basis="b")
    Attribution.objects.create(incident=idlib, party=party("isis"), confidence="possible", basis="b")

    def references(query):
        response = api.get(incidents_url(case) + query)
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert references("?ordering=start_time") == ["A-1", "A-2"]
    assert references("?governorate=aleppo") == ["A-2"]
    assert references("?weapon=incendiary") == ["A-2"]
    assert references("?party=isis") == ["A-1"]
    assert references("?confidence=confirmed&confidence=likely") == ["A-2"]
    assert references("?date_from=2024-02-01") == ["A-2"]
    assert references("?q=A-1") == ["A-1"]
    bad = api.get(incidents_url(case) + "?date_from=last-week")
    assert bad.status_code == 400 and "date_from" in bad.json()


def governorate(code):
    from casework.incidents.models import Governorate

    return Governorate.objects.get(code=code, case=None)


def weapon(code):
    from casework.incidents.models import WeaponType

    return WeaponType.objects.get(code=code, case=None)


def party(code):
    from casework.incidents.models import Party

    return Party.objects.get(code=code, case=None)


def test_victims_create_update_delete(api, case, other_case, intake_worker):
    api.force_authenticate(intake_worker)
    incident = IncidentFactory(case=case, reference="INC-7")
    foreign = IncidentFactory(case=other_case, reference="INC-8")
    created = api.post(
        victims_url(case),
        {"incident": "INC-7", "name": "سارة", "sex": "female", "age": 18, "age_band": "adult", "status": "killed",
         "occupation": "medical-personnel"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    incident.refresh_from_db()
    assert (incident.civilians_killed, incident.adult_women_killed) == (1, 1), "tolls written with the victim"
    victim = Victim.objects.get(pk=created.json()["id"])
    assert (victim.incident, victim.name, victim.occupation.code) == (incident, "سارة", "medical-personnel")

    moved = api.patch(victims_url(case, victim), {"incident": "INC-8", "status": "injured"}, format="json")
    assert moved.status_code == 200
    victim.refresh_from_db()
    assert victim.incident == incident and victim.status == "injured", "a victim is not moved between incidents"

    assert api.post(victims_url(case), {"incident": "INC-8", "status": "killed"}, format="json").status_code == 400
    assert not foreign.victims.exists()
    incident.refresh_from_db()
    assert (incident.civilians_killed, incident.injured) == (0, 1)
    assert api.delete(victims_url(case, victim)).status_code == 204
    assert not Victim.objects.exists()
    incident.refresh_from_db()
    assert incident.injured == 0


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"age": 17, "age_band": "adult"}, "age_band", "does not fit"),
        ({"age": 18, "age_band": "child"}, "age_band", "does not fit"),
        ({"age": 140}, "age", "An age over 130 is not plausible."),
        ({"age": -1}, "age", "greater than or equal to 0"),
        ({"sex": "f"}, "sex", "not a valid choice"),
        ({"status": None}, "status", "may not be null"),
        ({"occupation": "astronaut"}, "occupation", "does not exist"),
        ({"incident": "INC-404"}, "incident", "does not exist"),
    ],
)
def test_bad_victim_is_refused_precisely(api, case, intake_worker, payload, field, message):
    api.force_authenticate(intake_worker)
    IncidentFactory(case=case, reference="INC-7")
    response = api.post(victims_url(case), {"incident": "INC-7", "status": "killed", **payload}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field] if field else response.json())
    assert_no_constraint_name(response.content.decode())
    assert not Victim.objects.exists()


def test_victim_list_filters(api, case, analyst):
    api.force_authenticate(analyst)
    idlib = IncidentFactory(case=case, reference="I-1")
    aleppo = IncidentFactory(case=case, reference="A-1", governorate=governorate("aleppo"))
    VictimFactory(incident=idlib, name="Ahmad", status="killed")
    VictimFactory(incident=aleppo, name="Huda", sex="female", status="killed")
    VictimFactory(incident=aleppo, name="Omar", status="injured")

    def names(query):
        response = api.get(victims_url(case) + query)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names("?status=killed&governorate=aleppo") == ["Huda"]
    assert names("?incident=I-1") == ["Ahmad"]
    assert names("?ordering=-name") == ["Omar", "Huda", "Ahmad"]
    assert names("?sex=female") == ["Huda"]
    assert api.get(victims_url(case) + "?status=dead").status_code == 400


def test_a_reviewer_links_duplicates_so_the_person_is_counted_once(api, case, reviewer, intake_worker):
    incident = IncidentFactory(case=case)
    first, second, third = (VictimFactory(incident=incident, status="killed") for _ in range(3))
    url = victims_url(case, second) + "duplicate-of/"
    api.force_authenticate(intake_worker)
    assert api.post(url, {"duplicate_of": first.pk}, format="json").status_code == 403
    api.force_authenticate(reviewer)
    response = api.post(url, {"duplicate_of": first.pk}, format="json")
    assert response.status_code == 200 and response.json()["duplicate_of"] == first.pk
    assert Victim.objects.counted().count() == 2
    # Linked to a record that is itself linked: one cluster (record linkage), counted through its first record.
    chained = api.post(victims_url(case, third) + "duplicate-of/", {"duplicate_of": second.pk}, format="json")
    assert chained.status_code == 200 and chained.json()["duplicate_of"] == first.pk
    assert Victim.objects.counted().count() == 1
    itself = api.post(victims_url(case, third) + "duplicate-of/", {"duplicate_of": third.pk}, format="json")
    assert itself.status_code == 400
    # Unlinking the middle record withdraws its decisions: the other two were joined only through it.
    assert api.post(url, {"duplicate_of": None}, format="json").json()["duplicate_of"] is None
    assert Victim.objects.counted().count() == 3


def test_a_record_of_another_case_is_no_duplicate_target(api, case, other_case, reviewer):
    """The record a victim duplicates must belong to the same case: another case's record is refused as not
    found, exactly as a missing one, and nothing is linked."""
    victim = VictimFactory(incident=IncidentFactory(case=case), status="killed")
    foreign = VictimFactory(incident=IncidentFactory(case=other_case), status="killed")
    api.force_authenticate(reviewer)
    response = api.post(victims_url(case, victim) + "duplicate-of/", {"duplicate_of": foreign.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["duplicate_of"] == [f'Invalid pk "{foreign.pk}" - object does not exist.']
    victim.refresh_from_db()
    assert victim.duplicate_of_id is None


def test_ordering_puts_unknown_values_last_and_pages_never_overlap(api, case, analyst):
    api.force_authenticate(analyst)
    incident = IncidentFactory(case=case)
    ages = [None, 40, None, 40, 7, 40, None]
    victims = [VictimFactory(incident=incident, age=age, age_band="unknown") for age in ages]
    for ordering, expected_ages in (
        ("-age", [40, 40, 40, 7, None, None, None]),
        ("age", [7, 40, 40, 40, None, None, None]),
    ):
        pages = [api.get(victims_url(case) + f"?ordering={ordering}&page_size=2").json()]
        while pages[-1]["next"]:
            pages.append(api.get(pages[-1]["next"]).json())
        assert len(pages) == 4
        rows = [row for page in pages for row in page["results"]]
        # And back from the last page, through `previous`, the same rows.
        back = [pages[-1]]
        while back[-1]["previous"]:
            back.append(api.get(back[-1]["previous"]).json())
        assert [row for page in reversed(back) for row in page["results"]] == rows
        assert [row["age"] for row in rows] == expected_ages
        assert sorted(row["id"] for row in rows) == sorted(victim.pk for victim in victims), "each exactly once"


def test_a_victim_added_through_the_api_keeps_its_source(api, case, intake_worker):
    incident = IncidentFactory(case=case)
    api.force_authenticate(intake_worker)
    response = api.post(
        f"/api/cases/{case.reference}/victims/",
        {"incident": incident.reference, "name": "Samir", "status": "killed", "source_name": "Partner list"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["source_name"], response.json()["source_kind"]) == ("Partner list", "api")
    assert Victim.objects.get(name="Samir").source_kind == "api"
