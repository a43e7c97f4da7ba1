"""Witnesses, consents and testimonies through the REST API: pseudonyms only, identity only through the
audited reveal action, review rules as in the web."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework.audit.models import AuditAction, AuditEvent
from casework.witnesses.models import Consent, Testimony, TestimonyTranslation, Witness
from tests.conftest import assert_no_constraint_name
from tests.factories import IncidentFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db

REAL_NAME = "Mariam Canary-4411"


@pytest.fixture
def api():
    return APIClient()


def url(case, collection, record=None, action=None):
    return (
        f"/api/cases/{case.reference}/{collection}/"
        + (f"{record.pk}/" if record else "")
        + (f"{action}/" if action else "")
    )


def test_identity_is_written_encrypted_and_never_returned(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    response = api.post(
        url(case, "witnesses"),
        {"pseudonym": "W-77", "relationship": "survivor", "real_name": REAL_NAME, "phone": "+963 944 000 111"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert REAL_NAME not in response.content.decode() and "real_name" not in response.json()
    witness = Witness.objects.get(pseudonym="W-77")
    assert witness.real_name == REAL_NAME and witness.created_by == intake_worker
    with connection.cursor() as cursor:
        cursor.execute("SELECT real_name FROM witnesses_witness WHERE id = %s", [witness.pk])
        assert REAL_NAME not in cursor.fetchone()[0], "stored encrypted"
    for body in (api.get(url(case, "witnesses")).content, api.get(url(case, "witnesses", witness)).content):
        assert REAL_NAME.encode() not in body
    assert len(api.get(url(case, "witnesses") + "?q=Mariam").json()["results"]) == 0, "identity is not searchable"


def test_edit_without_identity_keeps_it_and_a_stale_version_conflicts(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    witness = WitnessFactory(case=case, real_name=REAL_NAME)
    response = api.patch(url(case, "witnesses", witness), {"risk_level": "low", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    witness.refresh_from_db()
    assert witness.risk_level == "low" and witness.real_name == REAL_NAME and witness.version == 2
    stale = api.patch(url(case, "witnesses", witness), {"risk_level": "high", "version": 1}, format="json")
    assert stale.status_code == 409
    witness.refresh_from_db()
    assert witness.risk_level == "low"


def test_bad_witness_is_refused_and_nothing_saved(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    WitnessFactory(case=case, pseudonym="W-1")
    for payload, field in (
        ({"pseudonym": "W-1", "relationship": "survivor"}, "pseudonym"),
        ({"pseudonym": "W-2", "relationship": "bystander"}, "relationship"),
        ({"pseudonym": "", "relationship": "survivor"}, "pseudonym"),
    ):
        response = api.post(url(case, "witnesses"), payload, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
        assert_no_constraint_name(response.content.decode())
    assert Witness.objects.count() == 1


def test_reveal_needs_the_permission_and_a_reason_and_is_audited(api, case, analyst, case_admin, intake_worker):
    witness = WitnessFactory(case=case, real_name=REAL_NAME)
    reveal = url(case, "witnesses", witness, "reveal")
    for person in (analyst, intake_worker):
        api.force_authenticate(person)
        assert api.post(reveal, {"reason": "curious"}, format="json").status_code == 403
    api.force_authenticate(case_admin)
    no_reason = api.post(reveal, {"reason": "  "}, format="json")
    assert no_reason.status_code == 400 and REAL_NAME not in no_reason.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.IDENTITY_REVEALED).exists()
    response = api.post(reveal, {"reason": "ICC request 2024/17 needs the witness's contact"}, format="json")
    assert response.status_code == 200
    assert response.json()["real_name"] == REAL_NAME
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditAction.IDENTITY_REVEALED)
    assert event.actor == case_admin and "ICC request" in event.reason


def test_witness_of_another_case_is_not_found(api, case, other_case, outsider):
    witness = WitnessFactory(case=case)
    api.force_authenticate(outsider)
    assert api.get(url(case, "witnesses", witness)).status_code == 404
    assert api.get(url(other_case, "witnesses", witness)).status_code == 404
    assert api.post(url(other_case, "witnesses", witness, "reveal"), {"reason": "x"}).status_code == 404


def test_consents_are_recorded_and_withdrawn(api, case, intake_worker, reviewer):
    witness = WitnessFactory(case=case)
    api.force_authenticate(reviewer)
    assert api.post(url(case, "consents"), {"witness": witness.pk}, format="json").status_code == 403
    api.force_authenticate(intake_worker)
    created = api.post(
        url(case, "consents"),
        {"witness": witness.pk, "scope": "un_mechanisms", "given_on": "2024-01-10", "method": "oral_recorded"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["in_force"] is True and created.json()["recorded_by"] == "intake_worker"
    consent = Consent.objects.get()
    withdraw = url(case, "consents", consent, "withdraw")
    early = api.post(withdraw, {"withdrawn_on": "2023-12-31", "reason": "Asked by phone"}, format="json")
    assert early.status_code == 400 and "before it was given" in early.json()["withdrawn_on"][0]
    no_reason = api.post(withdraw, {"withdrawn_on": "2024-06-01"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    withdrawn = api.post(withdraw, {"withdrawn_on": "2024-06-01", "reason": "Asked by phone"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["in_force"] is False
    assert withdrawn.json()["withdrawal_reason"] == "Asked by phone"
    again = api.post(withdraw, {"reason": "again"}, format="json")
    assert again.status_code == 400 and "already withdrawn" in again.json()["withdrawn_on"][0]
    consent.refresh_from_db()
    assert str(consent.withdrawn_on) == "2024-06-01"
    assert len(api.get(url(case, "consents") + f"?witness={witness.pk}").json()["results"]) == 1


def test_bad_consent_is_refused(api, case, other_case, intake_worker):
    api.force_authenticate(intake_worker)
    foreign = WitnessFactory(case=other_case)
    witness = WitnessFactory(case=case)
    base = {"witness": witness.pk, "scope": "un_mechanisms", "given_on": "2024-01-10", "method": "written"}
    for change, field in (({"witness": foreign.pk}, "witness"), ({"scope": "everyone"}, "scope"),
                          ({"method": "telepathy"}, "method"), ({"given_on": "soon"}, "given_on")):  # fmt: skip
        response = api.post(url(case, "consents"), {**base, **change}, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert not Consent.objects.exists()


def test_testimony_lifecycle(api, case, other_case, intake_worker, reviewer):
    witness = WitnessFactory(case=case)
    IncidentFactory(case=case, reference="INC-1")
    IncidentFactory(case=other_case, reference="INC-X")
    api.force_authenticate(intake_worker)
    payload = {
        "witness": witness.pk,
        "incidents": ["INC-1"],
        "interview_date": "2024-03-04",
        "method": "messaging_app",
        "language": "ar",
        "original_text": "سمعت صوت الطائرة ثم الانفجار.",
        "translations": [{"language": "en", "text": "I heard the aircraft, then the blast."}],
    }
    refused = api.post(url(case, "testimonies"), {**payload, "incidents": ["INC-X"]}, format="json")
    assert refused.status_code == 400 and "incidents" in refused.json()
    assert not Testimony.objects.exists()
    created = api.post(url(case, "testimonies"), payload, format="json")
    assert created.status_code == 201, created.json()
    testimony = Testimony.objects.get()
    assert testimony.interviewer == intake_worker and testimony.status == "draft"
    assert TestimonyTranslation.objects.get().translator == intake_worker

    assert api.post(url(case, "testimonies", testimony, "submit")).json()["status"] == "submitted"
    own = api.post(url(case, "testimonies", testimony, "review"), {"decision": "verify"}, format="json")
    assert own.status_code == 403, "intake staff do not review"
    api.force_authenticate(reviewer)
    assert api.post(url(case, "testimonies", testimony, "submit")).status_code == 403
    review = url(case, "testimonies", testimony, "review")
    no_reason = api.post(review, {"decision": "reject", "version": 2}, format="json")
    assert no_reason.status_code == 400
    no_version = api.post(review, {"decision": "verify"}, format="json")
    assert no_version.status_code == 400 and "version" in no_version.json()
    stale = api.post(review, {"decision": "verify", "version": 1}, format="json")
    assert stale.status_code == 409, "a review names the version the reviewer read"
    verified = api.post(review, {"decision": "verify", "version": 2}, format="json")
    assert verified.status_code == 200 and verified.json()["reviewed_by"] == "reviewer"

    api.force_authenticate(intake_worker)
    edit = api.patch(url(case, "testimonies", testimony), {"original_text": "changed", "version": 3}, format="json")
    assert edit.status_code == 400 and "verified testimony cannot be edited" in str(edit.json())
    testimony.refresh_from_db()
    assert testimony.original_text == payload["original_text"]
    assert len(api.get(url(case, "testimonies") + "?status=verified").json()["results"]) == 1
    assert len(api.get(url(case, "testimonies") + "?status=draft").json()["results"]) == 0
    assert len(api.get(url(case, "testimonies") + "?incident=INC-1").json()["results"]) == 1


def test_a_testimony_takes_only_its_own_cases_witness_and_recordings(api, case, other_case, intake_worker):
    """The witness and the recordings of a testimony are looked up among the case's own records: another case's
    are refused as not found, through the API as on the page, and nothing is saved."""
    from tests.factories import MediaItemFactory

    witness, foreign_witness = WitnessFactory(case=case), WitnessFactory(case=other_case)
    foreign_recording = MediaItemFactory(case=other_case, kind="audio", mime_type="audio/mpeg")
    IncidentFactory(case=case, reference="INC-1")
    api.force_authenticate(intake_worker)
    payload = {
        "witness": witness.pk, "incidents": ["INC-1"], "interview_date": "2024-03-04", "method": "in_person",
        "language": "ar", "original_text": "سمعت صوت الطائرة ثم الانفجار.",
    }  # fmt: skip
    for field, value in (("witness", foreign_witness.pk), ("recordings", [foreign_recording.pk])):
        refused = api.post(url(case, "testimonies"), {**payload, field: value}, format="json")
        assert refused.status_code == 400
        assert list(refused.json()) == [field]
    assert not Testimony.objects.exists()
    assert api.post(url(case, "testimonies"), payload, format="json").status_code == 201


def test_author_cannot_review_own_testimony(api, case, case_admin):
    testimony = TestimonyFactory(case=case, interviewer=case_admin, created_by=case_admin, status="submitted")
    api.force_authenticate(case_admin)
    review = {"decision": "verify", "version": testimony.version}
    response = api.post(url(case, "testimonies", testimony, "review"), review, format="json")
    assert response.status_code == 400 and "someone else must review" in response.json()["non_field_errors"][0]
    testimony.refresh_from_db()
    assert testimony.status == "submitted"


def test_lists_never_decrypt_identities(api, case, intake_worker, monkeypatch):
    witness = WitnessFactory(case=case, real_name=REAL_NAME, phone="+963 944 000 111")
    TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker)
    Consent.objects.create(witness=witness, scope="internal", given_on="2024-01-01", method="written")
    decrypted = []
    from casework.witnesses import crypto

    original = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda token: decrypted.append(token) or original(token))
    api.force_authenticate(intake_worker)
    for collection in ("witnesses", "testimonies", "consents"):
        listed = api.get(url(case, collection)).json()["results"]
        assert len(listed) == 1
        assert api.get(url(case, collection) + f"{listed[0]['id']}/").status_code == 200
    assert decrypted == []


@pytest.mark.parametrize("zone", ["UTC", "Asia/Damascus"])
def test_the_list_shows_each_testimony_as_its_own_page_does(
    api, case, analyst, intake_worker, reviewer, settings, zone
):
    """The list reads incidents, recordings and translations for the whole page at once, the witness's
    pseudonym and the people's usernames with the page, and builds each row from plain values: the same values,
    in the same order and the same formats (times in the site's zone, with and without microseconds), as the
    testimony's own answer."""
    from django.utils import timezone

    settings.TIME_ZONE = zone

    from tests.factories import MediaItemFactory

    witness = WitnessFactory(case=case, real_name=REAL_NAME)
    TestimonyFactory(
        case=case,
        witness=WitnessFactory(case=case, pseudonym="W-REVIEWED"),
        interviewer=intake_worker,
        created_by=intake_worker,
        status="verified",
        reviewed_by=reviewer,
        reviewed_at=timezone.now().replace(microsecond=0),
    )
    incidents = [IncidentFactory(case=case, reference=f"INC-{n}") for n in range(3)]
    for n in range(4):
        testimony = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker)
        testimony.incidents.set(incidents[: n % 3 + 1])
        for language in ("fr", "en")[: n % 3]:
            TestimonyTranslation.objects.create(testimony=testimony, language=language, text=f"Text {n}")
        for _ in range(n % 2 + 1):
            MediaItemFactory(case=case, testimony=testimony, kind="audio", mime_type="audio/mpeg")
    TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker)
    api.force_authenticate(analyst)
    with CaptureQueriesContext(connection) as queries:
        listed = api.get(url(case, "testimonies")).json()["results"]
    assert len(listed) == 6
    for row in listed:
        assert row == api.get(url(case, "testimonies") + f"{row['id']}/").json()
        assert row["created_at"].endswith("Z") == (zone == "UTC")
    assert "." not in next(row["reviewed_at"] for row in listed if row["reviewed_at"])  # no microseconds
    assert sorted(len(row["translations"]) for row in listed) == [0, 0, 0, 0, 1, 2]
    assert sorted(len(row["recordings"]) for row in listed) == [0, 0, 1, 1, 2, 2]
    assert {row["reviewed_by"] for row in listed} == {None, reviewer.username}
    assert {row["interviewer"] for row in listed} == {intake_worker.username}
    assert {row["witness_pseudonym"] for row in listed} == {witness.pseudonym, "W-REVIEWED"}
    # The witnesses' identity columns are not even read for the list.
    assert not [query["sql"] for query in queries if "real_name" in query["sql"]]


def test_the_testimony_list_pages_forwards_and_back_in_each_order(api, case, analyst, intake_worker):
    """The list reads plain values and the pager takes its positions from them (or from its own columns for an
    order the list does not show as a value): every testimony exactly once, in order, both ways."""
    import datetime as dt

    witness = WitnessFactory(case=case)
    days = [dt.date(2024, 3, day) for day in (4, 1, 4, 9, 1, 4, 2)]
    testimonies = [
        TestimonyFactory(case=case, witness=witness, interview_date=day, interviewer=intake_worker) for day in days
    ]
    api.force_authenticate(analyst)
    for ordering, expected in (
        ("", sorted(testimonies, key=lambda t: (t.interview_date, t.pk), reverse=True)),
        ("&ordering=interview_date", sorted(testimonies, key=lambda t: (t.interview_date, t.pk))),
        ("&ordering=-created_at", sorted(testimonies, key=lambda t: (t.created_at, t.pk), reverse=True)),
    ):
        pages = [api.get(url(case, "testimonies") + f"?page_size=2{ordering}").json()]
        while pages[-1]["next"]:
            pages.append(api.get(pages[-1]["next"]).json())
        rows = [row["id"] for page in pages for row in page["results"]]
        assert len(pages) == 4
        back = [pages[-1]]
        while back[-1]["previous"]:
            back.append(api.get(back[-1]["previous"]).json())
        assert [row["id"] for page in reversed(back) for row in page["results"]] == rows
        assert rows == [testimony.pk for testimony in expected], ordering
