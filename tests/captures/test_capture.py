"""Capturing a URL (the service, run in this process): artefacts, hashes, custody, media through intake."""

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from warcio.archiveiterator import ArchiveIterator

from casework.captures.models import ArtefactKind, Capture, CaptureState
from casework.captures.services import capture_request, capture_run
from casework.evidence.models import CustodyEvent, MediaItem, MediaSource
from casework.evidence.services import media_ingest_path
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def _captured(case, actor, url, **options) -> Capture:
    [capture] = capture_request(case=case, urls=url, actor=actor, **options)
    capture_run(capture_id=capture.pk)
    capture.refresh_from_db()
    return capture


def _stored_sha256(artefact) -> str:
    return hashlib.sha256(Path(default_storage.path(artefact.file.name)).read_bytes()).hexdigest()


def test_a_page_with_a_video_is_archived_screenshotted_and_its_video_stored(case, intake_worker, web):
    incident = IncidentFactory(case=case)
    capture = _captured(case, intake_worker, f"{web.base}/redirect-page", incidents=[incident], note="From X")

    assert capture.state == CaptureState.DONE, capture.failure_detail
    assert capture.final_url == f"{web.base}/page"
    assert capture.http_status == 200
    assert capture.resolved_ip == "127.0.0.1"
    assert capture.title == "Shelling of the market"
    assert set(capture.tool_versions) == {"yt-dlp", "chromium"}
    assert ["Content-Type", "text/html; charset=utf-8"] in capture.http_headers
    kinds = {artefact.kind: artefact for artefact in capture.artefacts.all()}
    assert set(kinds) == {"warc", "screenshot", "text", "info", "manifest"}
    for artefact in kinds.values():
        assert _stored_sha256(artefact) == artefact.sha256
    assert Path(default_storage.path(kinds["screenshot"].file.name)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "the market was full" in Path(default_storage.path(kinds["text"].file.name)).read_text()
    info = json.loads(Path(default_storage.path(kinds["info"].file.name)).read_text())
    assert info["title"].startswith("Shelling of the market")
    with open(default_storage.path(kinds["warc"].file.name), "rb") as warc:
        responses = [record.rec_headers.get_header("WARC-Target-URI") for record in ArchiveIterator(warc)]
    assert f"{web.base}/redirect-page" in responses and f"{web.base}/page" in responses

    item = capture.media_item
    assert capture.media_was_new
    assert item.sha256 == hashlib.sha256(web.video.read_bytes()).hexdigest()  # the original bytes, not re-encoded
    assert item.source == MediaSource.SOCIAL_MEDIA and item.source_url == capture.url
    assert list(item.incidents.all()) == [incident]
    manifest = json.loads(Path(default_storage.path(kinds["manifest"].file.name)).read_text())
    assert manifest["media"]["sha256"] == item.sha256 and capture.manifest_sha256 == kinds["manifest"].sha256
    event = CustodyEvent.objects.get(object_type="captures.capture", object_id=str(capture.pk))
    assert event.details["captured_from"] == capture.url
    assert event.details["on_behalf_of"] == "intake_worker"
    assert event.details["artefacts"]["warc"] == kinds["warc"].sha256


def test_a_direct_jpeg_is_stored_as_evidence_without_a_browser(case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/photo.jpg")
    assert capture.state == CaptureState.DONE
    assert capture.media_item.kind == "photo"
    assert capture.media_item.sha256 == hashlib.sha256(web.photo.read_bytes()).hexdigest()
    assert set(capture.artefacts.values_list("kind", flat=True)) == {"warc", "manifest"}


def test_the_same_video_already_in_the_case_is_linked_not_stored_twice(case, intake_worker, web, tmp_path):
    copy = tmp_path / "from-witness.mp4"
    copy.write_bytes(web.video.read_bytes())
    existing = media_ingest_path(path=copy, case=case, source="witness", acquired_by=intake_worker).item
    first = _captured(case, intake_worker, f"{web.base}/video.mp4")
    second = _captured(case, intake_worker, f"{web.base}/page")
    assert first.media_item == second.media_item == existing
    assert not first.media_was_new and not second.media_was_new
    assert MediaItem.objects.filter(case=case).count() == 1
    assert existing.arrivals.count() == 3


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/missing", "not_found"), ("/redirect-private", "refused_address"), ("/slow", "timed_out")],
)
def test_a_failed_capture_says_why_and_stores_nothing(case, intake_worker, web, settings, path, reason):
    settings.CASEWORK_CAPTURE_SECONDS = 2
    capture = _captured(case, intake_worker, f"{web.base}{path}")
    assert capture.state == CaptureState.FAILED
    assert capture.failure_reason == reason
    assert not capture.artefacts.exists() and not MediaItem.objects.exists()


def test_a_file_past_the_size_limit_is_refused(case, intake_worker, web, settings):
    settings.CASEWORK_MAX_UPLOAD_BYTES = 1024 * 1024
    capture = _captured(case, intake_worker, f"{web.base}/huge")
    assert capture.failure_reason == "too_large"


def test_loopback_is_refused_without_the_test_setting(case, intake_worker, web, settings):
    settings.CASEWORK_CAPTURE_ALLOW_LOOPBACK = False
    capture = _captured(case, intake_worker, f"{web.base}/page")
    assert capture.failure_reason == "refused_address"


def test_running_a_capture_twice_changes_nothing_the_second_time(case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/photo.jpg")
    events = CustodyEvent.objects.count()
    capture_run(capture_id=capture.pk)
    assert CustodyEvent.objects.count() == events
    assert capture.artefacts.count() == 2
    assert ArtefactKind.WARC in capture.artefacts.values_list("kind", flat=True)


def test_a_crash_of_a_tool_fails_the_capture_with_a_reason(case, intake_worker, web, monkeypatch):
    from casework.captures import tools

    def crash(*args, **kwargs):
        raise RuntimeError("browser closed")

    monkeypatch.setattr(tools, "chromium_capture", crash)
    capture = _captured(case, intake_worker, f"{web.base}/page")
    assert (capture.state, capture.failure_reason, capture.failure_detail) == ("failed", "failed", "RuntimeError")


def test_a_capture_is_found_by_case_search_by_its_title_and_note_but_not_by_an_outsider(
    case, intake_worker, outsider, other_case, web
):
    from casework.search.models import RecordKind
    from tests.search.test_search import found

    capture = _captured(case, intake_worker, f"{web.base}/page", note="Sent by the civil defence centre")
    assert capture.state == CaptureState.DONE, capture.failure_detail

    assert (RecordKind.CAPTURE, capture.pk) in found(case, intake_worker, "shelling market")
    assert found(case, intake_worker, "civil defence", kinds=[RecordKind.CAPTURE]) == {(RecordKind.CAPTURE, capture.pk)}
    assert found(other_case, outsider, "shelling market") == set()


def test_what_a_page_asks_of_private_addresses_is_refused_in_the_browser_and_named_in_the_manifest(
    case, intake_worker, web
):
    capture = _captured(case, intake_worker, f"{web.base}/reaching-inside")

    assert capture.state == CaptureState.DONE, capture.failure_detail
    kinds = {artefact.kind: artefact for artefact in capture.artefacts.all()}
    assert "Still captured." in Path(default_storage.path(kinds["text"].file.name)).read_text()
    with open(default_storage.path(kinds["warc"].file.name), "rb") as warc:
        archived = [record.rec_headers.get_header("WARC-Target-URI") or "" for record in ArchiveIterator(warc)]
    assert f"{web.base}/redirect-private" in archived  # the hop that pointed inside is kept, as it was answered
    assert not any("169.254.169.254" in url or "10.0.0.1" in url for url in archived)
    manifest = json.loads(Path(default_storage.path(kinds["manifest"].file.name)).read_text())
    assert sorted(manifest["requests_refused"]) == sorted(
        [
            ["http://10.0.0.1/admin", "refused_address"],
            ["http://169.254.169.254/latest/meta-data/iam.png", "refused_address"],
            [f"{web.base}/redirect-private", "refused_address"],
        ]
    )
