"""Requesting, following and downloading packets from the staff pages."""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.bundles.models import EvidenceBundle
from casework.evidence.models import CustodyEvent
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_request_shows_progress_then_download_is_recorded(
    client, analyst, case, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    incident = IncidentFactory(case=case)
    client.force_login(analyst)
    url = reverse("bundles:bundle_list", args=[case.reference])
    page = client.get(url).content.decode()
    assert "Fingerprint (SHA-256)" in page and "BEGIN PUBLIC KEY" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"recipient": "UN IIIM", "profile": "court", "scope": "incidents", "incidents": [incident.pk]},
            follow=True,
        )
    assert "queued; this page shows its progress" in response.content.decode()
    bundle = EvidenceBundle.objects.get()
    assert bundle.status == "ready" and "Download" in client.get(url).content.decode()
    download = client.get(reverse("bundles:bundle_download", args=[case.reference, bundle.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert CustodyEvent.objects.filter(action="bundle_downloaded", actor=analyst).count() == 1
    assert AuditEvent.objects.filter(action="export", actor=analyst, details__downloaded=True).count() == 1


def test_request_without_incidents_keeps_the_form_and_says_why(client, analyst, case):
    client.force_login(analyst)
    response = client.post(
        reverse("bundles:bundle_list", args=[case.reference]),
        {"recipient": "Journalist", "profile": "public", "scope": "incidents", "purpose": "story"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose at least one incident, or the whole case." in body and 'value="Journalist"' in body
    assert not EvidenceBundle.objects.exists()


def test_failed_packet_shows_its_reason_and_can_be_retried(client, analyst, case):
    bundle = EvidenceBundle.objects.create(
        case=case,
        scope="case",
        recipient="Court",
        profile="court",
        requested_by=analyst,
        status="failed",
        failure_reason="disk full",
    )
    client.force_login(analyst)
    assert "disk full" in client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()
    client.post(reverse("bundles:bundle_retry", args=[case.reference, bundle.pk]))
    bundle.refresh_from_db()
    assert bundle.status == "queued" and bundle.failure_reason == ""
    not_ready = client.get(reverse("bundles:bundle_download", args=[case.reference, bundle.pk]))
    assert not_ready.status_code == 404  # nothing is offered before it is ready
