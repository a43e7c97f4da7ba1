"""A packet build cut off by a real PostgreSQL outage (a private server, stopped with `pg_ctl -m immediate` while
the build runs) is not left "running" for ever: once the lease runs out, the sweep finds it and it is built."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def as_postgres(*command: str) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)


@pytest.fixture
def private_postgres():
    if PG_BIN is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("needs PostgreSQL's server binaries")
    # Outside pytest's folder, which only root may enter; the server runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="casework-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()
    data = folder / "data"
    initialised = as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    if initialised.returncode != 0:
        pytest.skip(f"initdb failed: {initialised.stderr[-300:]}")

    def start():
        started = as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"),
            "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr

    def stop():
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")

    start()
    as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "casework_outage")
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/casework_outage", start, stop
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.worker
def test_packet_build_cut_off_by_a_database_outage_is_built_after_it(private_postgres, tmp_path):
    database_url, start, stop = private_postgres
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CASEWORK_BUNDLE_LEASE_SECONDS": "2",
        "CELERY_BROKER_URL": "filesystem://",
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=REPO_ROOT, env=env, capture_output=True
    )
    assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]
    stopped_flag, restarted_flag = tmp_path / "stopped", tmp_path / "restarted"
    script = REPO_ROOT / "tests" / "faults" / "scripts" / "packet_build_through_outage.py"
    run = subprocess.Popen(
        [sys.executable, str(script), str(stopped_flag), str(restarted_flag)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    for line in run.stdout:
        lines.append(line.rstrip())
        if line.startswith("BUILDING"):
            stop()
            stopped_flag.touch()
        elif line.startswith("BUILD "):
            start()
            restarted_flag.touch()
    run.wait(timeout=120)
    output = "\n".join(lines)
    assert "BUILD HIT THE OUTAGE" in output, output[-3000:]
    # The database was gone, so the build could not even put the packet back in the queue: it reads "running"
    # until its lease runs out, and then the sweep picks it up.
    assert "AFTER OUTAGE running" in output, output[-3000:]
    assert "STALLED True" in output, output[-3000:]
    assert "FINALLY ready" in output, output[-3000:]
