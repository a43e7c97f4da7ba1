"""Opening a case, through every door (home page, API, command, admin) and the one `case_create` service:
superusers and organisation admins only; the opener (or the person they name) is its first case admin;
a refusal says what to fix next to the field and writes nothing."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseMembership
from tests.factories import UserFactory
from tests.helpers import admin_url

pytestmark = pytest.mark.django_db

NEW_CASE = {"reference": "CW-0100", "title": "Shelling of Maarat al-Numan", "description": "Market, 2019."}


def written() -> tuple[int, int, int]:
    """What a refused attempt must leave as it was: cases, memberships, audit events."""
    return Case.objects.count(), CaseMembership.objects.count(), AuditEvent.objects.count()


def team_of(reference: str) -> dict[str, str]:
    return dict(CaseMembership.objects.filter(case__reference=reference).values_list("user__username", "role"))


@pytest.fixture
def organisation_admin(db):
    """Not a superuser: a member of a group holding Django's "add case" permission."""
    person = UserFactory(username="org_admin")
    group = Group.objects.create(name="Organisation admins")
    group.permissions.add(Permission.objects.get(content_type__app_label="cases", codename="add_case"))
    person.groups.add(group)
    return person


# The home page -------------------------------------------------------------------------------------------------


def test_superuser_opens_a_case_from_the_home_page_and_is_its_first_case_admin(client, superuser):
    client.force_login(superuser)
    home = client.get(reverse("web:home"))
    assert b'id="case-create-form"' in home.content
    response = client.post(reverse("cases:case_create"), {**NEW_CASE, "admin": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:team", args=["CW-0100"])
    case = Case.objects.get(reference="CW-0100")
    assert (case.title, case.description) == (NEW_CASE["title"], NEW_CASE["description"])
    assert team_of("CW-0100") == {"root_admin": "case_admin"}
    event = AuditEvent.objects.get(case=case)
    assert (event.action, event.actor, event.details) == (
        "membership_added",
        superuser,
        {"user": "root_admin", "role": "case_admin"},
    )
    team_page = client.get(response["Location"])
    assert "Case CW-0100 opened." in team_page.content.decode()


def test_organisation_admin_opens_a_case_and_names_its_first_case_admin(client, organisation_admin):
    lead = UserFactory(username="lead_investigator")
    client.force_login(organisation_admin)
    assert b'id="case-create-form"' in client.get(reverse("web:home")).content
    response = client.post(reverse("cases:case_create"), {**NEW_CASE, "admin": "lead_investigator"})
    assert response.status_code == 302
    assert team_of("CW-0100") == {"lead_investigator": "case_admin"}
    assert AuditEvent.objects.get(action="membership_added").actor == organisation_admin
    # Naming someone else leaves the opener off the case: its pages are not theirs.
    assert client.get(response["Location"]).status_code == 404
    assert lead.has_perm("cases.manage_team", Case.objects.get(reference="CW-0100"))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reference": "cw 100"}, "reference", "Use capital letters, digits and hyphens"),
        ({"reference": "CW-0042"}, "reference", "Another case already has this reference"),
        ({"title": ""}, "title", "This field is required."),
        ({"admin": "nobody_by_that_name"}, "admin", "No account has this username."),
    ],
    ids=["reference-format", "reference-taken", "no-title", "unknown-admin"],
)
def test_case_form_errors_are_beside_the_field_keep_what_was_typed_and_write_nothing(
    client, superuser, case, change, field, message
):
    client.force_login(superuser)
    before = written()
    typed = {**NEW_CASE, "admin": "", **change}
    response = client.post(reverse("cases:case_create"), typed)
    assert response.status_code == 400
    form = response.context["case_form"]
    assert any(message in error for error in form.errors[field]), form.errors
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert NEW_CASE["description"] in page and (typed["title"] in page)
    assert written() == before


def test_inactive_first_case_admin_is_refused(client, superuser):
    UserFactory(username="gone", is_active=False)
    client.force_login(superuser)
    before = written()
    response = client.post(reverse("cases:case_create"), {**NEW_CASE, "admin": "gone"})
    assert response.status_code == 400
    assert "switched off" in response.context["case_form"].errors["admin"][0]
    assert written() == before


@pytest.mark.parametrize("persona", ["case_admin", "reviewer", "outsider"])
def test_only_superusers_and_organisation_admins_open_cases(client, request, case, persona):
    client.force_login(request.getfixturevalue(persona))
    before = written()
    assert b'id="case-create-form"' not in client.get(reverse("web:home")).content
    assert client.get(reverse("cases:case_create")).status_code == 403
    assert client.post(reverse("cases:case_create"), NEW_CASE).status_code == 403
    assert written() == before


# The API ----------------------------------------------------------------------------------------------------


def test_api_opens_a_case_for_a_superuser_or_organisation_admin(api, superuser, organisation_admin):
    UserFactory(username="lead_investigator")
    api.force_authenticate(superuser)
    response = api.post("/api/cases/", NEW_CASE, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reference"] == "CW-0100" and response.json()["my_role"] == "case_admin"
    api.force_authenticate(organisation_admin)
    response = api.post(
        "/api/cases/", {"reference": "CW-0101", "title": "Second", "admin": "lead_investigator"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["my_role"] is None
    assert team_of("CW-0101") == {"lead_investigator": "case_admin"}
    # The list is as before: the cases one is on.
    assert [row["reference"] for row in api.get("/api/cases/").json()["results"]] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "CW-0042", "title": "Again"}, "reference"),
        ({"reference": "bad ref", "title": "Bad"}, "reference"),
        ({"reference": "CW-0100"}, "title"),
        ({**NEW_CASE, "admin": "nobody_by_that_name"}, "admin"),
    ],
    ids=["taken", "format", "no-title", "unknown-admin"],
)
def test_api_refusals_name_the_field_and_write_nothing(api, superuser, case, body, field):
    api.force_authenticate(superuser)
    before = written()
    response = api.post("/api/cases/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert written() == before


@pytest.mark.parametrize("persona", ["case_admin", "analyst", "outsider"])
def test_api_refuses_to_open_cases_for_anyone_else(api, request, case, persona):
    api.force_authenticate(request.getfixturevalue(persona))
    before = written()
    assert api.post("/api/cases/", NEW_CASE, format="json").status_code == 403
    api.force_authenticate(None)
    assert api.post("/api/cases/", NEW_CASE, format="json").status_code in (401, 403)
    assert written() == before


# The command -----------------------------------------------------------------------------------------------


def test_create_case_command_opens_the_case_with_its_case_admin(capsys):
    UserFactory(username="lead_investigator")
    call_command("create_case", "CW-0100", "Shelling of Maarat al-Numan", "--admin", "lead_investigator")
    assert "Opened case CW-0100" in capsys.readouterr().out
    assert team_of("CW-0100") == {"lead_investigator": "case_admin"}
    event = AuditEvent.objects.get(action="membership_added")
    assert (event.actor, event.actor_label) == (None, "manage.py create_case")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["CW-0042", "Again", "--admin", "lead_investigator"], "Another case already has this reference"),
        (["cw 1", "Bad", "--admin", "lead_investigator"], "Use capital letters"),
        (["CW-0100", "Fine", "--admin", "nobody_by_that_name"], "No account has the username"),
    ],
    ids=["taken", "format", "unknown-admin"],
)
def test_create_case_command_refusals_say_why_and_write_nothing(case, arguments, message):
    UserFactory(username="lead_investigator")
    before = written()
    with pytest.raises(CommandError, match=message):
        call_command("create_case", *arguments)
    assert written() == before


def test_create_case_command_needs_an_admin():
    with pytest.raises(CommandError, match="--admin"):
        call_command("create_case", "CW-0100", "No admin")
    assert not Case.objects.exists()


# The Django admin ---------------------------------------------------------------------------------------------


def admin_case_form(reference: str, title: str, rows: list[dict]) -> dict:
    data = {
        "reference": reference,
        "title": title,
        "description": "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"memberships-{index}-{name}": value for name, value in row.items()})
    return data


def test_admin_adds_a_case_through_the_service_with_its_team(client, superuser):
    lead, researcher = UserFactory(username="lead_investigator"), UserFactory(username="researcher")
    client.force_login(superuser)
    rows = [{"user": researcher.pk, "role": "intake"}, {"user": lead.pk, "role": "case_admin"}]
    response = client.post(admin_url(Case, "add"), admin_case_form("CW-0100", "From the admin", rows))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert team_of("CW-0100") == {"lead_investigator": "case_admin", "researcher": "intake"}
    events = AuditEvent.objects.filter(case__reference="CW-0100").order_by("id")
    assert [(event.details["user"], event.actor) for event in events] == [
        ("lead_investigator", superuser),  # the first case admin, then the rest of the team
        ("researcher", superuser),
    ]


def test_admin_case_without_a_case_admin_row_makes_the_superuser_its_case_admin(client, superuser):
    client.force_login(superuser)
    response = client.post(admin_url(Case, "add"), admin_case_form("CW-0100", "From the admin", []))
    assert response.status_code == 302
    assert team_of("CW-0100") == {"root_admin": "case_admin"}


def test_admin_refuses_to_remove_the_last_case_admin_and_writes_nothing(client, superuser, case, case_admin):
    client.force_login(superuser)
    membership = CaseMembership.objects.get(user=case_admin)
    data = admin_case_form(case.reference, "Renamed", [])
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-case": case.pk,
            "memberships-0-user": case_admin.pk,
            "memberships-0-role": "case_admin",
            "memberships-0-DELETE": "on",
        }
    )
    before = written()
    response = client.post(admin_url(Case, "change", case.pk), data, follow=True)
    assert "last case admin" in response.content.decode()
    assert written() == before
    case.refresh_from_db()
    assert case.title != "Renamed"


def test_admin_never_changes_a_case_reference(client, superuser, case):
    client.force_login(superuser)
    data = admin_case_form("CW-7777", "Renamed", [])
    response = client.post(admin_url(Case, "change", case.pk), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.reference, case.title) == ("CW-0042", "Renamed")
