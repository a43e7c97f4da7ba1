"""The admin pages of every registered model load, and the admin keeps the rules of the domain.

The models come from `admin.site._registry`, so a newly registered model is tested without anyone adding it
here; the data set must then hold a row of it, or its tests fail and say so.
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.audit.models import AuditEvent
from casework.audit.services import audit_record
from casework.bundles.models import EvidenceBundle
from casework.cases.admin_scope import CaseScopedAdmin
from casework.cases.models import CaseMembership
from casework.cases.versioning import EditConflict, version_claim
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem, NearDuplicate
from casework.evidence.services import media_index_hashes
from casework.incidents.models import (
    Attribution,
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    LinkCandidate,
    LinkDecision,
    Occupation,
    Party,
    SpreadsheetImport,
    Victim,
    WeaponType,
)
from casework.incidents.services import incident_refresh_tolls
from casework.web.models import ApiToken
from casework.witnesses.models import (
    IDENTITY_FIELDS,
    Consent,
    Testimony,
    TestimonyTranslation,
    Witness,
    WitnessIdentityChange,
)
from tests.factories import (
    IncidentFactory,
    MediaItemFactory,
    TestimonyFactory,
    UserFactory,
    VictimFactory,
    WitnessFactory,
)
from tests.helpers import admin_url, form_data

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda registration: registration[0]._meta.label)
CANARY = "Canary Real Name 7f3a"


@pytest.fixture
def admin_data(one_of_everything, superuser, analyst):
    """A row of every registered model, besides the domain rows of `one_of_everything`."""
    Group.objects.create(name="Field team")
    ApiToken.objects.create(user=superuser)
    TOTPDevice.objects.create(user=analyst, name="Authenticator app")  # not the superuser's: no code asked
    request_details = {"user_agent": "Firefox", "http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(
        username="analyst", ip_address="192.0.2.1", get_data="", post_data="", failures_since_start=1, **request_details
    )
    AccessLog.objects.create(username="analyst", ip_address="192.0.2.1", **request_details)
    AccessFailureLog.objects.create(username="analyst", ip_address="192.0.2.1", **request_details)
    audit_record(action="sign_in", actor=analyst)
    # A weapon and a facility for the incident, so its monthly rollup has a row of each.
    incident = one_of_everything["incident"]
    incident.weapons.add(WeaponType.objects.get(code="mortar", case=None))
    incident.facilities_hit.add(FacilityType.objects.get(code="school", case=None))
    incident_refresh_tolls(incident_id=incident.pk)
    return one_of_everything


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _model_admin in REGISTERED]
)
class RegisteredModelAdminTests:
    def test_changelist_loads(self, admin_client, admin_data, model, model_admin):
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count > 0, f"The admin data set has no {model._meta.label} row"

    def test_changelist_search_loads(self, admin_client, admin_data, model, model_admin):
        # A search runs a lookup on every search field: a field that does not exist is a server error.
        assert admin_client.get(admin_url(model, "changelist"), {"q": "x"}).status_code == 200

    def test_change_page_of_a_row_loads(self, admin_client, admin_data, model, model_admin):
        changelist = admin_client.get(admin_url(model, "changelist")).context["cl"]
        assert changelist.result_list, f"The admin data set has no {model._meta.label} row"
        # The link the changelist itself offers (some admins map the id, e.g. API tokens by user).
        change_url = changelist.url_for_result(changelist.result_list[0])
        assert admin_client.get(change_url).status_code == 200

    def test_history_page_of_a_row_loads(self, admin_client, admin_data, model, model_admin):
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"The admin data set has no {model._meta.label} row"
        assert admin_client.get(admin_url(model, "history", quote(row.pk))).status_code == 200

    def test_add_page_loads_where_adding_is_allowed(self, admin_client, superuser, model, model_admin):
        request = RequestFactory().get("/")
        request.user = superuser
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert admin_client.get(admin_url(model, "add")).status_code == expected


def test_every_domain_model_is_registered_in_the_admin():
    domain_models = {
        model
        for app_label in ("cases", "incidents", "witnesses", "evidence", "bundles", "audit")
        for model in apps.get_app_config(app_label).get_models()
        if not model.__name__.startswith("Historical")
    }
    assert domain_models - set(admin.site._registry) == set()


class CustodyEventAdminTests:
    def test_custody_event_cannot_be_added(self, admin_client, admin_data):
        assert admin_client.get(admin_url(CustodyEvent, "add")).status_code == 403
        assert admin_client.post(admin_url(CustodyEvent, "add"), {"action": "received"}).status_code == 403

    def test_change_page_is_read_only(self, admin_client, admin_data):
        event = admin_data["custody_event"]
        response = admin_client.get(admin_url(CustodyEvent, "change", event.pk))
        assert response.status_code == 200
        page = response.content.decode()
        assert event.event_hash in page
        for button in ('name="_save"', 'name="_continue"', 'name="_addanother"'):
            assert button not in page

    def test_custody_event_cannot_be_changed_by_posting(self, admin_client, admin_data):
        event = admin_data["custody_event"]
        response = admin_client.post(admin_url(CustodyEvent, "change", event.pk), {"action": "viewed"})
        assert response.status_code == 403
        assert CustodyEvent.objects.get(pk=event.pk).action == "received"

    def test_custody_event_cannot_be_deleted(self, admin_client, admin_data):
        event = admin_data["custody_event"]
        assert admin_client.get(admin_url(CustodyEvent, "delete", event.pk)).status_code == 403
        assert admin_client.post(admin_url(CustodyEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
        assert CustodyEvent.objects.filter(pk=event.pk).exists()

    def test_changelist_offers_no_delete_action(self, admin_client, admin_data):
        response = admin_client.get(admin_url(CustodyEvent, "changelist"))
        assert "delete_selected" not in response.content.decode()


class MediaItemAdminTests:
    def test_media_item_cannot_be_added_outside_intake(self, admin_client, admin_data):
        assert admin_client.get(admin_url(MediaItem, "add")).status_code == 403


class WitnessAdminTests:
    @pytest.fixture
    def witness(self, case):
        witness = WitnessFactory(
            case=case,
            pseudonym="W-117",
            real_name=CANARY,
            contact_details="Canary contact 7f3a",
            address="Canary address 7f3a",
            phone="Canary phone 7f3a",
            messaging_handles="Canary handle 7f3a",
        )
        Consent.objects.create(witness=witness, scope="internal", given_on="2020-01-01", method="written")
        witness.refresh_from_db()
        assert witness.real_name == CANARY  # stored, so its absence below is the admin's doing
        return witness

    def test_witness_pages_never_show_the_identity(self, admin_client, witness):
        pages = {
            "changelist": admin_client.get(admin_url(Witness, "changelist")),
            "change": admin_client.get(admin_url(Witness, "change", witness.pk)),
            "history": admin_client.get(admin_url(Witness, "history", witness.pk)),
        }
        for page_name, response in pages.items():
            body = response.content.decode()
            assert response.status_code == 200
            assert witness.pseudonym in body, page_name
            for identity_field in IDENTITY_FIELDS:
                assert getattr(witness, identity_field) not in body, (page_name, identity_field)

    def test_witness_cannot_be_found_by_real_name(self, admin_client, witness):
        response = admin_client.get(admin_url(Witness, "changelist"), {"q": "Canary"})
        assert response.context["cl"].result_count == 0
        assert CANARY not in response.content.decode()

    def test_saving_a_witness_in_admin_keeps_the_identity(self, admin_client, witness):
        change_url = admin_url(Witness, "change", witness.pk)
        data = form_data(admin_client.get(change_url), Witness)
        data["notes"] = "Moved to a safer place."
        assert admin_client.post(change_url, data).status_code == 302
        witness.refresh_from_db()
        assert (witness.notes, witness.real_name, witness.phone) == (
            "Moved to a safer place.",
            CANARY,
            "Canary phone 7f3a",
        )


class IncidentAdminTests:
    def test_saving_an_incident_with_victims_writes_its_tolls_at_once(self, admin_client, case):
        incident = IncidentFactory(case=case)
        change_url = admin_url(Incident, "change", incident.pk)
        form_page = admin_client.get(change_url)
        (prefix,) = [
            inline.formset.prefix
            for inline in form_page.context["inline_admin_formsets"]
            if inline.formset.model is Victim
        ]
        data = form_data(form_page, Incident)
        assert data[f"{prefix}-TOTAL_FORMS"] == ["0"]
        victims = [
            {"sex": "female", "age": "9", "age_band": "child", "combatant_status": "civilian", "status": "killed"},
            {"sex": "female", "age": "34", "age_band": "adult", "combatant_status": "civilian", "status": "killed"},
            {"sex": "male", "age": "25", "age_band": "adult", "combatant_status": "non_civilian", "status": "killed"},
            {"sex": "male", "age": "60", "age_band": "adult", "combatant_status": "civilian", "status": "injured"},
        ]
        data[f"{prefix}-TOTAL_FORMS"] = [str(len(victims))]
        for index, victim in enumerate(victims):
            data.update({f"{prefix}-{index}-{field}": value for field, value in victim.items()})

        response = admin_client.post(change_url, data)

        assert response.status_code == 302, response.context and response.context["errors"]
        incident.refresh_from_db()
        civilians_killed = Victim.objects.filter(incident=incident, combatant_status="civilian", status="killed")
        assert incident.civilians_killed == civilians_killed.count() == 2
        assert (incident.children_killed, incident.adult_women_killed, incident.injured) == (1, 1, 1)
        assert incident.tolls_computed_at is not None


@pytest.mark.parametrize("factory_name", ["IncidentFactory", "WitnessFactory", "TestimonyFactory"])
def test_an_admin_edit_claims_the_version_so_an_older_staff_form_is_refused(admin_client, case, factory_name):
    import tests.factories

    record = getattr(tests.factories, factory_name)(case=case)
    if factory_name == "TestimonyFactory":
        record.incidents.add(tests.factories.IncidentFactory(case=case))
    model = type(record)
    change_url = admin_url(model, "change", record.pk)
    data = form_data(admin_client.get(change_url), model)
    assert admin_client.post(change_url, data).status_code == 302
    record.refresh_from_db()
    assert record.version == 2
    with pytest.raises(EditConflict):
        with transaction.atomic():
            version_claim(record, expected_version=1)


# A staff account that is not a superuser: the admin shows it only the rows of its cases, with its role's rights.

SCOPED = [(model, model_admin) for model, model_admin in REGISTERED if isinstance(model_admin, CaseScopedAdmin)]


def test_every_case_record_admin_is_scoped_to_cases():
    case_apps = {"cases", "incidents", "witnesses", "evidence", "bundles", "audit"}
    unscoped = [model._meta.label for model, model_admin in REGISTERED if model._meta.app_label in case_apps]
    assert sorted(unscoped) == sorted(model._meta.label for model, _model_admin in SCOPED)
    for _model, model_admin in SCOPED:
        assert model_admin.get_scope_rule() and model_admin.get_case_path()


def _make_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def own_case_rows(other_case, outsider):
    """A row of every case record in `other_case`, where `outsider` is case admin; `case` holds the others."""
    incident = IncidentFactory(case=other_case)
    witness = WitnessFactory(case=other_case)
    testimony = TestimonyFactory(case=other_case, witness=witness, interviewer=outsider, created_by=outsider)
    media = [MediaItemFactory(case=other_case, acquired_by=outsider) for _ in (1, 2)]
    Attribution.objects.create(
        incident=incident, party=Party.objects.get(code="unidentified"), confidence="possible", basis="seen"
    )
    incident.weapons.add(WeaponType.objects.get(code="mortar", case=None))
    incident.facilities_hit.add(FacilityType.objects.get(code="school", case=None))
    victim = VictimFactory(incident=incident)  # writes the tolls and the monthly rollup, with weapon and facility
    other_victim = VictimFactory(incident=incident)
    LinkCandidate.objects.create(case=other_case, first=victim, second=other_victim, score=0.7)
    LinkDecision.objects.create(case=other_case, first=victim, second=other_victim, verdict="different")
    Consent.objects.create(witness=witness, scope="internal", given_on="2021-01-01", method="written")
    TestimonyTranslation.objects.create(testimony=testimony, language="en", text="I saw it.")
    NearDuplicate.objects.create(case=other_case, first=media[0], second=media[1], distance=3)
    media_index_hashes(item=media[0], hashes=["0f0f0f0f0f0f0f0f"])
    custody_record(action="received", target=media[0], actor=outsider)
    EvidenceBundle.objects.create(case=other_case, scope="case", recipient="UN", profile="court", requested_by=outsider)
    MediaArrival.objects.create(item=media[0], source="witness", acquired_by=outsider, acquired_at=media[0].acquired_at)
    WitnessIdentityChange.objects.create(witness=witness, changed_by=outsider, fields=["phone"], previous_values="{}")
    SpreadsheetImport.objects.create(
        case=other_case, sha256="b" * 64, file_name="own.csv", imported_by=outsider, rows=1, incidents_created=1,
        incidents_extended=0, victims_added=1,
    )  # fmt: skip
    audit_record(action="export", actor=outsider, case=other_case)
    for vocabulary in (Governorate, IncidentType, WeaponType, FacilityType, Occupation, Party):
        vocabulary.objects.create(case=other_case, code="own-term", name="Own term")
    return other_case


@pytest.fixture
def foreign_case_rows(admin_data, case, intake_worker):
    """Rows of `case` the staff account is not on, including an audit event and a term of every vocabulary."""
    audit_record(action="export", actor=intake_worker, case=case)
    for vocabulary in (Governorate, IncidentType, WeaponType, FacilityType, Occupation, Party):
        vocabulary.objects.create(case=case, code="foreign-term", name="Foreign term 7f3a")
    return case


def rows_of(model, model_admin, case):
    path = model_admin.get_case_path()
    return model._default_manager.filter(**({"pk": case.pk} if path == "pk" else {path: case}))


@pytest.mark.parametrize(("model", "model_admin"), SCOPED, ids=[model._meta.label for model, _admin in SCOPED])
class ScopedModelAdminTests:
    def test_changelist_counts_only_rows_of_the_staff_accounts_cases(
        self, client, outsider, own_case_rows, foreign_case_rows, model, model_admin
    ):
        client.force_login(_make_staff(outsider))
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 200
        own = rows_of(model, model_admin, own_case_rows)
        expected = own.count()
        if model_admin.get_scope_rule().shared_without_case:
            expected += rows_of(model, model_admin, None).count()
        assert own.exists(), f"the data set has no {model._meta.label} row of the staff account's case"
        assert response.context["cl"].result_count == expected
        assert {model_admin.case_of_row(row) for row in response.context["cl"].result_list} <= {own_case_rows, None}
        assert "Foreign term 7f3a" not in response.content.decode()
        assert foreign_case_rows.title not in response.content.decode()

    def test_rows_of_another_case_are_not_found_on_any_page(
        self, client, outsider, own_case_rows, foreign_case_rows, model, model_admin
    ):
        client.force_login(_make_staff(outsider))
        foreign = rows_of(model, model_admin, foreign_case_rows).order_by("pk").first()
        assert foreign is not None, f"the data set has no {model._meta.label} row of the other case"
        for view in ("change", "history", "delete"):
            assert client.get(admin_url(model, view, quote(foreign.pk))).status_code == 404, view
        assert client.post(admin_url(model, "delete", quote(foreign.pk)), {"post": "yes"}).status_code == 404
        assert model._default_manager.filter(pk=foreign.pk).exists()
        bulk = client.post(
            admin_url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [foreign.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302, 403)
        assert model._default_manager.filter(pk=foreign.pk).exists()

    def test_staff_without_a_case_sees_nothing(self, client, foreign_case_rows, model, model_admin):
        loner = _make_staff(UserFactory(username="staff_on_no_case"))
        client.force_login(loner)
        assert client.get(admin_url(model, "changelist")).status_code == 403


def test_admin_index_lists_only_what_a_case_member_may_see(client, outsider, own_case_rows):
    client.force_login(_make_staff(outsider))
    page = client.get(reverse("admin:index")).content.decode()
    assert admin_url(Incident, "changelist") in page
    assert reverse("admin:auth_user_changelist") not in page


@pytest.mark.parametrize(
    ("persona", "may_change"), [("intake_worker", True), ("case_admin", True), ("reviewer", False), ("analyst", False)]
)
def test_role_decides_whether_an_incident_may_be_changed(client, request, case, persona, may_change):
    person = _make_staff(request.getfixturevalue(persona))
    incident = IncidentFactory(case=case, title="Before")
    client.force_login(person)
    change_url = admin_url(Incident, "change", incident.pk)
    page = client.get(change_url)
    assert page.status_code == 200
    assert ('name="_save"' in page.content.decode()) is may_change
    data = form_data(page, Incident) if may_change else {"title": "After"}
    data["title"] = ["After"]
    response = client.post(change_url, data)
    assert response.status_code == (302 if may_change else 403)
    incident.refresh_from_db()
    assert incident.title == ("After" if may_change else "Before")
    assert (client.get(admin_url(Incident, "add")).status_code == 200) is may_change


def test_custody_and_audit_events_are_read_only_for_every_staff_role(client, case_admin, admin_data):
    client.force_login(_make_staff(case_admin))
    event = admin_data["custody_event"]
    assert client.get(admin_url(CustodyEvent, "change", event.pk)).status_code == 200
    assert client.post(admin_url(CustodyEvent, "change", event.pk), {"action": "viewed"}).status_code == 403
    assert client.post(admin_url(CustodyEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    audit_event = audit_record(action="export", actor=case_admin, case=admin_data["case"])
    assert client.get(admin_url(AuditEvent, "change", audit_event.pk)).status_code == 200
    assert client.post(admin_url(AuditEvent, "delete", audit_event.pk), {"post": "yes"}).status_code == 403
    assert CustodyEvent.objects.filter(pk=event.pk).exists() and AuditEvent.objects.filter(pk=audit_event.pk).exists()


def test_audit_events_are_for_case_admins_only(client, intake_worker, admin_data):
    client.force_login(_make_staff(intake_worker))
    assert client.get(admin_url(AuditEvent, "changelist")).status_code == 403


def test_choices_in_forms_are_limited_to_the_staff_accounts_cases(client, outsider, own_case_rows, foreign_case_rows):
    client.force_login(_make_staff(outsider))
    incident_form = client.get(admin_url(Incident, "add")).context["adminform"].form
    assert list(incident_form.fields["case"].queryset) == [own_case_rows]
    governorates = incident_form.fields["governorate"].queryset
    assert governorates.filter(code="own-term").exists() and governorates.filter(case__isnull=True).exists()
    assert not governorates.filter(case=foreign_case_rows).exists()
    weapons = incident_form.fields["weapons"].queryset
    assert not weapons.filter(case=foreign_case_rows).exists() and weapons.filter(case=own_case_rows).exists()
    victim_form = client.get(admin_url(Victim, "add")).context["adminform"].form
    assert set(victim_form.fields["incident"].queryset.values_list("case", flat=True)) == {own_case_rows.pk}
    testimony_form = client.get(admin_url(Testimony, "add")).context["adminform"].form
    assert set(testimony_form.fields["witness"].queryset.values_list("case", flat=True)) == {own_case_rows.pk}
    assert "interviewer" not in testimony_form.fields, "the service records who interviewed"

    # A form posted with another case's incident is refused and writes nothing.
    foreign_incident = Incident.objects.filter(case=foreign_case_rows).first()
    victims_before = Victim.objects.filter(incident=foreign_incident).count()
    response = client.post(
        admin_url(Victim, "add"),
        {"incident": foreign_incident.pk, "sex": "male", "age": "30", "age_band": "adult",
         "combatant_status": "civilian", "status": "killed"},
    )  # fmt: skip
    assert response.status_code == 200 and "incident" in response.context["adminform"].form.errors
    assert Victim.objects.filter(incident=foreign_incident).count() == victims_before


def test_autocomplete_offers_only_rows_of_the_staff_accounts_cases(client, outsider, own_case_rows, foreign_case_rows):
    client.force_login(_make_staff(outsider))
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "incidents", "model_name": "victim", "field_name": "incident", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == set(Incident.objects.filter(case=own_case_rows).values_list("pk", flat=True))


def test_list_filters_name_only_the_staff_accounts_cases(client, outsider, own_case_rows, foreign_case_rows):
    client.force_login(_make_staff(outsider))
    page = client.get(admin_url(Incident, "changelist")).content.decode()
    assert own_case_rows.reference in page and foreign_case_rows.reference not in page


def test_shared_vocabulary_terms_are_read_only_and_case_terms_belong_to_their_case(
    client, outsider, own_case_rows, foreign_case_rows
):
    client.force_login(_make_staff(outsider))
    shared = Governorate.objects.filter(case__isnull=True).first()
    shared_page = client.get(admin_url(Governorate, "change", shared.pk))
    assert shared_page.status_code == 200 and 'name="_save"' not in shared_page.content.decode()
    assert client.post(admin_url(Governorate, "change", shared.pk), {"name": "Renamed"}).status_code == 403
    assert client.post(admin_url(Governorate, "delete", shared.pk), {"post": "yes"}).status_code == 403
    own = Governorate.objects.get(case=own_case_rows, code="own-term")
    data = form_data(client.get(admin_url(Governorate, "change", own.pk)), Governorate)
    data["name"] = ["Own term, renamed"]
    assert client.post(admin_url(Governorate, "change", own.pk), data).status_code == 302
    own.refresh_from_db()
    assert own.name == "Own term, renamed"
    # A new term needs a case of the staff account's: an empty case would make it shared.
    add = client.post(admin_url(Governorate, "add"), {"code": "new-shared", "name": "New shared", "is_active": "on"})
    assert add.status_code == 200 and not Governorate.objects.filter(code="new-shared").exists()


def test_reviewer_changes_review_fields_only(client, reviewer, case):
    client.force_login(_make_staff(reviewer))
    incident = IncidentFactory(case=case)
    first, second = VictimFactory(incident=incident, age=40), VictimFactory(incident=incident, age=41)
    change_url = admin_url(Victim, "change", second.pk)
    page = client.get(change_url)
    form = page.context["adminform"].form
    assert set(form.fields) == {"duplicate_of", "confirm_join"}
    assert client.post(change_url, {"duplicate_of": first.pk, "age": "99"}).status_code == 302
    second.refresh_from_db()
    assert (second.duplicate_of, second.age) == (first, 41)


def test_team_is_managed_only_by_the_case_admin_of_that_case(client, case_admin, intake_worker, case, other_case):
    client.force_login(_make_staff(case_admin))
    newcomer = UserFactory(username="newcomer")
    form = client.get(admin_url(CaseMembership, "add")).context["adminform"].form
    assert list(form.fields["case"].queryset) == [case]
    assert (
        client.post(
            admin_url(CaseMembership, "add"), {"case": case.pk, "user": newcomer.pk, "role": "intake"}
        ).status_code
        == 302
    )
    refused = client.post(
        admin_url(CaseMembership, "add"), {"case": other_case.pk, "user": newcomer.pk, "role": "intake"}
    )
    assert refused.status_code == 200 and "case" in refused.context["adminform"].form.errors
    assert list(CaseMembership.objects.filter(user=newcomer).values_list("case", flat=True)) == [case.pk]
    assert AuditEvent.objects.filter(action="membership_added", actor=case_admin).count() == 1
    client.force_login(_make_staff(intake_worker))
    membership = CaseMembership.objects.get(user=newcomer)
    assert client.post(admin_url(CaseMembership, "delete", membership.pk), {"post": "yes"}).status_code == 403
    assert client.post(admin_url(CaseMembership, "change", membership.pk), {"role": "case_admin"}).status_code == 403
    assert CaseMembership.objects.get(user=newcomer).role == "intake"
