"""Redis down or frozen: a write that is already stored answers normally, and its work is sent later by a sweep.

These run against a private redis-server that the tests stop and freeze (never the machine's shared one).
"""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from casework.bundles.models import EvidenceBundle
from casework.bundles.tasks import bundles_sweep_task
from casework.celery import app as celery_app
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.tasks import media_sweep_unprocessed_task

pytestmark = pytest.mark.django_db(transaction=True)


def photo(seed: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"IMG_{seed}.jpg", jpeg_bytes(seed=seed, capture_time=datetime(2019, 5, 1, 9, 0)))


def queued(redis_server) -> int:
    return redis_server.queued_messages(celery_app.conf.task_default_queue)


def test_upload_page_and_api_answer_normally_with_redis_down_and_the_sweep_sends_the_work_later(
    client, api, intake_worker, case, redis_broker
):
    redis_broker.stop()
    client.force_login(intake_worker)
    page = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "activist_message", "files": [photo(1)]},
        follow=True,
    )
    assert page.status_code == 200 and "Received and stored" in page.content.decode()
    api.force_authenticate(intake_worker)
    answer = api.post(
        f"/api/cases/{case.reference}/media/", {"file": photo(2), "source": "witness"}, format="multipart"
    )
    assert answer.status_code == 201, answer.content
    assert list(MediaItem.objects.values_list("processing_state", flat=True)) == ["pending", "pending"]

    # The sweep itself does not fail while Redis is still down; it sends nothing.
    MediaItem.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert media_sweep_unprocessed_task() == 0
    redis_broker.start()
    assert media_sweep_unprocessed_task() == 2
    assert queued(redis_broker) == 2


def test_upload_answers_with_redis_frozen(client, intake_worker, case, redis_broker):
    """A Redis that accepts connections but never answers (30 s hangs were observed) gives up after the
    socket timeouts of the settings."""
    client.force_login(intake_worker)
    with redis_broker.frozen():
        page = client.post(
            reverse("evidence:media_list", args=[case.reference]),
            {"source": "activist_message", "files": [photo(3)]},
            follow=True,
        )
    assert page.status_code == 200 and "Received and stored" in page.content.decode()
    assert MediaItem.objects.get().processing_state == "pending"


def test_packet_requested_with_redis_down_is_queued_then_swept_to_the_worker(client, analyst, case, redis_broker):
    redis_broker.stop()
    client.force_login(analyst)
    response = client.post(
        reverse("bundles:bundle_list", args=[case.reference]),
        {"recipient": "UN IIIM", "profile": "court", "scope": "case"},
        follow=True,
    )
    assert response.status_code == 200
    bundle = EvidenceBundle.objects.get()
    assert bundle.status == "queued"
    redis_broker.start()
    assert bundles_sweep_task() == 0  # too recent: its message may still be on the way
    EvidenceBundle.objects.update(requested_at=timezone.now() - timedelta(minutes=10))
    assert bundles_sweep_task() == 1
    assert queued(redis_broker) == 1
