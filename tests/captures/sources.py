"""A local web server standing in for the internet: pages, media, errors, slow and hostile answers."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from casework.evidence.samples import write_jpeg, write_video

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shelling of the market</title>
<meta property="og:title" content="Shelling of the market">
<meta property="og:description" content="Video posted by a local activist">
<meta property="og:type" content="video.other">
<meta property="og:video" content="{base}/video.mp4">
<meta property="og:video:type" content="video/mp4">
</head><body><h1>Shelling of the market</h1><p>{text}</p>
<video controls src="/video.mp4"></video></body></html>
"""


class Sources:
    """What the server answers; tests change `page_text` (a page that changes) or the files."""

    def __init__(self, *, video: Path, photo: Path):
        self.video = video
        self.photo = photo
        self.page_text = "Posted at noon; the market was full."
        self.requests: list[str] = []
        self.slow_seconds = 5.0
        self.base = ""


def _handler(sources: Sources):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            sources.requests.append(self.path)
            path = self.path.split("?")[0]
            if path.startswith("/page") or path == "/":
                body = PAGE.format(base=sources.base, text=sources.page_text).encode()
                self._send(200, body, "text/html; charset=utf-8")
            elif path.startswith("/video"):
                self._send(200, sources.video.read_bytes(), "video/mp4")
            elif path.startswith("/photo"):
                self._send(200, sources.photo.read_bytes(), "image/jpeg")
            elif path == "/slow":
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.wfile.write(b"\0" * 1000)
                self.wfile.flush()
                time.sleep(sources.slow_seconds)
            elif path == "/reaching-inside":
                # A page whose picture, frame and script point at the cloud's metadata service, directly and
                # through a redirect: a capture must never fetch them.
                body = (
                    b"<!doctype html><html><head><title>Reaching inside</title></head><body><p>Still captured.</p>"
                    b'<img src="http://169.254.169.254/latest/meta-data/iam.png">'
                    b'<iframe src="/redirect-private"></iframe>'
                    b"<script>fetch('http://10.0.0.1/admin').catch(() => {})</script></body></html>"
                )
                self._send(200, body, "text/html; charset=utf-8")
            elif path == "/redirect-private":
                self._send(302, b"", "text/plain", {"Location": "http://169.254.169.254/latest/meta-data/"})
            elif path == "/redirect-page":
                self._send(302, b"", "text/plain", {"Location": "/page"})
            elif path == "/huge":
                self._send(200, b"\0" * (3 * 1024 * 1024), "video/mp4")
            else:
                self._send(404, b"<h1>Not found</h1>", "text/html")

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (a refused or timed-out fetch) is expected here


@contextmanager
def serving(sources: Sources):
    server = QuietServer(("127.0.0.1", 0), _handler(sources))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sources.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield sources
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def source_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    return {"video": write_video(folder / "clip.mp4", seconds=2.0), "photo": write_jpeg(folder / "photo.jpg")}


@pytest.fixture
def web(source_files):
    """A local HTTP server for the test: `web.base` is its address."""
    with serving(Sources(video=source_files["video"], photo=source_files["photo"])) as sources:
        yield sources


@pytest.fixture
def loopback_allowed(settings):
    """Captures in this process may reach the local server (the worker gets the same setting from conftest)."""
    settings.CASEWORK_CAPTURE_ALLOW_LOOPBACK = True
    settings.CASEWORK_CAPTURE_SECONDS = 30
