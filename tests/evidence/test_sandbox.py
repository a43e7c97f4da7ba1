"""The parser sandbox: no credentials, a memory limit, a wall clock, and survival of crashes and hangs."""

import os
import signal
import threading

import pytest
from PIL import Image

from casework.evidence.processing import ProbeFailed
from casework.evidence.processing.sandbox import ProbeSandbox
from casework.evidence.samples import jpeg_bytes


@pytest.fixture
def sandbox():
    sandbox = ProbeSandbox(memory_limit_mb=400)
    yield sandbox
    sandbox.stop()


def probe(sandbox, path, *, kind="photo", mime="image/jpeg", timeout=60):
    reply = sandbox.request(
        {"op": "probe", "path": str(path), "kind": kind, "mime": mime, "derived_dir": str(path.parent)},
        timeout_seconds=timeout,
    )
    if not reply["ok"]:
        raise ProbeFailed(reply["reason"], quarantine=reply["quarantine"])
    return reply["result"]


@pytest.fixture
def good_photo(tmp_path):
    path = tmp_path / "good.jpg"
    path.write_bytes(jpeg_bytes(seed=60))
    return path


def test_child_sees_no_credentials_from_the_worker(sandbox, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "CELERY_BROKER_URL"):
        monkeypatch.setenv(name, "secret-value")
    keys = sandbox.request({"op": "environment"}, timeout_seconds=30)["keys"]
    assert set(keys) <= {"PATH", "LANG", "LC_ALL", "TZ"}


def test_image_needing_more_memory_than_allowed_is_quarantined(sandbox, tmp_path, good_photo):
    large = tmp_path / "large.png"
    Image.new("RGB", (9000, 9000), (10, 20, 30)).save(large)  # 81 Mpx: under the bomb limit, over the memory limit
    with pytest.raises(ProbeFailed, match="more memory than allowed") as failure:
        probe(sandbox, large, mime="image/png")
    assert failure.value.quarantine
    assert probe(sandbox, good_photo)["width"] == 960  # the same child goes on working


def test_a_hanging_parse_is_cut_off_and_the_next_file_works(sandbox, tmp_path, good_photo):
    never_ending = tmp_path / "never-ending.jpg"
    os.mkfifo(never_ending)  # reading it blocks for ever, like a parser caught in a loop
    with pytest.raises(ProbeFailed, match="did not finish within 1 seconds") as failure:
        probe(sandbox, never_ending, timeout=1)
    assert failure.value.quarantine
    assert probe(sandbox, good_photo)["thumbnail_written"] is True


def test_a_crashing_parser_is_reported_and_replaced(sandbox, tmp_path, good_photo):
    probe(sandbox, good_photo)
    victim_pid = sandbox.process.pid
    blocking = tmp_path / "blocking.jpg"
    os.mkfifo(blocking)
    threading.Timer(0.5, lambda: os.kill(victim_pid, signal.SIGSEGV)).start()
    with pytest.raises(ProbeFailed, match="crashed") as failure:
        probe(sandbox, blocking, timeout=30)
    assert failure.value.quarantine
    assert probe(sandbox, good_photo)["thumbnail_written"] is True
    assert sandbox.process.pid != victim_pid
