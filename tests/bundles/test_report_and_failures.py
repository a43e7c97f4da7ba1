"""The report fetches nothing but what the builder made and the app's own static files; a failed packet's
reason names no server path."""

import http.server
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from casework.bundles import report, services
from casework.bundles.models import EvidenceBundle
from tests.bundles.conftest import build, make_evidence, request

THUMBNAIL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def listener():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def static_file() -> Path:
    return next(path for folder in report.static_directories() for path in folder.rglob("*") if path.is_file())


def test_the_report_fetcher_refuses_everything_but_its_own_data_and_static_files(listener):
    base, hits = listener
    fetcher = report.report_url_fetcher({THUMBNAIL})
    for url in (
        f"{base}/track.png",
        f"https://127.0.0.1:{base.rsplit(':', 1)[1]}/x",
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/.env",
        "data:image/png;base64,AAAA",  # not one the builder made
        "ftp://127.0.0.1/x",
    ):
        with pytest.raises(report.FetchRefused):
            fetcher(url)
    assert hits == []
    assert fetcher(THUMBNAIL).read()[:4] == b"\x89PNG"
    response = fetcher(static_file().as_uri())
    assert response.read() == static_file().read_bytes()
    response.close()


def test_the_report_fetcher_reads_the_thumbnail_files_it_was_given_and_no_other_file(tmp_path):
    thumbnail = tmp_path / "derived" / "thumbnail.jpg"
    thumbnail.parent.mkdir()
    thumbnail.write_bytes(b"\xff\xd8 a thumbnail")
    (tmp_path / "derived" / "keyframe-01.jpg").write_bytes(b"\xff\xd8 not named")
    fetcher = report.report_url_fetcher({thumbnail.as_uri()})
    assert fetcher(thumbnail.as_uri()).read() == b"\xff\xd8 a thumbnail"
    # The same file by another spelling of its path is the same file; a neighbour is not named.
    assert fetcher(f"file://{tmp_path}/derived/../derived/thumbnail.jpg").read() == b"\xff\xd8 a thumbnail"
    for url in ((tmp_path / "derived" / "keyframe-01.jpg").as_uri(), tmp_path.as_uri(), "file:///etc/passwd"):
        with pytest.raises(report.FetchRefused):
            fetcher(url)


@pytest.mark.django_db
def test_render_report_uses_the_refusing_fetcher(case, intake_worker, analyst, listener, monkeypatch):
    import weasyprint

    base, hits = listener
    fetchers = []
    real_html = weasyprint.HTML

    def recording_html(*args, **kwargs):
        fetchers.append(kwargs.get("url_fetcher"))
        kwargs["string"] += f'<img src="{base}/beacon.png"><link rel="stylesheet" href="{base}/x.css">'
        return real_html(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording_html)
    incident, *_ = make_evidence(case, intake_worker)
    build(case, analyst, incident, "court")
    # Every part of the report (cover, index, exhibits, page numbers) is laid out with the one refusing fetcher.
    assert len(fetchers) >= 3 and fetchers[0] is not None and all(fetcher is fetchers[0] for fetcher in fetchers)
    assert hits == [], "the report tried to reach the network"
    with pytest.raises(report.FetchRefused):
        fetchers[0](f"{base}/other.png")


@pytest.mark.django_db
def test_a_failure_reason_names_no_server_path(case, intake_worker, analyst, client, monkeypatch):
    incident, *_ = make_evidence(case, intake_worker)
    stored = f"{settings.MEDIA_ROOT}/originals/{case.pk}/ab/abcdef"

    def failing(bundle, destination, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", stored)

    monkeypatch.setattr(services, "build_packet", failing)
    bundle = request(case, analyst, incident, "court")
    with pytest.raises(FileNotFoundError):
        services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "failed"
    assert bundle.failure_reason.startswith("FileNotFoundError: [Errno 2] No such file or directory")
    assert str(settings.MEDIA_ROOT) not in bundle.failure_reason and "/originals/" not in bundle.failure_reason
    client.force_login(analyst)
    assert "abcdef" not in client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "OSError: [Errno 28] No space left on device: '/var/lib/casework/media/bundles/3/.CW-1-bundle-3.zip.x.partial'",
        "PermissionError: cannot open /srv/casework/media/originals/1/ab/abc for writing",
        "error reading file:///home/casework/.env",
    ],
)
def test_paths_are_scrubbed_from_any_failure_text(text):
    scrubbed = services.scrub_paths(text)
    assert "/" not in scrubbed.replace("[path]", "") and "[path]" in scrubbed
    assert "casework" not in scrubbed


@pytest.mark.django_db
def test_failed_packets_keep_the_scrubbed_reason_through_the_constraint(case, analyst):
    bundle = EvidenceBundle.objects.create(
        case=case, scope="case", recipient="Court", profile="court", requested_by=analyst, lease_token="t"
    )
    services.bundle_fail(bundle_id=bundle.pk, token="t", reason="/only/a/path")
    bundle.refresh_from_db()
    assert bundle.failure_reason == "[path]"
