"""A witness's real name must be nowhere but its encrypted column: not in any other database value, log line,
broker message or response to a person who may not see it."""

import io
import logging
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from casework.bundles.models import EvidenceBundle
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.witnesses.models import Testimony, Witness
from tests.conftest import wait_for
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory
from tests.helpers import EXPECTED, url_for

CANARY = "Canary Qx7 Witness-Name"
CANARY_PHONE = "+963-CANARY-0777"


def database_values_containing(text: str) -> list[str]:
    """Every table, every column, as text; the encrypted identity columns hold tokens, not names."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                if any(text in str(value) for value in row):
                    found.append(table)
    return found


def broker_contents() -> str:
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        parts = []
        for key in client.scan_iter(count=500):
            kind = client.type(key).decode()
            value = {
                "string": lambda k: client.get(k),
                "list": lambda k: client.lrange(k, 0, -1),
                "set": lambda k: client.smembers(k),
                "zset": lambda k: client.zrange(k, 0, -1),
                "hash": lambda k: client.hgetall(k),
            }.get(kind, lambda k: b"")(key)
            parts.append(f"{key!r} {value!r}")
        return "\n".join(parts)
    broker_dir = Path(settings.VAR_DIR) / "broker"
    return "\n".join(path.read_text(errors="replace") for path in broker_dir.rglob("*") if path.is_file())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_name_is_only_in_the_encrypted_column(client, celery_worker_process, vocabularies, caplog):
    caplog.set_level(logging.DEBUG)
    case = CaseFactory(reference="CW-0777")
    intake = UserFactory(username="canary_intake")
    checker = UserFactory(username="canary_reviewer")
    outsider = UserFactory(username="canary_outsider")
    MembershipFactory(case=case, user=intake, role="intake")
    MembershipFactory(case=case, user=checker, role="reviewer")
    MembershipFactory(case=CaseFactory(reference="CW-0778"), user=outsider, role="case_admin")
    incident = IncidentFactory(case=case)

    # Intake: the witness, a testimony, a good photo and a broken video (a failing task).
    client.force_login(intake)
    client.post(
        reverse("witnesses:witness_create", args=[case.reference]),
        {
            "pseudonym": "W-777",
            "relationship": "survivor",
            "risk_level": "critical",
            "reliability": "unknown",
            "connection": "involved",
            "real_name": CANARY,
            "phone": CANARY_PHONE,
            "address": f"Street of {CANARY}",
        },
    )
    witness = Witness.objects.get(pseudonym="W-777")
    client.post(
        reverse("witnesses:testimony_create", args=[case.reference]),
        {
            "witness": witness.pk,
            "incidents": [incident.pk],
            "interview_date": "2017-10-04",
            "method": "phone",
            "language": "ar",
            "original_text": "رأيت الطائرة",
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
        },
    )
    testimony = Testimony.objects.get()
    client.post(reverse("witnesses:testimony_submit", args=[case.reference, testimony.pk]))
    client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {
            "source": "witness",
            "incidents": [incident.pk],
            "files": [
                SimpleUploadedFile("photo.jpg", jpeg_bytes(seed=777)),
                SimpleUploadedFile("broken.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x01" * 3000),
            ],
        },
    )
    wait_for(
        lambda: not MediaItem.objects.filter(processing_state__in=["pending", "processing"]).exists(),
        timeout=90,
        what="the worker to finish both files",
    )
    assert set(MediaItem.objects.values_list("processing_state", flat=True)) == {"done", "failed"}

    # Review by a second person.
    client.force_login(checker)
    review = {"decision": "verify", "version": Testimony.objects.get().version}
    client.post(reverse("witnesses:testimony_review", args=[case.reference, testimony.pk]), review)
    assert Testimony.objects.get().status == "verified"

    # An export: a court packet built by the worker (the witness gave no consent to courts).
    analyst = UserFactory(username="canary_analyst")
    MembershipFactory(case=case, user=analyst, role="analyst")
    client.force_login(analyst)
    client.post(
        reverse("bundles:bundle_list", args=[case.reference]), {"recipient": "ICC", "profile": "court", "scope": "case"}
    )
    bundle = wait_for(
        lambda: EvidenceBundle.objects.filter(status__in=["ready", "failed"]).first(),
        timeout=90,
        what="the worker to build the packet",
    )
    assert bundle.status == "ready", bundle.failure_reason
    packet_bytes = Path(default_storage.path(bundle.archive.name)).read_bytes()
    with zipfile.ZipFile(io.BytesIO(packet_bytes)) as packet:
        packet_text = "\n".join(packet.read(name).decode("utf-8", "replace") for name in packet.namelist())

    # Every page an outsider can ask for.
    client.force_login(outsider)
    arguments = {
        "reference": case.reference,
        "incident_id": incident.pk,
        "witness_id": witness.pk,
        "testimony_id": testimony.pk,
        "item_id": MediaItem.objects.first().pk,
        "pair_id": 1,
        "keyframe": 0,
        "bundle_id": bundle.pk,
        "victim_id": 1,
        "consent_id": 1,
        "sequence": 1,
        "notification_id": 1,
        "user_id": 1,
        "upload_id": "0" * 32,
        "capture_id": 1,
        "kind": "screenshot",
        "saved_id": 1,
    }
    for name, (method, _allowed) in EXPECTED.items():
        response = client.get(url_for(name, arguments)) if method == "GET" else client.post(url_for(name, arguments))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert CANARY.encode() not in body and CANARY_PHONE.encode() not in body, name

    assert Witness.objects.get(pk=witness.pk).real_name == CANARY  # stored, and readable by the app
    assert "witnesses_witness" in database_values_containing("W-777")  # the search does find what is there
    for secret in (CANARY, CANARY_PHONE):
        assert database_values_containing(secret) == []
        assert secret not in caplog.text
        assert secret not in celery_worker_process.log_path.read_text(errors="replace")
        assert secret not in broker_contents()
        assert secret not in packet_text and secret.encode() not in packet_bytes
