"""Team changes are audited once, with the person who made them, whichever door they came through."""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.cases import services
from casework.cases.models import CaseMembership
from casework.errors import Refused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEAM_ACTIONS = ["membership_added", "membership_changed", "membership_removed"]


def team_events(case) -> list[tuple[str, str, dict]]:
    events = AuditEvent.objects.filter(case=case, action__in=TEAM_ACTIONS).order_by("id")
    return [(event.action, event.actor_label, event.details) for event in events]


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer")


def test_services_audit_each_change_once_with_its_actor(case, case_admin, newcomer):
    before = AuditEvent.objects.count()
    services.membership_add(case=case, user=newcomer, role="intake", actor=case_admin)
    services.membership_change_role(case=case, user=newcomer, role="reviewer", actor=case_admin)
    services.membership_change_role(case=case, user=newcomer, role="reviewer", actor=case_admin)  # no change
    services.membership_remove(case=case, user=newcomer, actor=case_admin)
    assert AuditEvent.objects.count() - before == 3
    assert team_events(case)[-3:] == [
        ("membership_added", "case_admin", {"user": "newcomer", "role": "intake"}),
        ("membership_changed", "case_admin", {"user": "newcomer", "role": "reviewer", "previous_role": "intake"}),
        ("membership_removed", "case_admin", {"user": "newcomer", "role": "reviewer"}),
    ]
    assert set(
        AuditEvent.objects.filter(action__in=TEAM_ACTIONS, actor_label="case_admin").values_list("actor", flat=True)
    ) == {case_admin.pk}


def test_services_refuse_bad_changes_and_write_nothing(case, case_admin, intake_worker, newcomer):
    before = AuditEvent.objects.count()
    with pytest.raises(Refused):
        services.membership_add(case=case, user=intake_worker, role="reviewer", actor=case_admin)
    with pytest.raises(Refused):
        services.membership_add(case=case, user=newcomer, role="overlord", actor=case_admin)
    with pytest.raises(Refused):
        services.membership_change_role(case=case, user=newcomer, role="intake", actor=case_admin)
    with pytest.raises(Refused):
        services.membership_remove(case=case, user=newcomer, actor=case_admin)
    assert AuditEvent.objects.count() == before
    assert not CaseMembership.objects.filter(user=newcomer).exists()
    assert CaseMembership.objects.get(user=intake_worker).role == "intake"


def test_changes_around_the_services_are_still_recorded_by_an_unknown_actor(case, newcomer):
    membership = CaseMembership.objects.create(case=case, user=newcomer, role="intake")
    membership.role = "analyst"
    membership.save()
    membership.delete()
    events = AuditEvent.objects.filter(case=case, action__in=TEAM_ACTIONS).order_by("id")
    assert [(event.action, event.actor_label, event.actor) for event in events][-3:] == [
        ("membership_added", "unknown (outside the app)", None),
        ("membership_changed", "unknown (outside the app)", None),
        ("membership_removed", "unknown (outside the app)", None),
    ]


def test_membership_admin_records_the_admin_as_actor(client, superuser, case, newcomer):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:cases_casemembership_add"), {"case": case.pk, "user": newcomer.pk, "role": "intake"}
    )
    assert response.status_code == 302
    membership = CaseMembership.objects.get(user=newcomer)
    change_url = reverse("admin:cases_casemembership_change", args=[membership.pk])
    assert client.post(change_url, {"role": "analyst"}).status_code == 302
    delete_url = reverse("admin:cases_casemembership_delete", args=[membership.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not CaseMembership.objects.filter(user=newcomer).exists()
    assert team_events(case)[-3:] == [
        ("membership_added", "root_admin", {"user": "newcomer", "role": "intake"}),
        ("membership_changed", "root_admin", {"user": "newcomer", "role": "analyst", "previous_role": "intake"}),
        ("membership_removed", "root_admin", {"user": "newcomer", "role": "analyst"}),
    ]


def test_membership_admin_bulk_delete_records_each_removal(client, superuser, case, intake_worker, reviewer):
    client.force_login(superuser)
    ids = list(CaseMembership.objects.filter(user__in=[intake_worker, reviewer]).values_list("pk", flat=True))
    response = client.post(
        reverse("admin:cases_casemembership_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    removed = [event for event in team_events(case) if event[0] == "membership_removed"]
    assert sorted(details["user"] for _action, _actor, details in removed) == ["intake_worker", "reviewer"]
    assert {actor for _action, actor, _details in removed} == {"root_admin"}


def case_form(case, rows: list[dict]) -> dict:
    """The case change form with its team inline, as the admin page posts it."""
    data = {
        "reference": case.reference,
        "title": case.title,
        "description": case.description,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"memberships-{index}-{field}": value for field, value in row.items()})
        data[f"memberships-{index}-case"] = case.pk
    return data


def test_case_admin_team_inline_records_the_admin_as_actor(client, superuser, case, intake_worker, newcomer):
    client.force_login(superuser)
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    intake_row = {"id": CaseMembership.objects.get(user=intake_worker).pk, "user": intake_worker.pk}
    added = client.post(
        change_url, case_form(case, [{**intake_row, "role": "intake"}, {"user": newcomer.pk, "role": "analyst"}])
    )
    assert added.status_code == 302, added.context and added.context["errors"]
    newcomer_row = {"id": CaseMembership.objects.get(user=newcomer).pk, "user": newcomer.pk}
    changed = client.post(
        change_url,
        case_form(case, [{**intake_row, "role": "reviewer"}, {**newcomer_row, "role": "analyst", "DELETE": "on"}]),
    )
    assert changed.status_code == 302, changed.context and changed.context["errors"]
    assert dict(CaseMembership.objects.filter(case=case).values_list("user__username", "role")) == {
        "intake_worker": "reviewer"
    }
    assert team_events(case)[-3:] == [
        ("membership_added", "root_admin", {"user": "newcomer", "role": "analyst"}),
        ("membership_removed", "root_admin", {"user": "newcomer", "role": "analyst"}),
        ("membership_changed", "root_admin", {"user": "intake_worker", "role": "reviewer", "previous_role": "intake"}),
    ]


# A case always keeps a case admin.


def test_the_last_case_admin_cannot_be_removed_or_given_another_role(case, case_admin):
    before = AuditEvent.objects.count()
    with pytest.raises(Refused, match="last case admin"):
        services.membership_remove(case=case, user=case_admin, actor=case_admin)
    with pytest.raises(Refused, match="last case admin"):
        services.membership_change_role(case=case, user=case_admin, role="reviewer", actor=case_admin)
    assert CaseMembership.objects.get(user=case_admin).role == "case_admin"
    assert AuditEvent.objects.count() == before


def test_a_case_admin_can_step_down_once_another_is_named(case, case_admin, newcomer):
    services.membership_add(case=case, user=newcomer, role="case_admin", actor=case_admin)
    services.membership_change_role(case=case, user=case_admin, role="reviewer", actor=case_admin)
    with pytest.raises(Refused, match="last case admin"):
        services.membership_remove(case=case, user=newcomer, actor=case_admin)
    services.membership_change_role(case=case, user=case_admin, role="case_admin", actor=newcomer)
    services.membership_remove(case=case, user=newcomer, actor=case_admin)
    assert dict(CaseMembership.objects.filter(case=case).values_list("user__username", "role")) == {
        "case_admin": "case_admin"
    }


def test_a_switched_off_account_is_not_added(case, case_admin, newcomer):
    newcomer.is_active = False
    newcomer.save(update_fields=["is_active"])
    with pytest.raises(Refused, match="switched off"):
        services.membership_add(case=case, user=newcomer, role="intake", actor=case_admin)
    assert not CaseMembership.objects.filter(user=newcomer).exists()


def test_membership_admin_refuses_removing_the_last_case_admin(client, superuser, case, case_admin):
    client.force_login(superuser)
    membership = CaseMembership.objects.get(user=case_admin)
    response = client.post(
        reverse("admin:cases_casemembership_delete", args=[membership.pk]), {"post": "yes"}, follow=True
    )
    assert "last case admin" in response.content.decode()
    assert CaseMembership.objects.filter(pk=membership.pk).exists()
