"""Revealing an identity is deliberate and audited; security events are recorded and readable by case admins."""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.cases.models import CaseMembership
from tests.factories import TEST_PASSWORD, UserFactory, WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def witness(case):
    return WitnessFactory(case=case, pseudonym="W-321", real_name="Hidden Person 55b", phone="+963 933 123 456")


def reveal_url(case, witness):
    return reverse("witnesses:witness_reveal", args=[case.reference, witness.pk])


def test_case_admin_reveals_with_a_reason_and_it_is_audited(client, case_admin, case, witness):
    client.force_login(case_admin)
    form = client.get(reveal_url(case, witness))
    assert form.status_code == 200 and b"Hidden Person 55b" not in form.content
    refused = client.post(reveal_url(case, witness), {"reason": "  "})
    assert refused.status_code == 400 and b"Hidden Person 55b" not in refused.content
    assert "Say why you need to see this identity." in refused.content.decode()
    assert not AuditEvent.objects.filter(action="identity_revealed").exists()
    shown = client.post(reveal_url(case, witness), {"reason": "Arranging protection with the UN team"})
    assert b"Hidden Person 55b" in shown.content and b"+963 933 123 456" in shown.content
    assert "no-store" in shown["Cache-Control"] or "no-cache" in shown["Cache-Control"]
    event = AuditEvent.objects.get(action="identity_revealed")
    assert (event.actor, event.case, event.object_id, event.reason) == (
        case_admin,
        case,
        str(witness.pk),
        "Arranging protection with the UN team",
    )
    assert "Hidden Person 55b" not in str(event.details)


@pytest.mark.parametrize("persona", ["intake_worker", "reviewer", "analyst"])
def test_other_roles_cannot_reveal(client, request, case, witness, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reveal_url(case, witness), {"reason": "curious"})
    assert response.status_code == 403 and b"Hidden Person 55b" not in response.content
    assert not AuditEvent.objects.filter(action="identity_revealed").exists()


def test_superuser_reveals_are_logged_like_anyone_elses(client, superuser, case, witness):
    client.force_login(superuser)
    client.post(reveal_url(case, witness), {"reason": "Data care"})
    assert AuditEvent.objects.filter(action="identity_revealed", actor=superuser).count() == 1


def test_sign_ins_and_failures_are_recorded_without_passwords(client, intake_worker):
    client.post(reverse("login"), {"username": "intake_worker", "password": "wrong-password-123"})
    client.post(reverse("login"), {"username": "intake_worker", "password": TEST_PASSWORD})
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert failed.actor_label == "intake_worker" and "wrong-password" not in str(failed.details)
    assert AuditEvent.objects.filter(action="sign_in", actor=intake_worker).count() == 1


def test_team_changes_are_recorded(case):
    person = UserFactory(username="new_member")
    membership = CaseMembership.objects.create(case=case, user=person, role="intake")
    membership.role = "reviewer"
    membership.save()
    membership.delete()
    actions = list(AuditEvent.objects.filter(case=case).order_by("id").values_list("action", "details"))
    assert [action for action, _ in actions][-3:] == ["membership_added", "membership_changed", "membership_removed"]
    assert actions[-2][1] == {"user": "new_member", "role": "reviewer", "previous_role": "intake"}


def test_audit_log_page_is_for_case_admins(client, case_admin, intake_worker, case, witness):
    client.force_login(case_admin)
    client.post(reveal_url(case, witness), {"reason": "Court summons"})
    page = client.get(reverse("audit:case_audit_log", args=[case.reference])).content.decode()
    assert "Witness identity revealed" in page and "Court summons" in page and "W-321" in page
    assert "Hidden Person 55b" not in page
    client.force_login(intake_worker)
    assert client.get(reverse("audit:case_audit_log", args=[case.reference])).status_code == 403


def test_audit_events_are_append_only(case_admin):
    from casework.audit.services import audit_record

    event = audit_record(action="sign_in", actor=case_admin)
    for attempt in (
        lambda: AuditEvent.objects.update(reason="x"),
        AuditEvent.objects.all().delete,
        event.save,
        event.delete,
    ):
        with pytest.raises(PermissionError):
            attempt()
