"""A worker process killed with SIGKILL in the middle of a packet build loses nothing: the task comes back,
waits out the dead build's lease, and finishes once; no partial ZIP is ever offered."""

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from casework.bundles import services
from casework.bundles.models import EvidenceBundle
from casework.bundles.verify_bundle import verify
from casework.evidence.models import CustodyEvent, MediaItem
from tests.conftest import _test_database_url, running_worker, wait_for
from tests.factories import CaseFactory, IncidentFactory, UserFactory

FILES, FILE_MB = 4, 200


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@pytest.fixture
def killable_worker(django_db_blocker, isolated_media_root, tmp_path):
    """A worker of its own (this test kills its pool process), with a short lease so the retry comes soon."""
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    with running_worker(
        log_path=tmp_path / "worker.log",
        media_root=isolated_media_root,
        database_url=database_url,
        extra_env={"CASEWORK_BUNDLE_LEASE_SECONDS": "3"},
    ) as worker:
        yield worker, worker.log_path


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_packet_survives_its_worker_being_killed(killable_worker, vocabularies):
    worker, log_path = killable_worker
    case = CaseFactory(reference="CW-0042")
    user = UserFactory(username="kill_test")
    incident = IncidentFactory(case=case)
    block = os.urandom(1024 * 1024)
    for number in range(FILES):
        name = f"originals/{case.pk}/big-{number}"
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(path, "wb") as out:
            for index in range(FILE_MB):
                data = block[:-8] + number.to_bytes(4, "big") + index.to_bytes(4, "big")
                digest.update(data)
                out.write(data)
        item = MediaItem.objects.create(
            case=case,
            original=name,
            sha256=digest.hexdigest(),
            size_bytes=path.stat().st_size,
            mime_type="video/mp4",
            kind="video",
            source="activist_message",
            original_filename=f"clip{number}.mp4",
            acquired_at=timezone.now(),
            acquired_by=user,
            processing_state="done",
        )
        item.incidents.add(incident)

    with transaction.atomic():
        bundle = services.bundle_request(
            case=case, scope="case", incidents=[], recipient="UN IIIM", profile="court", purpose="", actor=user
        )
    wait_for(
        lambda: EvidenceBundle.objects.filter(pk=bundle.pk, status="running", progress_percent__gt=5).exists(),
        timeout=60,
        interval=0.02,
        what="the build to be under way",
    )
    victims = pool_children(worker.pid)
    assert victims, "no pool process to kill"
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    assert EvidenceBundle.objects.get(pk=bundle.pk).status == "running"  # never marked ready half-built
    finished = wait_for(
        lambda: EvidenceBundle.objects.filter(pk=bundle.pk, status__in=["ready", "failed"]).first(),
        timeout=120,
        what="the redelivered task to finish the packet",
    )
    assert finished.status == "ready", finished.failure_reason
    assert finished.attempts == 2 and time.monotonic() - killed_at > 1
    packet = Path(default_storage.path(finished.archive.name))
    assert verify(str(packet)) == []
    assert not list(packet.parent.glob("*.partial"))  # the killed build's partial file is gone or never offered
    assert CustodyEvent.objects.filter(action="exported").count() == FILES  # exported once, not twice
    assert b"WorkerLostError" in log_path.read_bytes() or b"SIGKILL" in log_path.read_bytes()
