"""Helpers shared by the packet tests: evidence with a witness, building a packet, reading all of it as text."""

import io
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from casework.bundles import report, services
from casework.bundles.models import EvidenceBundle
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from casework.witnesses.models import Consent
from tests.factories import IncidentFactory, TestimonyFactory, WitnessFactory

REAL_NAME = "Nour Bundle-Canary"


@pytest.fixture(params=["whole", "in parts"])
def layout(request, monkeypatch):
    """report.pdf as one part of each kind (every packet of up to 100 exhibits), or laid out in many parts
    (as a packet of thousands of exhibits is): one exhibit per part, index entries three at a time, and a
    wrong first guess of the index's length, so that the index is laid out again."""
    if request.param == "in parts":
        monkeypatch.setattr(report, "EXHIBITS_PER_PART", 1)
        monkeypatch.setattr(report, "INDEX_ENTRIES_PER_PART", 3)
        monkeypatch.setattr(report, "INDEX_ENTRIES_PER_PAGE", 1)
    return request.param


def give_consent(witness, scopes, *, allows_name=False, confirmed_by=None, given_on=date(2020, 1, 1)):
    for scope in scopes:
        Consent.objects.create(
            witness=witness,
            scope=scope,
            given_on=given_on,
            method="written",
            allows_name=allows_name,
            # Confirmed by a case admin, as a name consent must be before it takes effect.
            name_confirmed_by=confirmed_by if allows_name else None,
            name_confirmed_at=timezone.now() if allows_name else None,
        )


def make_evidence(case, user, *, consent_scopes=("internal", "courts"), allows_name=False):
    """An incident with a witness (W-900, real name REAL_NAME), their Arabic testimony, their photo recording
    the testimony (with GPS and device), and a photo from social media."""
    incident = IncidentFactory(case=case, reference="INC-900")
    witness = WitnessFactory(case=case, pseudonym="W-900", real_name=REAL_NAME)
    give_consent(witness, consent_scopes, allows_name=allows_name, confirmed_by=user)
    testimony = TestimonyFactory(
        case=case, witness=witness, interviewer=user, created_by=user, original_text="شاهدت الغارة على السوق"
    )
    testimony.incidents.add(incident)
    photo = jpeg_bytes(
        seed=900,
        capture_time=datetime(2017, 9, 19, 10, 0),
        latitude=35.81,
        longitude=36.61,
        make="Samsung",
        model="SM-J500F",
    )
    item = ingest(case, user, photo, incident, source="witness", testimony=testimony, name="IMG_900.jpg")
    activist = ingest(case, user, jpeg_bytes(seed=901), incident, source="social_media", name="x.jpg")
    return incident, witness, item, activist, photo


def ingest(case, user, data: bytes, incident, *, source="social_media", name="photo.jpg", **fields) -> MediaItem:
    item = media_ingest_stream(
        stream=io.BytesIO(data),
        case=case,
        original_filename=name,
        source=source,
        acquired_by=user,
        incidents=[incident],
        **fields,
    ).item
    media_process(item_id=item.pk)
    item.refresh_from_db()
    return item


def stored_item(case, user, incident, data: bytes, *, mime_type: str, kind="photo", **fields) -> MediaItem:
    """A media item written straight to storage with the facts given (for files intake would sniff the same)."""
    import hashlib

    sha256 = hashlib.sha256(data).hexdigest()
    name = default_storage.save(f"originals/{case.pk}/{sha256[:2]}/{sha256}", ContentFile(data))
    item = MediaItem.objects.create(
        case=case,
        original=name,
        sha256=sha256,
        size_bytes=len(data),
        mime_type=mime_type,
        kind=kind,
        source=fields.pop("source", "social_media"),
        acquired_at=timezone.now(),
        acquired_by=user,
        processing_state=fields.pop("processing_state", "done"),
        **fields,
    )
    item.incidents.add(incident)
    return item


def request(case, user, incident, profile, *, purpose="", recipient="UN IIIM") -> EvidenceBundle:
    scope = "incidents" if incident is not None else "case"
    return services.bundle_request(
        case=case,
        scope=scope,
        incidents=[incident] if incident is not None else [],
        recipient=recipient,
        profile=profile,
        purpose=purpose,
        actor=user,
    )


def build(case, user, incident, profile, *, purpose="") -> EvidenceBundle:
    bundle = request(case, user, incident, profile, purpose=purpose)
    services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "ready", bundle.failure_reason
    return bundle


def packet_path(bundle) -> Path:
    return Path(default_storage.path(bundle.archive.name))


def pdf_text(pdf: bytes, *, layout=False) -> str:
    command = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(command, input=pdf, capture_output=True, timeout=60, check=True).stdout.decode()


def whole_packet_text(path: Path) -> str:
    """Every file of the packet as text (member names too), the report's text included (its PDF streams are
    compressed)."""
    with zipfile.ZipFile(path) as packet:
        parts = [
            *packet.namelist(),
            *(packet.read(name).decode("utf-8", errors="replace") for name in packet.namelist()),
        ]
        return "\n".join([*parts, pdf_text(packet.read("report.pdf"))])


def report_text(path: Path) -> str:
    with zipfile.ZipFile(path) as packet:
        return pdf_text(packet.read("report.pdf"), layout=True)
