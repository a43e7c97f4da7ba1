"""What holds for the whole API: a schema that generates without warnings, docs that need no outside
server, and list endpoints whose number of queries does not grow with the page (no N+1)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework.bundles.models import EvidenceBundle
from casework.captures.models import Capture, CaptureArtefact, CaptureCheck
from casework.evidence.custody import custody_record
from casework.incidents.models import Attribution, FacilityType, Incident, Occupation, Party, Victim, WeaponType
from casework.witnesses.models import Consent, TestimonyTranslation
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "cases/",
    "cases/CW-0042/incidents/",
    "cases/CW-0042/victims/",
    "cases/CW-0042/witnesses/",
    "cases/CW-0042/consents/",
    "cases/CW-0042/testimonies/",
    "cases/CW-0042/media/",
    "cases/CW-0042/custody/",
    "cases/CW-0042/packets/",
    "cases/CW-0042/captures/",
]


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/cases/{reference}/incidents/",
        "/api/cases/{reference}/witnesses/{witness_id}/reveal/",
        "/api/cases/{reference}/uploads/{upload_id}/",
    ):
        assert path in schema
    assert "real_name" in schema and "writeOnly: true" in schema


def test_schema_and_docs_are_served_without_outside_assets(client, analyst):
    client.force_login(analyst)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page


def add_records(case, person, count: int) -> None:
    """`count` more of every kind of record, each with the related rows its list shows."""
    weapon, facility = WeaponType.objects.first(), FacilityType.objects.first()
    occupation, parties = Occupation.objects.first(), list(Party.objects.all()[:2])
    for _ in range(count):
        incident = IncidentFactory(case=case)
        incident.weapons.add(weapon)
        incident.facilities_hit.add(facility)
        for party in parties:
            Attribution.objects.create(incident=incident, party=party, confidence="likely", basis="tracked")
        VictimFactory(incident=incident, occupation=occupation)
        witness = WitnessFactory(case=case)
        Consent.objects.create(witness=witness, scope="internal", given_on="2024-01-01", method="written")
        testimony = TestimonyFactory(case=case, witness=witness, interviewer=person, created_by=person)
        testimony.incidents.add(incident)
        TestimonyTranslation.objects.create(testimony=testimony, language="en", text="I saw it.")
        item = MediaItemFactory(case=case, acquired_by=person)
        item.incidents.add(incident)
        custody_record(action="received", target=item, actor=person)
        bundle = EvidenceBundle.objects.create(case=case, scope="incidents", recipient="UN", profile="court",
                                               requested_by=person)  # fmt: skip
        bundle.incidents.add(incident)
        capture = Capture.objects.create(case=case, url="https://example.org/p", requested_by=person, media_item=item)
        capture.incidents.add(incident)
        CaptureArtefact.objects.create(capture=capture, kind="warc", file="captures/w", sha256="c" * 64, size_bytes=1)
        CaptureCheck.objects.create(capture=capture, checked_at=capture.requested_at, outcome="online")


def queries_for(api, person, endpoint: str) -> int:
    api.force_authenticate(type(person).objects.get(pk=person.pk))  # a fresh user: no permission cache
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/{endpoint}?page_size=100")
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_the_page(case, case_admin, endpoint):
    api = APIClient()
    add_records(case, case_admin, 1)
    few = queries_for(api, case_admin, endpoint)
    add_records(case, case_admin, 6)
    many = queries_for(api, case_admin, endpoint)
    assert len(api.get(f"/api/{endpoint}?page_size=100").json()["results"]) >= (7 if endpoint != "cases/" else 1)
    assert many == few, f"{endpoint}: {few} queries for 1 record, {many} for 7"


def all_pages(api, url: str) -> list[dict]:
    """Every page of a list, following `next`."""
    pages = [api.get(url).json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    return pages


def test_lists_page_by_position_without_counting_and_links_go_both_ways(case, analyst):
    incident = IncidentFactory(case=case)
    victims = [VictimFactory(incident=incident, name=f"Person {n}") for n in range(5)]
    api = APIClient()
    api.force_authenticate(analyst)
    url = f"/api/cases/{case.reference}/victims/"

    assert api.get(url + "?status=injured").json() == {"next": None, "previous": None, "results": []}
    first = api.get(url + "?page_size=2").json()
    assert "count" not in first and first["previous"] is None
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert third["next"] is None and api.get(third["previous"]).json()["results"] == second["results"]
    assert api.get(second["previous"]).json()["results"] == first["results"]
    assert api.get(api.get(second["previous"]).json()["next"]).json()["results"] == second["results"]
    listed = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert listed == [victim.pk for victim in victims]
    for bad in ("nonsense", "e30", "eyJwIjogWzEsIDJdfQ"):  # not base64 JSON, {}, {"p": [1, 2]}
        assert api.get(url + f"?cursor={bad}").status_code == 404


def test_a_record_added_or_removed_between_pages_shifts_nothing(case, analyst):
    incident = IncidentFactory(case=case)
    victims = [VictimFactory(incident=incident, name=f"Person {n}") for n in range(6)]
    api = APIClient()
    api.force_authenticate(analyst)
    url = f"/api/cases/{case.reference}/victims/?ordering=-id&page_size=2"
    first = api.get(url).json()
    VictimFactory(incident=incident, name="Added after the first page")
    victims[3].delete()
    rest = all_pages(api, first["next"])
    listed = [row["id"] for page in [first, *rest] for row in page["results"]]
    assert listed == [victim.pk for victim in reversed(victims) if victim is not victims[3]]


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_every_list_pages_through_each_record_once(case, case_admin, endpoint):
    api = APIClient()
    add_records(case, case_admin, 3)
    api.force_authenticate(case_admin)
    whole = api.get(f"/api/{endpoint}?page_size=500").json()
    pages = all_pages(api, f"/api/{endpoint}?page_size=2")
    assert [row for page in pages for row in page["results"]] == whole["results"]


@pytest.fixture
def records(case, intake_worker):
    incident = IncidentFactory(case=case)
    witness = WitnessFactory(case=case)
    testimony = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker)
    testimony.incidents.add(incident)
    return {
        "incidents": incident,
        "victims": VictimFactory(incident=incident),
        "witnesses": witness,
        "testimonies": testimony,
        "consents": Consent.objects.create(witness=witness, scope="internal", given_on="2024-01-01", method="written"),
    }


WRITES = [
    ("post", "incidents", None),
    ("patch", "incidents", ""),
    ("put", "incidents", ""),
    ("post", "victims", None),
    ("patch", "victims", ""),
    ("delete", "victims", ""),
    ("post", "witnesses", None),
    ("patch", "witnesses", ""),
    ("post", "consents", None),
    ("post", "consents", "withdraw/"),
    ("post", "testimonies", None),
    ("patch", "testimonies", ""),
    ("post", "testimonies", "submit/"),
    ("post", "media", None),
    ("post", "packets", None),
]


@pytest.mark.parametrize(("method", "collection", "action"), WRITES)
def test_writes_are_refused_to_roles_without_the_permission_and_change_nothing(
    case, records, reviewer, analyst, intake_worker, outsider, method, collection, action
):
    record = records.get(collection)
    url = f"/api/cases/{case.reference}/{collection}/" + (f"{record.pk}/{action}" if action is not None else "")
    allowed = {"packets": {analyst}}.get(collection, {intake_worker})
    api = APIClient()
    for person in (reviewer, analyst, intake_worker):
        if person in allowed:
            continue
        api.force_authenticate(person)
        assert getattr(api, method)(url, {"version": 1}, format="json").status_code == 403, (person, method, url)
    api.force_authenticate(outsider)
    assert getattr(api, method)(url, {"version": 1}, format="json").status_code == 404
    api.force_authenticate(None)
    assert getattr(api, method)(url, {"version": 1}, format="json").status_code in (401, 403)
    for kind, stored in records.items():
        fresh = type(stored).objects.get(pk=stored.pk)
        assert getattr(fresh, "version", None) == getattr(stored, "version", None), kind
        assert getattr(fresh, "withdrawn_on", None) is None and getattr(fresh, "status", "") == getattr(
            stored, "status", ""
        )
    assert Incident.objects.count() == 1 and Victim.objects.count() == 1 and not EvidenceBundle.objects.exists()
