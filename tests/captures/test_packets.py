"""Captures in evidence packets: exhibits with their address, time, WARC, screenshot and timestamp token, checked
by verify_bundle.py offline; the public profile carries screenshots only, and only where consent allows."""

import json
import subprocess
import sys
import zipfile

import pytest

from casework.bundles.verify_bundle import verify
from casework.captures.services import capture_request, capture_run
from tests.bundles.conftest import build, give_consent, packet_path
from tests.captures.tsa import tsa  # noqa: F401 (fixture)
from tests.factories import IncidentFactory, WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def timestamped(settings, tsa):  # noqa: F811
    settings.CASEWORK_TSA_URL = tsa.url
    settings.CASEWORK_TSA_CA_FILE = str(tsa.ca_file)
    return tsa


def _capture(case, person, url, incident):
    [capture] = capture_request(case=case, urls=url, actor=person, incidents=[incident])
    capture_run(capture_id=capture.pk)
    capture.refresh_from_db()
    assert capture.state == "done", capture.failure_detail
    return capture


def test_a_court_packet_carries_the_capture_and_its_timestamp_verifies_offline(
    case, intake_worker, analyst, web, timestamped, tmp_path
):
    incident = IncidentFactory(case=case)
    capture = _capture(case, intake_worker, f"{web.base}/page", incident)
    path = packet_path(build(case, analyst, incident, "court"))
    assert verify(str(path)) == []
    with zipfile.ZipFile(path) as packet:
        manifest = json.loads(packet.read("manifest.json"))
        [entry] = manifest["captures"]
        assert entry["url"] == f"{web.base}/page" and entry["captured_at"] == capture.captured_at.isoformat()
        assert set(entry["files"]) == {"warc", "screenshot", "text", "info", "manifest", "timestamp"}
        assert entry["media_exhibit"] == capture.media_item.exhibit_number
        assert entry["timestamp"]["time"] == capture.timestamped_at.isoformat()
        assert "tsa_ca.pem" in packet.namelist()
        custody = json.loads(packet.read("custody.json"))
        assert custody[f"capture-{capture.pk}"][0]["details"]["captured_from"] == capture.url
        packet.extractall(tmp_path / "packet")

    run = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "packet" / "verify_bundle.py"),
            str(path),
            "--tsa-ca",
            str(timestamped.ca_file),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout
    assert f"Trusted timestamp (RFC 3161) verified, capture {capture.pk}" in run.stdout

    # A token changed after the packet was made is refused (as is its file's hash against the manifest).
    token = tmp_path / "packet" / entry["timestamp"]["token"]
    data = bytearray(token.read_bytes())
    data[-40] ^= 0xFF
    token.write_bytes(bytes(data))
    problems = verify(str(tmp_path / "packet"))
    assert any(f"capture {capture.pk}: timestamp: the token does not verify" in problem for problem in problems)


def test_a_timestamp_under_another_root_is_refused(case, intake_worker, analyst, web, timestamped, tmp_path):
    from tests.captures.tsa import make_authority

    incident = IncidentFactory(case=case)
    _capture(case, intake_worker, f"{web.base}/photo.jpg", incident)
    path = packet_path(build(case, analyst, incident, "court"))
    (tmp_path / "other").mkdir()
    make_authority(tmp_path / "other")
    problems = verify(str(path), tsa_ca_pem=(tmp_path / "other" / "ca.crt").read_bytes())
    assert len(problems) == 1 and "the token does not verify" in problems[0]


def test_a_public_packet_carries_the_screenshot_only(case, intake_worker, analyst, web):
    incident = IncidentFactory(case=case)
    _capture(case, intake_worker, f"{web.base}/page", incident)
    path = packet_path(build(case, analyst, incident, "public"))
    assert verify(str(path)) == []
    with zipfile.ZipFile(path) as packet:
        [entry] = json.loads(packet.read("manifest.json"))["captures"]
        assert set(entry["files"]) == {"screenshot"}
        assert not [name for name in packet.namelist() if name.endswith((".warc.gz", ".txt", "-manifest.json"))]


def test_a_capture_whose_media_a_witness_did_not_consent_to_publish_stays_out(case, intake_worker, analyst, web):
    from casework.evidence.services import media_update

    incident = IncidentFactory(case=case)
    capture = _capture(case, intake_worker, f"{web.base}/photo.jpg", incident)
    witness = WitnessFactory(case=case)
    give_consent(witness, ("internal", "courts"))
    media_update(item=capture.media_item, actor=intake_worker, witness=witness)
    with zipfile.ZipFile(packet_path(build(case, analyst, incident, "public"))) as packet:
        manifest = json.loads(packet.read("manifest.json"))
        assert manifest["captures"] == []
        assert not [name for name in packet.namelist() if name.startswith("captures/")]
    with zipfile.ZipFile(packet_path(build(case, analyst, incident, "court"))) as packet:
        assert len(json.loads(packet.read("manifest.json"))["captures"]) == 1


def test_a_capture_file_altered_on_disk_fails_the_packet_with_a_reason(case, intake_worker, analyst, web):
    from casework.bundles import services
    from tests.bundles.conftest import request
    from tests.evidence.tampering import flip_one_byte

    incident = IncidentFactory(case=case)
    capture = _capture(case, intake_worker, f"{web.base}/page", incident)
    flip_one_byte(capture.artefacts.get(kind="screenshot").file.name)
    bundle = request(case, analyst, incident, "court")
    with pytest.raises(Exception, match="no longer matches its hash"):
        services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "failed" and "screenshot no longer matches its hash" in bundle.failure_reason
    assert not bundle.archive
