"""Shared fixtures: named personas and a real Celery worker process."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from casework.bundles.models import EvidenceBundle
from casework.cases.models import CaseMembership
from casework.celery import app as celery_app
from casework.evidence.custody import custody_record
from casework.evidence.models import MediaArrival, NearDuplicate
from casework.incidents.models import Attribution, LinkCandidate, LinkDecision, Party, SpreadsheetImport
from casework.witnesses.models import Consent, TestimonyTranslation, WitnessIdentityChange
from tests.factories import (
    CaseFactory,
    IncidentFactory,
    MediaItemFactory,
    MembershipFactory,
    TestimonyFactory,
    UserFactory,
    VictimFactory,
    WitnessFactory,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT = 60


@pytest.fixture(scope="session", autouse=True)
def isolated_media_root(tmp_path_factory):
    """Uploads of the whole session go to a temporary folder, shared with the worker process."""
    media_root = tmp_path_factory.mktemp("media")
    with override_settings(
        MEDIA_ROOT=str(media_root),
        FILE_UPLOAD_TEMP_DIR=str(media_root / "incoming"),
        # Personas sign in with passwords; a slow hasher would make each test pay for it.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield media_root


@pytest.fixture(scope="session", autouse=True)
def flush_outlasts_a_worker_deadlock():
    """A transactional test's tables are truncated while the session's worker may still be processing an item
    that test sent it; on PostgreSQL the two can deadlock, and PostgreSQL then cancels one of them. When the
    flush is the one cancelled, it is run again (the worker's side was the one to give way the second time)."""
    from django.core.management.base import CommandError
    from django.core.management.commands import flush

    handle = flush.Command.handle

    def handle_retrying_deadlocks(self, **options):
        for attempt in range(3):
            try:
                return handle(self, **options)
            except CommandError as error:  # flush wraps the database's error in a CommandError
                if attempt == 2 or "deadlock detected" not in str(error.__cause__):
                    raise
                time.sleep(0.5)

    flush.Command.handle = handle_retrying_deadlocks
    yield
    flush.Command.handle = handle


@pytest.fixture(autouse=True)
def empty_media_root(isolated_media_root):
    """Each test starts with no stored files, as its database starts with no rows."""
    yield
    for child in isolated_media_root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


@pytest.fixture
def vocabularies(transactional_db):
    """Transactional tests start from flushed tables (the seeded terms too): seed them again.

    pytest-django runs transactional tests after all others, so only they need this.
    """
    from casework.incidents.vocabularies import vocabularies_seed

    vocabularies_seed()


@pytest.fixture
def api():
    """A REST client; sign someone in with `api.force_authenticate(person)`."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def case(db):
    return CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")


@pytest.fixture
def other_case(db):
    return CaseFactory(reference="CW-0099", title="Shelling of Daraa")


def _member(case, username: str, role: str):
    user = UserFactory(username=username)
    MembershipFactory(case=case, user=user, role=role)
    return user


@pytest.fixture
def intake_worker(case):
    return _member(case, "intake_worker", "intake")


@pytest.fixture
def reviewer(case):
    return _member(case, "reviewer", "reviewer")


@pytest.fixture
def analyst(case):
    return _member(case, "analyst", "analyst")


@pytest.fixture
def case_admin(case):
    return _member(case, "case_admin", "case_admin")


@pytest.fixture
def outsider(other_case):
    """A colleague on another case: must learn nothing about `case`."""
    return _member(other_case, "outsider", "case_admin")


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root_admin")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _indexed_hash(item, hex_hash: str):
    """The near-duplicate index's row of one of the item's hashes, written as processing writes it."""
    from casework.evidence.models import MediaPerceptualHash
    from casework.evidence.services import media_index_hashes

    media_index_hashes(item=item, hashes=[hex_hash])
    return MediaPerceptualHash.objects.get(item=item)


@pytest.fixture
def one_of_everything(case, intake_worker, reviewer):
    """One valid row of every model, to be spoiled one field at a time."""
    incident = IncidentFactory(case=case, latitude=35.9, longitude=36.6)
    witness = WitnessFactory(case=case)
    testimony = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker)
    media = [MediaItemFactory(case=case, acquired_by=intake_worker) for _ in (1, 2)]
    victim = VictimFactory(incident=incident, age=30, age_band="adult")
    same_person = VictimFactory(incident=incident, age=31, age_band="adult")
    return {
        "case": case,
        "membership": CaseMembership.objects.get(user=intake_worker),
        "incident": incident,
        "attribution": Attribution.objects.create(
            incident=incident, party=Party.objects.get(code="unidentified"), confidence="possible", basis="claimed"
        ),
        "victim": victim,
        "link_candidate": LinkCandidate.objects.create(
            case=case, first=victim, second=same_person, score=0.9, reasons=[["name_parts", "2/2"]]
        ),
        "link_decision": LinkDecision.objects.create(
            case=case, first=victim, second=same_person, verdict="unsure", decided_by=reviewer
        ),
        "witness": witness,
        "consent": Consent.objects.create(
            witness=witness, scope="internal", given_on=date(2020, 1, 1), method="written"
        ),
        "testimony": testimony,
        "translation": TestimonyTranslation.objects.create(testimony=testimony, language="en", text="I saw it."),
        "identity_change": WitnessIdentityChange.objects.create(
            witness=witness, changed_by=intake_worker, fields=["phone"], previous_values='{"phone": "+963 1"}'
        ),
        "media": media[0],
        "media_arrival": MediaArrival.objects.create(
            item=media[0], source="witness", acquired_by=intake_worker, acquired_at=media[0].acquired_at
        ),
        "near_duplicate": NearDuplicate.objects.create(case=case, first=media[0], second=media[1], distance=3),
        "perceptual_hash": _indexed_hash(media[0], "00ff00ff00ff00ff"),
        "custody_event": custody_record(action="received", target=media[0], actor=intake_worker),
        "bundle": EvidenceBundle.objects.create(
            case=case, scope="case", recipient="UN IIIM", profile="court", requested_by=reviewer
        ),
        "spreadsheet_import": SpreadsheetImport.objects.create(
            case=case,
            sha256="a" * 64,
            file_name="victims.csv",
            imported_by=intake_worker,
            rows=1,
            incidents_created=1,
            incidents_extended=0,
            victims_added=1,
        ),
    }


def _test_database_url() -> str:
    """A URL for the database the tests run against, for a worker process to open the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def running_worker(*, log_path: Path, media_root: Path, database_url: str, extra_env: dict[str, str] | None = None):
    """A real `celery worker` process (prefork, one child) on its own queue, which this process sends to."""
    queue = f"casework-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(media_root),
        # Captures fetch from the suite's local web server (tests/captures/sources.py), on 127.0.0.1.
        "CASEWORK_CAPTURE_ALLOW_LOOPBACK": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "casework", "worker", "--queues", queue, "--pool", "prefork",
        "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"{queue}@%h",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"The Celery worker did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        worker.log_path = log_path
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous_queue
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, isolated_media_root, tmp_path_factory):
    """A real worker for the whole session, on the session's broker and test database."""
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with running_worker(log_path=log_path, media_root=isolated_media_root, database_url=database_url) as worker:
        yield worker


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "the condition"):
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}")


def constraint_names() -> set[str]:
    """The names of every database constraint of the project's models: none may ever reach a person."""
    from django.apps import apps

    labels = ("cases", "incidents", "witnesses", "evidence", "bundles", "audit", "notifications")
    models = [model for label in labels for model in apps.get_app_config(label).get_models()]
    return {constraint.name for model in models for constraint in model._meta.constraints}


def assert_no_constraint_name(text: str) -> None:
    leaked = sorted(name for name in constraint_names() if name in text)
    assert not leaked, f"a constraint name reached the person: {leaked}"
