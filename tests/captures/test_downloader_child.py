"""yt-dlp runs in a child process that holds no credentials: what it sees, what it brings back, how it fails."""

import hashlib

import pytest

from casework.captures import tools
from casework.captures.fetching import FetchFailure, FetchPolicy, FetchRefused

SECRETS = {
    "SECRET_KEY": "not-for-the-downloader",
    "FIELD_ENCRYPTION_KEYS": "not-for-the-downloader",
    "BUNDLE_SIGNING_KEY": "not-for-the-downloader",
    "DATABASE_URL": "postgres://secret@127.0.0.1/casework",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SETTINGS_MODULE": "casework.settings",
    "AWS_SECRET_ACCESS_KEY": "not-for-the-downloader",
}


def _download(url, folder, *, seconds=30.0, max_bytes=50 * 1024 * 1024, allow_loopback=True):
    refusals = tools.Refusals()
    policy = FetchPolicy.starting_now(max_bytes=max_bytes, seconds=seconds, allow_loopback=allow_loopback)
    return tools.ytdlp_download(url, folder=folder, policy=policy, refusals=refusals), refusals


def test_the_downloader_sees_no_credentials_and_brings_back_the_video(web, tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    download, refusals = _download(f"{web.base}/page", tmp_path)

    assert download is not None, refusals
    assert hashlib.sha256(download.path.read_bytes()).digest() == hashlib.sha256(web.video.read_bytes()).digest()
    assert download.path.parent == tmp_path
    assert download.info["title"].startswith("Shelling of the market")
    seen = set(download.child_environment)
    assert seen and not seen & set(SECRETS)
    assert seen <= {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "HOME", "TMPDIR"}
    assert not download.child_loaded_django


def test_the_environment_given_to_the_downloader_holds_nothing_of_the_worker(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    environment = tools.ytdlp_environment(tmp_path)
    assert set(environment) <= set(tools.YTDLP_INHERITED_KEYS) | {"HOME", "TMPDIR"}
    assert environment["HOME"] == environment["TMPDIR"] == str(tmp_path)


@pytest.mark.parametrize(
    ("path", "options", "reason"),
    [
        ("/page", {"allow_loopback": False}, FetchFailure.REFUSED_ADDRESS),
        ("/redirect-private", {}, FetchFailure.REFUSED_ADDRESS),
        ("/page", {"max_bytes": 100}, FetchFailure.TOO_LARGE),
    ],
)
def test_the_downloader_reports_why_it_brought_nothing(web, tmp_path, path, options, reason):
    download, refusals = _download(f"{web.base}{path}", tmp_path, **options)
    assert download is None
    assert refusals.first_reason() == reason


def test_a_downloader_past_the_time_limit_is_killed(web, tmp_path, monkeypatch):
    web.slow_seconds = 10
    started = []
    popen = tools.subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(tools.subprocess, "Popen", recording_popen)
    monkeypatch.setattr(tools, "YTDLP_GRACE_SECONDS", 0.0)
    with pytest.raises(FetchRefused) as refused:
        _download(f"{web.base}/slow", tmp_path, seconds=1.0)
    assert refused.value.reason == FetchFailure.TIMED_OUT
    assert started and started[0].returncode is not None  # killed, not left running
