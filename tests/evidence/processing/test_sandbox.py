"""The parser sandbox: no credentials, resource limits, a wall clock, and a worker that survives it all."""

import os
import re
import signal
import threading

import pytest
from PIL import Image

from casework.evidence.processing import ProbeFailed, probe_media
from casework.evidence.processing.sandbox import sandbox_diagnostics
from casework.evidence.samples import write_jpeg
from tests.conftest import wait_for

WORKER_SECRETS = ("SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "CELERY_BROKER_URL")


def probe_photo(path, derived_dir, **limits):
    return probe_media(str(path), kind="photo", mime="image/jpeg", derived_dir=str(derived_dir), **limits)


def child_limits(pid: int) -> dict[str, str]:
    """Soft limits of a process as the kernel reports them, e.g. {"Max address space": "419430400"}."""
    with open(f"/proc/{pid}/limits") as limits:
        rows = [re.split(r"\s{2,}", line.strip()) for line in limits.readlines()[1:]]
    return {row[0]: row[1] for row in rows}


def living_processes_in_group(group: int) -> list[str]:
    """Names of the processes of a process group that are still running (zombies are dead: not counted)."""
    names = []
    for entry in os.scandir("/proc"):
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                name, fields = stat.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        state, _, process_group = fields.split()[:3]
        if int(process_group) == group and state != "Z":
            names.append(name.split("(", 1)[1])
    return names


@pytest.fixture
def good_photo(tmp_path):
    return write_jpeg(tmp_path / "good.jpg", seed=60)


@pytest.fixture
def never_ending(tmp_path):
    # Reading a FIFO with no writer blocks for ever, like a parser caught in a loop.
    path = tmp_path / "never-ending.jpg"
    os.mkfifo(path)
    return path


def test_child_sees_none_of_the_workers_secrets_and_no_django(fresh_sandbox, monkeypatch):
    for name in WORKER_SECRETS:
        monkeypatch.setenv(name, "secret-value")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    diagnostics = sandbox_diagnostics()
    assert set(diagnostics["keys"]) <= {"PATH", "LANG", "LC_ALL", "TZ"}
    assert "PATH" in diagnostics["keys"]
    assert diagnostics["django_imported"] is False
    with open(f"/proc/{fresh_sandbox.process.pid}/environ", "rb") as environ:
        assert b"secret-value" not in environ.read()


def test_child_runs_under_memory_and_cpu_limits(fresh_sandbox, good_photo, derived_dir):
    probe_photo(good_photo, derived_dir, memory_limit_mb=700, timeout_seconds=20)
    limits = child_limits(fresh_sandbox.process.pid)
    assert limits["Max address space"] == str(700 * 1024 * 1024)
    assert limits["Max cpu time"] != "unlimited" and int(limits["Max cpu time"]) <= 20 + 60
    assert limits["Max core file size"] == "0"


def test_a_hanging_parse_is_cut_off_and_the_next_file_works(fresh_sandbox, never_ending, good_photo, derived_dir):
    probe_photo(good_photo, derived_dir)
    hung_child = fresh_sandbox.process.pid
    assert "exiftool" in living_processes_in_group(hung_child)
    with pytest.raises(ProbeFailed) as failure:
        probe_photo(never_ending, derived_dir, timeout_seconds=1)
    assert failure.value.code == "timeout" and not failure.value.quarantine
    assert failure.value.reason.startswith("Processing did not finish within 1 seconds.")
    assert living_processes_in_group(hung_child) == []  # the child, and the exiftool it started, are gone
    assert probe_photo(good_photo, derived_dir).thumbnail_written


def test_a_crashing_parser_is_reported_quarantined_and_replaced(fresh_sandbox, never_ending, good_photo, derived_dir):
    probe_photo(good_photo, derived_dir)
    crashed_child = fresh_sandbox.process.pid
    threading.Timer(0.5, os.kill, (crashed_child, signal.SIGSEGV)).start()
    with pytest.raises(ProbeFailed) as failure:
        probe_photo(never_ending, derived_dir, timeout_seconds=30)
    assert failure.value.code == "crashed" and failure.value.quarantine
    assert "(SIGSEGV)" in failure.value.reason
    assert probe_photo(good_photo, derived_dir).thumbnail_written
    assert fresh_sandbox.process.pid != crashed_child


def test_child_stopped_by_its_cpu_limit_is_reported_as_such(fresh_sandbox, never_ending, good_photo, derived_dir):
    probe_photo(good_photo, derived_dir)
    # What the kernel sends when RLIMIT_CPU's soft limit is reached.
    threading.Timer(0.5, os.kill, (fresh_sandbox.process.pid, signal.SIGXCPU)).start()
    with pytest.raises(ProbeFailed) as failure:
        probe_photo(never_ending, derived_dir, timeout_seconds=30)
    assert failure.value.code == "cpu_limit" and not failure.value.quarantine
    assert failure.value.reason.startswith("Processing used more than 30 seconds of processor time.")


def test_image_needing_more_memory_than_allowed_fails_and_the_child_goes_on(
    fresh_sandbox, tmp_path, good_photo, derived_dir
):
    large = tmp_path / "large.png"
    Image.new("RGB", (9000, 9000), (10, 20, 30)).save(large)  # 81 Mpx: under the bomb limit, 243 MB decoded
    with pytest.raises(ProbeFailed) as failure:
        probe_media(str(large), kind="photo", mime="image/png", derived_dir=str(derived_dir), memory_limit_mb=400)
    assert failure.value.code == "out_of_memory" and not failure.value.quarantine
    assert "(400 MB)" in failure.value.reason
    child_before = fresh_sandbox.process.pid
    assert probe_photo(good_photo, derived_dir, memory_limit_mb=400).width == 960
    assert fresh_sandbox.process.pid == child_before


def test_kind_that_does_not_match_the_type_is_a_programming_error(good_photo, derived_dir):
    with pytest.raises(ValueError):
        probe_media(str(good_photo), kind="video", mime="image/jpeg", derived_dir=str(derived_dir))


def processes_in_group_named(group: int, name: str) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                command, fields = stat.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        state, _, process_group = fields.split()[:3]
        if int(process_group) == group and state != "Z" and command.split("(", 1)[1] == name:
            pids.append(int(entry.name))
    return pids


def test_a_forked_worker_gets_its_own_child_and_the_parent_keeps_its_own(fresh_sandbox, good_photo, tmp_path):
    # Celery's prefork pool forks worker processes; a child inherited from the parent must not be shared.
    (tmp_path / "parent").mkdir()
    assert probe_photo(good_photo, tmp_path / "parent").capture_time is None
    parent_child = fresh_sandbox.process.pid
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked worker: probes a file and reports which sandbox child answered
        status = 1
        try:
            os.close(reading)
            (tmp_path / "forked").mkdir()
            result = probe_photo(good_photo, tmp_path / "forked")
            own_child = fresh_sandbox.process.pid
            fresh_sandbox.stop()
            os.write(writing, f"{own_child} {result.width}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writing)
    with os.fdopen(reading) as answer:
        reported = answer.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    forked_child, width = (int(value) for value in reported.split())
    assert forked_child != parent_child and width == 960
    (tmp_path / "again").mkdir()
    assert probe_photo(good_photo, tmp_path / "again").width == 960
    assert fresh_sandbox.process.pid == parent_child  # the parent's child was neither killed nor confused


def test_exiftool_that_died_is_restarted_for_the_next_file(fresh_sandbox, tmp_path):
    photo = write_jpeg(tmp_path / "camera.jpg", seed=61, make="Samsung", model="SM-J500F")
    (tmp_path / "first").mkdir()
    assert probe_photo(photo, tmp_path / "first").device_make == "Samsung"
    child = fresh_sandbox.process.pid
    (exiftool,) = processes_in_group_named(child, "exiftool")
    os.kill(exiftool, signal.SIGKILL)
    # The kill is delivered asynchronously: the next file is sent once exiftool has really died (a zombie or
    # gone), which is what the sandbox notices. (One that dies in the middle of a file ends that file's probe
    # at its time limit instead; the next file then gets a new exiftool too.)
    wait_for(lambda: exiftool not in processes_in_group_named(child, "exiftool"), timeout=10, what="exiftool to die")
    (tmp_path / "second").mkdir()
    result = probe_photo(photo, tmp_path / "second")
    assert (result.device_make, result.device_model) == ("Samsung", "SM-J500F")
    assert fresh_sandbox.process.pid == child
    assert processes_in_group_named(child, "exiftool") not in ([], [exiftool])
