"""Consent that governs, from the staff pages and the API: several scopes in one submit, a newer consent
supersedes the older one, withdrawal with a date and a reason, and a name consent that counts only once a case
admin confirmed it."""

from datetime import date

import pytest
from django.urls import reverse

from casework.witnesses.consent import Disclosure, witness_disclosure
from casework.witnesses.models import Consent
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def witness(case):
    return WitnessFactory(case=case, pseudonym="W-CONSENT")


def record(client, witness, **fields):
    data = {"scopes": ["internal", "courts"], "given_on": "2024-01-10", "method": "written", **fields}
    return client.post(reverse("witnesses:witness_detail", args=[witness.case.reference, witness.pk]), data)


def test_several_scopes_are_recorded_in_one_submit(client, intake_worker, witness):
    client.force_login(intake_worker)
    assert record(client, witness).status_code == 302
    assert sorted(witness.consents.values_list("scope", flat=True)) == ["courts", "internal"]
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 2, 1)) == Disclosure.PSEUDONYM


def test_a_consent_without_a_scope_is_refused_and_what_was_typed_is_kept(client, intake_worker, witness):
    client.force_login(intake_worker)
    response = record(client, witness, scopes=[], notes="Said yes on the phone")
    assert response.status_code == 400
    assert "Said yes on the phone" in response.content.decode()
    assert not Consent.objects.exists()


def test_a_name_consent_recorded_by_intake_waits_for_a_case_admin(client, intake_worker, case_admin, witness):
    client.force_login(intake_worker)
    response = record(client, witness, scopes=["courts"], allows_name="on")
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 2, 1)) == Disclosure.PSEUDONYM
    page = client.get(reverse("witnesses:witness_detail", args=[witness.case.reference, witness.pk])).content
    assert "waits for a case admin" in page.decode()
    confirm = reverse("witnesses:consent_confirm_name", args=[witness.case.reference, consent.pk])
    assert client.post(confirm).status_code == 403, "intake staff cannot confirm a name consent"
    client.force_login(case_admin)
    assert client.post(confirm).status_code == 302
    consent.refresh_from_db()
    assert consent.name_confirmed_by == case_admin
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 2, 1)) == Disclosure.NAME


def test_a_name_consent_recorded_through_the_api_by_intake_waits_for_a_case_admin(
    api, intake_worker, case_admin, witness
):
    api.force_authenticate(intake_worker)
    payload = {"witness": witness.pk, "scope": "courts", "allows_name": True, "given_on": "2024-01-10",
               "method": "written"}  # fmt: skip
    created = api.post(f"/api/cases/{witness.case.reference}/consents/", payload, format="json")
    assert created.status_code == 201 and created.json()["name_confirmed"] is False
    confirm = f"/api/cases/{witness.case.reference}/consents/{created.json()['id']}/confirm-name/"
    assert api.post(confirm).status_code == 403
    api.force_authenticate(case_admin)
    confirmed = api.post(confirm)
    assert confirmed.status_code == 200 and confirmed.json()["name_confirmed"] is True


def test_a_name_consent_added_in_the_admin_by_a_superuser_is_confirmed_by_them(client, superuser, witness):
    client.force_login(superuser)
    data = {"witness": witness.pk, "scope": "courts", "allows_name": "on", "given_on": "2024-01-10",
            "method": "written", "notes": ""}  # fmt: skip
    assert client.post(reverse("admin:witnesses_consent_add"), data).status_code == 302
    consent = Consent.objects.get()
    assert (consent.recorded_by, consent.name_confirmed_by) == (superuser, superuser)


def test_a_newer_consent_supersedes_the_older_one_of_its_scope(client, case_admin, witness):
    client.force_login(case_admin)
    record(client, witness, scopes=["courts"], allows_name="on", given_on="2024-01-10")
    record(client, witness, scopes=["courts"], given_on="2024-03-01")
    older, newer = Consent.objects.order_by("given_on")
    assert older.superseded_on == date(2024, 3, 1) and newer.superseded_on is None
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 2, 1)) == Disclosure.NAME
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 3, 2)) == Disclosure.PSEUDONYM
    page = client.get(reverse("witnesses:witness_detail", args=[witness.case.reference, witness.pk])).content
    assert "Superseded on" in page.decode()


def test_a_consent_is_withdrawn_on_the_page_with_a_date_and_a_reason(client, intake_worker, witness):
    client.force_login(intake_worker)
    record(client, witness, scopes=["courts"])
    consent = Consent.objects.get()
    url = reverse("witnesses:consent_withdraw", args=[witness.case.reference, consent.pk])
    before_given = client.post(url, {"withdrawn_on": "2023-12-31", "reason": "Called us"}, follow=True)
    assert "cannot be withdrawn before it was given" in before_given.content.decode()
    no_reason = client.post(url, {"withdrawn_on": "2024-05-01", "reason": ""}, follow=True)
    assert "This field is required" in no_reason.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    response = client.post(url, {"withdrawn_on": "2024-05-01", "reason": "Fears for family"}, follow=True)
    assert "Consent withdrawal recorded." in response.content.decode()
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawal_reason) == (date(2024, 5, 1), "Fears for family")
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 5, 2)) == Disclosure.WITHHOLD


def test_a_consent_is_withdrawn_in_the_admin_and_a_withdrawal_is_never_undone(client, superuser, witness):
    consent = Consent.objects.create(witness=witness, scope="courts", given_on="2024-01-10", method="written")
    client.force_login(superuser)
    url = reverse("admin:witnesses_consent_change", args=[consent.pk])
    data = {"withdrawn_on": "2024-04-01", "withdrawal_reason": "Asked in person"}
    assert client.post(url, data).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == date(2024, 4, 1)
    client.post(url, {"withdrawn_on": "", "withdrawal_reason": ""})
    consent.refresh_from_db()
    assert consent.withdrawn_on == date(2024, 4, 1)


def test_reviewers_and_analysts_cannot_withdraw_or_record_consent(client, reviewer, analyst, witness):
    consent = Consent.objects.create(witness=witness, scope="courts", given_on="2024-01-10", method="written")
    url = reverse("witnesses:consent_withdraw", args=[witness.case.reference, consent.pk])
    for person in (reviewer, analyst):
        client.force_login(person)
        assert client.post(url, {"withdrawn_on": "2024-05-01", "reason": "x"}).status_code == 403
        assert record(client, witness).status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and Consent.objects.count() == 1
