"""Evidence packets: built by a worker, signed, redacted by profile, verifiable offline."""

import io
import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from PIL import Image

from casework.audit.models import AuditEvent
from casework.bundles import services
from casework.bundles.models import EvidenceBundle
from casework.bundles.verify_bundle import verify
from casework.evidence.models import CustodyEvent
from casework.witnesses.models import Consent
from tests.bundles.conftest import REAL_NAME, build, make_evidence, packet_path, report_text, whole_packet_text
from tests.conftest import wait_for
from tests.factories import CaseFactory, MembershipFactory, UserFactory, VictimFactory


@pytest.mark.django_db
def test_court_packet_has_originals_signed_manifest_custody_and_load_file(case, intake_worker, analyst):
    incident, _witness, item, activist, photo = make_evidence(case, intake_worker)
    bundle = build(case, analyst, incident, "court")
    path = packet_path(bundle)
    assert verify(str(path)) == []
    with zipfile.ZipFile(path) as packet:
        manifest = json.loads(packet.read("manifest.json"))
        assert all(info.compress_type == zipfile.ZIP_STORED for info in packet.infolist())
        exhibits = [entry for entry in manifest["files"] if "exhibit" in entry]
        assert [entry["exhibit"] for entry in exhibits] == ["CW-0042-000001", "CW-0042-000002"]
        assert packet.read(exhibits[0]["path"]) == photo  # byte-identical original
        assert {entry["original_sha256"] for entry in exhibits} == {item.sha256, activist.sha256}
        # The witness's photo says 10:00 on the phone's clock and nothing about its zone: no invented +00:00.
        by_hash = {entry["original_sha256"]: entry for entry in exhibits}
        assert by_hash[item.sha256]["capture_time"] == "2017-09-19T10:00:00"
        assert by_hash[item.sha256]["capture_time_zone_known"] is False
        first_export = CustodyEvent.objects.filter(action="exported").order_by("sequence").first()
        head_at_build = CustodyEvent.objects.filter(sequence__lt=first_export.sequence).order_by("-sequence").first()
        assert manifest["custody_head_hash"] == head_at_build.event_hash
        custody = json.loads(packet.read("custody.json"))
        assert [event["action"] for event in custody[item.sha256]][:2] == ["received", "linked"]
        dat = packet.read("loadfile.dat").decode()
        assert dat.count("\r\n") == 3 and "\xfeCW-0042-000001\xfe\x14\xfeCW-0042-000001\xfe" in dat
        statements = json.loads(packet.read("testimonies.json"))
        assert statements[0]["witness"] == "W-900" and statements[0]["witness_name"] is None
    assert REAL_NAME not in whole_packet_text(path)  # consent does not allow the name
    assert CustodyEvent.objects.filter(action="exported", object_id=str(item.pk)).count() == 1
    assert len(bundle.manifest_sha256) == 64


@pytest.mark.django_db
def test_court_packet_names_the_witness_only_when_consent_allows(case, intake_worker, case_admin):
    incident, witness, *_ = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, case_admin, incident, "court", purpose="ICC filing")
    assert bundle.names_witnesses
    assert REAL_NAME in whole_packet_text(packet_path(bundle))
    reveal = AuditEvent.objects.get(action="identity_revealed")
    assert (reveal.actor, reveal.object_id, reveal.reason) == (case_admin, str(witness.pk), "ICC filing")
    assert reveal.details["bundle"] == bundle.pk


@pytest.mark.django_db
def test_public_packet_has_no_identities_no_gps_and_no_unconsented_items(case, intake_worker, analyst, layout):
    incident, _witness, item, activist, _photo = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, analyst, incident, "public")
    path = packet_path(bundle)
    assert verify(str(path)) == []
    text = whole_packet_text(path)
    assert REAL_NAME not in text
    with zipfile.ZipFile(path) as packet:
        manifest = json.loads(packet.read("manifest.json"))
        exhibits = [entry for entry in manifest["files"] if "exhibit" in entry]
        assert [entry["original_sha256"] for entry in exhibits] == [activist.sha256]  # the witness's photo is out
        assert exhibits[0]["is_original"] is False and manifest["originals_included"] is False
        copy = Image.open(io.BytesIO(packet.read(exhibits[0]["path"])))
        assert 0x8825 not in copy.getexif() and 0x010F not in copy.getexif()  # no GPS, no device
        assert {entry["reason"] for entry in manifest["excluded"]} >= {"the witness has not consented to this use"}
        assert json.loads(packet.read("testimonies.json")) == []


@pytest.mark.django_db
def test_consent_withdrawn_after_the_request_is_applied_when_the_build_runs(case, intake_worker, analyst):
    incident, witness, *_ = make_evidence(case, intake_worker)
    bundle = services.bundle_request(
        case=case,
        scope="incidents",
        incidents=[incident],
        recipient="Court",
        profile="court",
        purpose="",
        actor=analyst,
    )
    Consent.objects.filter(witness=witness, scope="courts").update(withdrawn_on=date.today())
    services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        manifest = json.loads(packet.read("manifest.json"))
        assert json.loads(packet.read("testimonies.json")) == []
        assert any(entry["kind"] == "testimony" for entry in manifest["excluded"])


@pytest.mark.django_db
def test_flipped_byte_is_caught_and_named(case, intake_worker, analyst, tmp_path, capsys):
    incident, *_ = make_evidence(case, intake_worker)
    path = packet_path(build(case, analyst, incident, "court"))
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "exhibits/CW-0042-000001.jpg":
                data = data[:500] + bytes([data[500] ^ 1]) + data[501:]
            target.writestr(info, data)
    assert verify(str(tampered))[0].startswith("exhibits/CW-0042-000001.jpg: content differs")
    with pytest.raises(CommandError):
        call_command("verify_bundle", str(tampered))
    assert "exhibits/CW-0042-000001.jpg" in capsys.readouterr().out
    call_command("verify_bundle", str(path))
    assert "VERDICT: INTACT" in capsys.readouterr().out


@pytest.mark.django_db
def test_standalone_script_inside_the_packet_verifies_it(case, intake_worker, analyst, tmp_path):
    incident, *_ = make_evidence(case, intake_worker)
    path = packet_path(build(case, analyst, incident, "internal"))
    with zipfile.ZipFile(path) as packet:
        (tmp_path / "verify_bundle.py").write_bytes(packet.read("verify_bundle.py"))
    result = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "verify_bundle.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0 and "VERDICT: INTACT" in result.stdout, result.stdout + result.stderr


@pytest.mark.django_db
def test_second_delivery_does_nothing_and_a_held_lease_waits(case, intake_worker, analyst):
    incident, *_ = make_evidence(case, intake_worker)
    bundle = build(case, analyst, incident, "court")
    exported = CustodyEvent.objects.filter(action="exported").count()
    services.bundle_build(bundle_id=bundle.pk)  # redelivered after success
    assert CustodyEvent.objects.filter(action="exported").count() == exported
    other = services.bundle_request(
        case=case, scope="case", incidents=[], recipient="Journalist", profile="public", purpose="", actor=analyst
    )
    assert services.bundle_claim(bundle_id=other.pk) is not None
    with pytest.raises(services.LeaseHeld):
        services.bundle_claim(bundle_id=other.pk)  # another worker has it


@pytest.mark.django_db
def test_altered_original_fails_the_build_with_a_reason_and_offers_nothing(case, intake_worker, analyst):
    from tests.evidence.tampering import flip_one_byte

    incident, _witness, item, *_ = make_evidence(case, intake_worker)
    flip_one_byte(item.original.name)
    bundle = services.bundle_request(
        case=case,
        scope="incidents",
        incidents=[incident],
        recipient="Court",
        profile="court",
        purpose="",
        actor=analyst,
    )
    with pytest.raises(Exception, match="no longer matches"):
        services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "failed" and "no longer matches its intake hash" in bundle.failure_reason
    assert not bundle.archive
    assert not list(Path(default_storage.path("bundles")).rglob("*.zip"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_builds_the_packet(celery_worker_process, vocabularies):
    case = CaseFactory(reference="CW-0042")
    intake, analyst = UserFactory(username="b_intake"), UserFactory(username="b_analyst")
    MembershipFactory(case=case, user=intake, role="intake")
    MembershipFactory(case=case, user=analyst, role="analyst")
    incident, *_ = make_evidence(case, intake)
    with transaction.atomic():
        bundle = services.bundle_request(
            case=case, scope="case", incidents=[], recipient="UN IIIM", profile="court", purpose="", actor=analyst
        )
    ready = wait_for(
        lambda: EvidenceBundle.objects.filter(pk=bundle.pk, status__in=["ready", "failed"]).first(),
        timeout=90,
        what="the worker to build the packet",
    )
    assert ready.status == "ready", ready.failure_reason
    assert verify(str(packet_path(ready))) == []


@pytest.mark.django_db
def test_report_pdf_has_incident_victims_arabic_testimony_and_wrapped_hashes(case, intake_worker, analyst):
    incident, _witness, item, *_ = make_evidence(case, intake_worker, consent_scopes=("courts",))
    VictimFactory.create_batch(4, incident=incident, sex="female", age=30, age_band="adult")
    VictimFactory(incident=incident, sex="male", age=7, age_band="child", name="Sami")
    text = report_text(packet_path(build(case, analyst, incident, "court")))
    tolls_row = text.split("Massacres", 1)[1].split("Facilities hit", 1)[0]
    assert tolls_row.split()[-5:] == ["5", "1", "4", "0", "1"]  # killed, children, adult women, injured, massacres
    assert "Sami" in text
    assert "Evidence packet" in text and "INC-900" in text and "CW-0042-000001" in text
    assert "شاهدت الغارة على السوق" in text  # joined Arabic letters, in reading order, searchable
    assert item.sha256 in "".join(text.split())  # the hash is there, wrapped inside its cell
    assert "35.81" in text  # court packets keep where a photo was taken
    assert REAL_NAME not in text


@pytest.mark.django_db
def test_public_report_has_no_names_and_no_locations(case, intake_worker, analyst, layout):
    incident, *_ = make_evidence(case, intake_worker, consent_scopes=("media_public",), allows_name=True)
    text = report_text(packet_path(build(case, analyst, incident, "public")))
    assert REAL_NAME not in text and "35.81" not in text and "SM-J500F" not in text
    assert "W-900" in text  # the testimony is there under the pseudonym
