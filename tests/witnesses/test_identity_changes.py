"""Changing a witness's identity is never silent: which fields, who, audited; the earlier values kept encrypted."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from casework.audit.models import AuditAction, AuditEvent
from casework.witnesses.models import WitnessIdentityChange
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db

OLD_PHONE, NEW_PHONE = "+963 944 100 200", "+963 955 300 400"


@pytest.fixture
def witness(case):
    return WitnessFactory(case=case, pseudonym="W-ID", real_name="Old Name 51c2", phone=OLD_PHONE)


def raw_previous_values() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT previous_values FROM witnesses_witnessidentitychange")
        return cursor.fetchone()[0]


def assert_change_recorded(witness, person, fields):
    change = WitnessIdentityChange.objects.get(witness=witness)
    assert (change.changed_by, change.fields) == (person, fields)
    assert json.loads(change.previous_values) == {"phone": OLD_PHONE}
    assert OLD_PHONE not in raw_previous_values(), "earlier values are stored encrypted"
    event = AuditEvent.objects.get(action=AuditAction.IDENTITY_CHANGED)
    assert (event.actor, event.details["fields"]) == (person, fields)
    assert OLD_PHONE not in json.dumps(event.details) and NEW_PHONE not in json.dumps(event.details)
    witness.refresh_from_db()
    assert witness.phone == NEW_PHONE


def test_changing_the_phone_on_the_page_is_audited_and_the_old_number_kept_encrypted(client, intake_worker, witness):
    client.force_login(intake_worker)
    data = {"version": witness.version, "pseudonym": "W-ID", "relationship": "eyewitness", "risk_level": "high",
            "reliability": "unknown", "connection": "unknown", "phone": NEW_PHONE}  # fmt: skip
    response = client.post(reverse("witnesses:witness_edit", args=[witness.case.reference, witness.pk]), data)
    assert response.status_code == 302
    assert_change_recorded(witness, intake_worker, ["phone"])
    page = client.get(response["Location"]).content.decode()
    assert OLD_PHONE not in page and NEW_PHONE not in page


def test_changing_the_phone_through_the_api_is_audited(api, intake_worker, witness):
    api.force_authenticate(intake_worker)
    url = f"/api/cases/{witness.case.reference}/witnesses/{witness.pk}/"
    response = api.patch(url, {"phone": NEW_PHONE, "version": witness.version}, format="json")
    assert response.status_code == 200
    assert NEW_PHONE not in response.content.decode()
    assert_change_recorded(witness, intake_worker, ["phone"])


def test_an_unchanged_or_empty_identity_is_no_change(api, intake_worker, witness):
    api.force_authenticate(intake_worker)
    url = f"/api/cases/{witness.case.reference}/witnesses/{witness.pk}/"
    api.patch(url, {"phone": OLD_PHONE, "real_name": "", "version": witness.version}, format="json")
    assert not WitnessIdentityChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.IDENTITY_CHANGED).exists()


def test_a_stale_edit_changes_no_identity_and_records_nothing(api, intake_worker, witness):
    api.force_authenticate(intake_worker)
    url = f"/api/cases/{witness.case.reference}/witnesses/{witness.pk}/"
    response = api.patch(url, {"phone": NEW_PHONE, "version": witness.version - 1}, format="json")
    assert response.status_code == 409
    witness.refresh_from_db()
    assert witness.phone == OLD_PHONE and not WitnessIdentityChange.objects.exists()
