"""The admin pages of every registered model load, and the admin keeps the rules of the domain.

The models come from `admin.site._registry`, so a newly registered model is tested without anyone adding it
here; the data set must then hold a row of it, or its tests fail and say so.
"""

from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.audit.services import audit_record
from casework.cases.versioning import EditConflict, version_claim
from casework.evidence.models import CustodyEvent, MediaItem
from casework.incidents.models import Incident, Victim
from casework.web.models import ApiToken
from casework.witnesses.models import IDENTITY_FIELDS, Consent, Witness
from tests.factories import IncidentFactory, WitnessFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda registration: registration[0]._meta.label)
CANARY = "Canary Real Name 7f3a"


def admin_url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


class _FormFields(HTMLParser):
    """The fields a browser would submit from the form with `form_id`, as {name: [values]}."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, list[str]] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == self.form_id
            return
        name = attrs.get("name")
        if not self._inside or (tag in ("input", "select", "textarea") and (not name or "__prefix__" in name)):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.setdefault(name, []).append(attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select is not None and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.fields[self._textarea][-1] += data


def form_data(response: HttpResponse, model: type[models.Model]) -> dict[str, list[str]]:
    """What submitting the admin change form on `response` unchanged would post."""
    parser = _FormFields(form_id=f"{model._meta.model_name}_form")
    parser.feed(response.content.decode())
    # A browser drops the newline Django writes right after <textarea>.
    return {name: [value.removeprefix("\n") for value in values] for name, values in parser.fields.items()}


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
    def test_saving_an_incident_with_victims_refreshes_its_tolls(
        self, admin_client, case, settings, django_capture_on_commit_callbacks
    ):
        settings.CELERY_TASK_ALWAYS_EAGER = True
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

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = admin_client.post(change_url, data)

        assert response.status_code == 302, response.context and response.context["errors"]
        assert callbacks, "the toll refresh was not scheduled on commit"
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
