"""Every model registered in the admin has working pages (found by introspection, so none is forgotten)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from casework.evidence.models import CustodyEvent, MediaItem
from casework.incidents.models import Incident, Victim
from casework.incidents.services import incident_tolls

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED])
def test_admin_pages_load(client, superuser, one_of_everything, model, model_admin):
    client.force_login(superuser)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    if model_admin.search_fields:
        assert client.get(admin_url(model, "changelist"), {"q": "x"}).status_code == 200
    existing = model.objects.first()
    if existing is not None:
        assert client.get(admin_url(model, "change", existing.pk)).status_code == 200
    expected_add = 200 if model_admin.has_add_permission(_request_for(superuser)) else 403
    assert client.get(admin_url(model, "add")).status_code == expected_add


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_every_domain_model_is_in_the_admin():
    from django.apps import apps

    domain_models = {
        model
        for app in ("cases", "incidents", "witnesses", "evidence", "bundles")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.label.split(".")[1].startswith("Historical")
    }
    assert domain_models - set(admin.site._registry) == set()


def test_custody_events_and_originals_cannot_be_created_or_changed_in_admin(client, superuser, one_of_everything):
    client.force_login(superuser)
    event = one_of_everything["custody_event"]
    assert client.get(admin_url(CustodyEvent, "add")).status_code == 403
    assert client.post(admin_url(CustodyEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    change_page = client.get(admin_url(CustodyEvent, "change", event.pk)).content.decode()
    assert 'name="_save"' not in change_page
    assert client.get(admin_url(MediaItem, "add")).status_code == 403
    assert CustodyEvent.objects.filter(pk=event.pk).exists()


def test_witness_admin_never_shows_the_real_name(client, superuser, one_of_everything):
    witness = one_of_everything["witness"]
    witness.real_name = "Canary Real Name 7f3a"
    witness.save()
    client.force_login(superuser)
    for url in (admin_url(witness, "changelist"), admin_url(witness, "change", witness.pk)):
        assert "Canary Real Name 7f3a" not in client.get(url).content.decode()
    assert "Canary Real Name 7f3a" not in client.get(admin_url(witness, "changelist"), {"q": "Canary"}).content.decode()


def test_saving_an_incident_in_admin_with_a_victim_refreshes_its_tolls(
    client, superuser, case, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    incident = Incident.objects.create(
        case=case,
        reference="INC-ADMIN",
        title="Strike",
        start_time="2017-09-19T07:00:00Z",
        governorate_id=1,
        incident_type_id=1,
    )
    client.force_login(superuser)
    form_page = client.get(admin_url(Incident, "change", incident.pk))
    form = form_page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in ("reference", "title", "description", "district", "locality")}
    data.update(
        {
            "case": case.pk,
            "start_time_0": "2017-09-19",
            "start_time_1": "07:00:00",
            "date_precision": "exact",
            "governorate": incident.governorate_id,
            "incident_type": incident.incident_type_id,
            "attributions-TOTAL_FORMS": 0,
            "attributions-INITIAL_FORMS": 0,
            "victims-TOTAL_FORMS": 1,
            "victims-INITIAL_FORMS": 0,
            "victims-0-sex": "female",
            "victims-0-age": 9,
            "victims-0-age_band": "child",
            "victims-0-combatant_status": "civilian",
            "victims-0-status": "killed",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url(Incident, "change", incident.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Victim.objects.filter(incident=incident).count() == 1
    incident.refresh_from_db()
    assert (incident.civilians_killed, incident.children_killed) == (1, 1)
    assert incident_tolls(incident_id=incident.pk)["civilians_killed"] == 1
