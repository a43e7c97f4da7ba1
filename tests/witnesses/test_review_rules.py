"""The two-person rule holds for what was reviewed: a submitted testimony is locked (an edit returns it to
draft), a review names the version it read, and nobody who wrote or edited the text may verify it. Each rule is
tried at every door: the staff pages, the API and the admin."""

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.witnesses.models import Testimony
from tests.factories import IncidentFactory, TestimonyFactory
from tests.helpers import admin_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(case, intake_worker):
    testimony = TestimonyFactory(case=case, interviewer=intake_worker, created_by=intake_worker, status="submitted")
    testimony.incidents.add(IncidentFactory(case=case))
    testimony.authors.add(intake_worker)
    return testimony


def api_url(testimony, action=""):
    return f"/api/cases/{testimony.case.reference}/testimonies/{testimony.pk}/" + (f"{action}/" if action else "")


def edit_form(testimony, **changes):
    data = {
        "version": testimony.version,
        "witness": testimony.witness_id,
        "incidents": [incident.pk for incident in testimony.incidents.all()],
        "interview_date": testimony.interview_date.isoformat(),
        "method": testimony.method,
        "language": testimony.language,
        "original_text": testimony.original_text,
        "translations-TOTAL_FORMS": 0,
        "translations-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_editing_a_submitted_testimony_on_the_page_returns_it_to_draft(client, submitted, intake_worker):
    client.force_login(intake_worker)
    url = reverse("witnesses:testimony_edit", args=[submitted.case.reference, submitted.pk])
    response = client.post(url, edit_form(submitted, original_text="نص معدل بعد الإرسال"))
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.original_text) == ("draft", "نص معدل بعد الإرسال")


def test_editing_a_submitted_testimony_through_the_api_returns_it_to_draft(api, submitted, intake_worker):
    api.force_authenticate(intake_worker)
    response = api.patch(api_url(submitted), {"original_text": "changed", "version": submitted.version}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"


def test_editing_a_submitted_testimony_in_the_admin_returns_it_to_draft(client, superuser, submitted):
    client.force_login(superuser)
    change_url = admin_url(Testimony, "change", submitted.pk)
    data = form_data(client.get(change_url), Testimony)
    data["original_text"] = ["Rewritten in the admin"]
    assert client.post(change_url, data).status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.original_text) == ("draft", "Rewritten in the admin")
    assert submitted.authors.filter(pk=superuser.pk).exists()


def test_a_review_of_an_older_version_is_a_conflict_on_the_page(client, submitted, reviewer):
    client.force_login(reviewer)
    url = reverse("witnesses:testimony_review", args=[submitted.case.reference, submitted.pk])
    stale = client.post(url, {"decision": "verify", "version": submitted.version - 1}, follow=True)
    assert "Someone else saved this record" in stale.content.decode()
    assert Testimony.objects.get(pk=submitted.pk).status == "submitted"


def test_a_review_of_an_older_version_is_a_conflict_in_the_api(api, submitted, reviewer, intake_worker):
    api.force_authenticate(reviewer)
    read_version = submitted.version
    api.force_authenticate(intake_worker)
    api.patch(api_url(submitted), {"original_text": "changed meanwhile", "version": read_version}, format="json")
    api.post(api_url(submitted, "submit"), {}, format="json")
    api.force_authenticate(reviewer)
    response = api.post(api_url(submitted, "review"), {"decision": "verify", "version": read_version}, format="json")
    assert response.status_code == 409
    assert Testimony.objects.get(pk=submitted.pk).status == "submitted"


def test_a_case_admin_who_rewrote_someone_elses_testimony_cannot_verify_it_alone(client, submitted, case_admin):
    client.force_login(case_admin)
    edit = reverse("witnesses:testimony_edit", args=[submitted.case.reference, submitted.pk])
    assert client.post(edit, edit_form(submitted, original_text="The admin's own wording")).status_code == 302
    submitted.refresh_from_db()
    submit = reverse("witnesses:testimony_submit", args=[submitted.case.reference, submitted.pk])
    client.post(submit, {"version": submitted.version})
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    page = client.get(reverse("witnesses:testimony_detail", args=[submitted.case.reference, submitted.pk]))
    assert 'value="verify"' not in page.content.decode(), "no verify button for an author"
    review = reverse("witnesses:testimony_review", args=[submitted.case.reference, submitted.pk])
    response = client.post(review, {"decision": "verify", "version": submitted.version}, follow=True)
    assert "someone else must review it" in response.content.decode()
    assert Testimony.objects.get(pk=submitted.pk).status == "submitted"


def test_an_editor_of_a_translation_cannot_verify_it_through_the_api(api, submitted, case_admin):
    api.force_authenticate(case_admin)
    translation = [{"language": "en", "text": "A translation the admin wrote"}]
    edited = api.patch(api_url(submitted), {"translations": translation, "version": submitted.version}, format="json")
    assert edited.status_code == 200
    version = api.post(api_url(submitted, "submit"), {}, format="json").json()["version"]
    response = api.post(api_url(submitted, "review"), {"decision": "verify", "version": version}, format="json")
    assert response.status_code == 400 and "someone else must review" in str(response.json())
    assert Testimony.objects.get(pk=submitted.pk).status == "submitted"


def test_an_author_cannot_verify_through_the_admin_action(client, superuser, case, intake_worker):
    testimony = TestimonyFactory(case=case, interviewer=intake_worker, created_by=intake_worker, status="submitted")
    testimony.authors.add(superuser)
    client.force_login(superuser)
    changelist = reverse("admin:witnesses_testimony_changelist")
    client.post(changelist, {"action": "verify_selected", "_selected_action": [testimony.pk]})
    assert Testimony.objects.get(pk=testimony.pk).status == "submitted"


def test_a_verified_testimony_is_read_only_in_the_admin(client, superuser, case, intake_worker, reviewer):
    testimony = TestimonyFactory(
        case=case,
        interviewer=intake_worker,
        created_by=intake_worker,
        status="verified",
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
    )
    client.force_login(superuser)
    page = client.get(reverse("admin:witnesses_testimony_change", args=[testimony.pk])).content.decode()
    assert 'name="original_text"' not in page
