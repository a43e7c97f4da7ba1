"""A case admin runs the case's team on its Team page: add by username, change a role, remove, each after a
confirmation; every change goes through the membership services (audited with the admin as actor), and a
refusal is shown beside the field with nothing written."""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.cases.models import CaseMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def team(case) -> dict[str, str]:
    return dict(CaseMembership.objects.filter(case=case).values_list("user__username", "role"))


def audit_count() -> int:
    return AuditEvent.objects.count()


def test_team_page_lists_the_team_with_roles_for_everyone_on_the_case(client, case, case_admin, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("cases:team", args=[case.reference]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "case_admin" in page and "Reviewer" in page
    # Only a case admin sees the forms that change it.
    assert 'id="team-add-form"' not in page and "/remove/" not in page
    client.force_login(case_admin)
    assert b'id="team-add-form"' in client.get(reverse("cases:team", args=[case.reference])).content


def test_adding_someone_asks_for_confirmation_then_adds_them(client, case, case_admin):
    UserFactory(username="newcomer")
    client.force_login(case_admin)
    url = reverse("cases:team_add", args=[case.reference])
    before = audit_count()
    asked = client.post(url, {"user": "newcomer", "role": "reviewer"})
    assert asked.status_code == 200
    assert "Add newcomer to the team of CW-0042 as Reviewer?" in asked.content.decode()
    assert "newcomer" not in team(case) and audit_count() == before  # the check was undone
    done = client.post(url, {"user": "newcomer", "role": "reviewer", "confirmed": "on"}, follow=True)
    assert team(case)["newcomer"] == "reviewer"
    assert "newcomer is now on the team as Reviewer." in done.content.decode()
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.details) == (
        "membership_added",
        case_admin,
        {"user": "newcomer", "role": "reviewer"},
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"user": "nobody_by_that_name", "role": "reviewer"}, "No account has this username."),
        ({"user": "reviewer", "role": "analyst"}, "This person is already on the case&#x27;s team."),
        ({"user": "", "role": "analyst"}, "This field is required."),
    ],
    ids=["unknown", "already-on-the-team", "empty"],
)
@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
def test_adding_refusals_are_beside_the_username_and_write_nothing(
    client, case, case_admin, reviewer, data, message, confirmed
):
    client.force_login(case_admin)
    before_team, before_audit = team(case), audit_count()
    response = client.post(
        reverse("cases:team_add", args=[case.reference]), {**data, **({"confirmed": "on"} if confirmed else {})}
    )
    assert response.status_code == 400
    page = response.content.decode()
    error_at = page.index('id="id_user_error"')
    assert message in page[error_at : error_at + 200]
    assert not data["user"] or f'value="{data["user"]}"' in page  # what was typed is kept
    assert team(case) == before_team and audit_count() == before_audit


def test_changing_a_role_asks_for_confirmation_then_changes_it(client, case, case_admin, intake_worker):
    client.force_login(case_admin)
    url = reverse("cases:team_change_role", args=[case.reference, intake_worker.pk])
    asked = client.post(url, {"role": "reviewer"})
    assert (
        "Change the role of intake_worker on CW-0042 from Intake / field researcher to Reviewer?"
        in asked.content.decode()
    )
    assert team(case)["intake_worker"] == "intake"
    client.post(url, {"role": "reviewer", "confirmed": "on"})
    assert team(case)["intake_worker"] == "reviewer"
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.details["previous_role"]) == ("membership_changed", case_admin, "intake")


def test_removing_someone_asks_for_confirmation_then_removes_them(client, case, case_admin, analyst):
    client.force_login(case_admin)
    url = reverse("cases:team_remove", args=[case.reference, analyst.pk])
    asked = client.post(url)
    assert "Take analyst off the team of CW-0042?" in asked.content.decode()
    assert "analyst" in team(case)
    client.post(url, {"confirmed": "on"})
    assert "analyst" not in team(case)
    assert client.get(reverse("web:case_detail", args=[case.reference])).status_code == 200
    client.force_login(analyst)
    assert client.get(reverse("web:case_detail", args=[case.reference])).status_code == 404


@pytest.mark.parametrize("change", ["remove", "demote"])
@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
def test_the_last_case_admin_stays_and_the_refusal_is_beside_their_row(client, case, case_admin, change, confirmed):
    client.force_login(case_admin)
    if change == "remove":
        url, data = reverse("cases:team_remove", args=[case.reference, case_admin.pk]), {}
    else:
        url, data = reverse("cases:team_change_role", args=[case.reference, case_admin.pk]), {"role": "analyst"}
    before = audit_count()
    response = client.post(url, {**data, **({"confirmed": "on"} if confirmed else {})})
    assert response.status_code == 400
    page = response.content.decode()
    row = page[page.index(f'id="member-{case_admin.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "case_admin is the case&#x27;s last case admin. Make someone else case admin first." in row
    assert team(case) == {"case_admin": "case_admin"} and audit_count() == before


def test_a_case_admin_may_leave_once_another_is_named(client, case, case_admin):
    UserFactory(username="second_admin")
    client.force_login(case_admin)
    client.post(
        reverse("cases:team_add", args=[case.reference]),
        {"user": "second_admin", "role": "case_admin", "confirmed": "on"},
    )
    response = client.post(reverse("cases:team_remove", args=[case.reference, case_admin.pk]), {"confirmed": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert team(case) == {"second_admin": "case_admin"}


@pytest.mark.parametrize("persona", ["intake_worker", "reviewer", "analyst"])
def test_other_roles_cannot_change_the_team(client, case, case_admin, persona, request):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    before_team, before_audit = team(case), audit_count()
    UserFactory(username="newcomer")
    urls = [
        (
            reverse("cases:team_add", args=[case.reference]),
            {"user": "newcomer", "role": "case_admin", "confirmed": "on"},
        ),
        (
            reverse("cases:team_change_role", args=[case.reference, person.pk]),
            {"role": "case_admin", "confirmed": "on"},
        ),
        (reverse("cases:team_remove", args=[case.reference, case_admin.pk]), {"confirmed": "on"}),
    ]
    for url, data in urls:
        assert client.post(url, data).status_code == 403, url
    assert team(case) == before_team and audit_count() == before_audit


def test_outsiders_cannot_even_learn_the_team_exists(client, case, case_admin, outsider):
    client.force_login(outsider)
    before = team(case)
    assert client.get(reverse("cases:team", args=[case.reference])).status_code == 404
    for url in (
        reverse("cases:team_add", args=[case.reference]),
        reverse("cases:team_change_role", args=[case.reference, case_admin.pk]),
        reverse("cases:team_remove", args=[case.reference, case_admin.pk]),
    ):
        assert client.post(url, {"user": "outsider", "role": "case_admin", "confirmed": "on"}).status_code == 404
    assert team(case) == before


def test_changing_someone_not_on_the_team_is_not_found(client, case, case_admin, outsider):
    client.force_login(case_admin)
    url = reverse("cases:team_change_role", args=[case.reference, outsider.pk])
    assert client.post(url, {"role": "reviewer", "confirmed": "on"}).status_code == 404


def test_team_pages_are_in_arabic(client, case, case_admin):
    client.force_login(case_admin)
    client.cookies["django_language"] = "ar"
    response = client.post(reverse("cases:team_add", args=[case.reference]), {"user": "nobody", "role": "analyst"})
    page = response.content.decode()
    assert 'dir="rtl"' in page and "الفريق" in page
    assert "No account has this username." not in page
