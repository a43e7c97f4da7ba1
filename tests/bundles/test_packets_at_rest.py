"""Packets at rest: private files and folders, deleted after the retention period, and a clear answer when an
expired packet is asked for."""

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.bundles import services
from casework.bundles.models import EvidenceBundle
from casework.web import formatting
from tests.bundles.conftest import build, make_evidence, packet_path, request

pytestmark = pytest.mark.django_db


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_packet_files_and_folders_are_private_while_building_and_after(case, intake_worker, analyst, monkeypatch):
    incident, *_ = make_evidence(case, intake_worker)
    seen_partial_modes = []
    report_progress = services._report_progress

    def spying(bundle_id, token, percent, message):
        partials = list(Path(default_storage.path("bundles")).rglob("*.partial"))
        seen_partial_modes.extend(mode(partial) for partial in partials)
        report_progress(bundle_id, token, percent, message)

    monkeypatch.setattr(services, "_report_progress", spying)
    path = packet_path(build(case, analyst, incident, "court"))
    assert seen_partial_modes and set(seen_partial_modes) == {0o600}
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(Path(default_storage.path("bundles"))) == 0o700


def test_retention_setting_and_beat_schedule():
    assert settings.CASEWORK_PACKET_RETENTION_DAYS == 90
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "casework.bundles.tasks.bundles_expire_task" in tasks
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert "`CASEWORK_PACKET_RETENTION_DAYS`" in readme


def test_packets_past_the_retention_period_lose_their_file(case, intake_worker, analyst, client):
    incident, *_ = make_evidence(case, intake_worker)
    old = build(case, analyst, incident, "court")
    recent = build(case, analyst, incident, "internal")
    now = timezone.now()
    EvidenceBundle.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=91))
    EvidenceBundle.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(days=10))
    old_path, recent_path = packet_path(old), packet_path(recent)

    from casework.bundles.tasks import bundles_expire_task

    bundles_expire_task.apply()
    assert services.bundles_expire() == 0  # a second run finds nothing more
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.archive.name, old.expired_at is not None) == ("expired", "", True)
    assert not old_path.exists()
    assert recent.status == "ready" and recent_path.exists()

    message = (
        f"This packet expired on {formatting.format_date(timezone.localdate(old.expired_at))} and its file was deleted"
    )
    client.force_login(analyst)
    page = client.get(reverse("bundles:bundle_download", args=[case.reference, old.pk]))
    assert page.status_code == 410 and message in page.content.decode()
    listing = client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()
    assert "Expired on" in listing
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.get(f"/api/cases/{case.reference}/packets/{old.pk}/download/")
    assert response.status_code == 410 and message in response.json()["non_field_errors"][0]
    assert api.get(f"/api/cases/{case.reference}/packets/{old.pk}/").json()["status"] == "expired"

    client.post(reverse("bundles:bundle_retry", args=[case.reference, old.pk]))  # rebuild on request
    old.refresh_from_db()
    assert old.status == "queued"


def test_expiry_leaves_packets_being_built_alone(case, intake_worker, analyst):
    incident, *_ = make_evidence(case, intake_worker)
    queued = request(case, analyst, incident, "court")
    EvidenceBundle.objects.filter(pk=queued.pk).update(requested_at=timezone.now() - timedelta(days=200))
    assert services.bundles_expire() == 0
    queued.refresh_from_db()
    assert queued.status == "queued"
