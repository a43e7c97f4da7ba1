"""Fault drill: break things the way production broke them, and print what survived.

    .venv/bin/python bench/fault_drill.py

Uses a throw-away SQLite database and media folder, a private redis-server on a free port (stopped and frozen
here; never the machine's shared one) and a real Celery worker on it. The disk-full drill mounts a 4 MiB tmpfs
and needs root; without it that drill is skipped and says so. Each drill prints SURVIVED or LOST with what it saw;
the script exits 1 if anything was lost.
"""

import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import ROOT, setup_django  # noqa: E402

RESULTS: list[tuple[str, bool, str]] = []


def report(drill: str, survived: bool, detail: str) -> None:
    RESULTS.append((drill, survived, detail))
    print(f"{'SURVIVED' if survived else 'LOST    '}  {drill}: {detail}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Redis:
    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait()
            self.process = None


def wait_until(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def video_bytes(size: int, seed: int) -> bytes:
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return (head + hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1))[:size]


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="casework-drill-"))
    redis_server = Redis(workdir)
    redis_server.start()
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{redis_server.port}/0"
    os.environ["CASEWORK_MEDIA_LEASE_SECONDS"] = "2"
    setup_django(workdir)
    worker = None
    try:
        worker = start_worker(workdir)
        run_drills(workdir, redis_server)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        redis_server.stop()
        subprocess.run(["umount", "-l", str(workdir / "small")], capture_output=True)
    lost = [drill for drill, survived, _ in RESULTS if not survived]
    print(
        f"\n{len(RESULTS) - len(lost)} of {len(RESULTS)} drills survived."
        + (f" Lost: {', '.join(lost)}" if lost else "")
    )
    return 1 if lost else 0


def start_worker(workdir: Path) -> subprocess.Popen:
    log = workdir / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "casework", "worker", "--pool", "prefork", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT, env=os.environ.copy(), stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    if not wait_until(lambda: b" ready." in log.read_bytes(), timeout=60):
        raise SystemExit(f"The worker did not start; see {log}")
    return worker


def run_drills(workdir: Path, redis_server: Redis) -> None:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import OperationalError
    from django.test import Client
    from django.utils import timezone

    from casework.bundles import services as bundle_services
    from casework.bundles.models import EvidenceBundle
    from casework.bundles.tasks import bundles_sweep_task
    from casework.cases.models import Case
    from casework.errors import StorageFull
    from casework.evidence import services
    from casework.evidence.custody import originals_without_record
    from casework.evidence.models import MediaItem
    from casework.evidence.samples import jpeg_bytes
    from casework.evidence.tasks import media_process_task, media_sweep_unprocessed_task
    from casework.evidence.uploads import incoming_clean, incoming_dir

    user = get_user_model().objects.create_superuser("drill", "drill@example.org", "drill-password-1")
    case = Case.objects.create(reference="CW-9001", title="Fault drill")

    def ingest(content: bytes, name: str = "photo.jpg"):
        return services.media_ingest_stream(
            stream=io.BytesIO(content), case=case, original_filename=name, source="witness", acquired_by=user
        )

    # 1. Redis down during an upload, then back.
    redis_server.stop()
    try:
        item = ingest(jpeg_bytes(seed=1)).item
        answered = True
    except Exception as error:  # noqa: BLE001 - the drill reports whatever happened
        item, answered = None, f"{type(error).__name__}"
    redis_server.start()
    if item is not None:
        MediaItem.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(minutes=10))
        media_sweep_unprocessed_task()
        done = wait_until(lambda: MediaItem.objects.get(pk=item.pk).processing_state == "done")
        report(
            "redis down at upload", done, f"upload answered, item {'processed after the sweep' if done else 'stuck'}"
        )
    else:
        report("redis down at upload", False, f"upload failed: {answered}")

    # 2. A frozen Redis (SIGSTOP): the upload answers within the socket timeouts.
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    started = time.monotonic()
    try:
        frozen_item = ingest(jpeg_bytes(seed=2)).item
        detail = f"answered in {time.monotonic() - started:.1f} s (was 30 s or more)"
    except Exception as error:  # noqa: BLE001
        frozen_item, detail = None, f"failed: {type(error).__name__}"
    os.kill(redis_server.process.pid, signal.SIGCONT)
    report("redis frozen at upload", frozen_item is not None, detail)

    # 3. The redelivered task of a dead worker (claim fresh, no one renewing it).
    item = ingest(jpeg_bytes(seed=3)).item
    wait_until(lambda: MediaItem.objects.get(pk=item.pk).processing_state == "done")  # its own message first
    MediaItem.objects.filter(pk=item.pk).update(
        processing_state="processing", processing_started_at=timezone.now(), processing_attempts=1
    )
    started = time.monotonic()
    media_process_task.delay(item.pk)
    done = wait_until(lambda: MediaItem.objects.get(pk=item.pk).processing_state == "done")
    report("worker died holding an item", done, f"taken over after {time.monotonic() - started:.1f} s (lease 2 s)")

    # 4. A packet requested while Redis is down, and one left running by a dead build.
    redis_server.stop()
    queued = bundle_services.bundle_request(
        case=case, scope="case", incidents=[], recipient="Court", profile="court", purpose="", actor=user
    )
    redis_server.start()
    dead = EvidenceBundle.objects.create(
        case=case, scope="case", recipient="Court", profile="court", requested_by=user, status="running",
        lease_token="dead", lease_expires_at=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    EvidenceBundle.objects.filter(pk=queued.pk).update(requested_at=timezone.now() - timedelta(minutes=10))
    bundles_sweep_task()
    built = wait_until(lambda: set(EvidenceBundle.objects.values_list("status", flat=True)) == {"ready"}, timeout=120)
    report(
        "packets queued with redis down / left running",
        built,
        f"statuses {dict(EvidenceBundle.objects.values_list('pk', 'status'))}",
    )
    del dead

    # 5. The database fails after the original is in place.
    real_custody_record = services.custody_record

    def database_goes_away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    services.custody_record = database_goes_away
    try:
        ingest(jpeg_bytes(seed=5))
    except OperationalError:
        pass
    finally:
        services.custody_record = real_custody_record
    unowned, _ = originals_without_record()
    report("database failure after the file was placed", not unowned, f"{len(unowned)} file(s) without a record")

    # The custody chain and the files still agree (before drill 6, whose files are on a tmpfs unmounted after).
    output = io.StringIO()
    try:
        call_command("verify_custody", stdout=output, stderr=output)
        report("verify_custody", True, output.getvalue().strip().splitlines()[-1])
    except Exception as error:  # noqa: BLE001
        report("verify_custody", False, f"{error}: {json.dumps(output.getvalue()[-500:])}")

    # 6. Disk full mid-copy (media on a 4 MiB tmpfs, uploads' temporary folder on another filesystem).
    small = workdir / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        print(f"SKIPPED   disk full: cannot mount a tmpfs ({mounted.stderr.decode().strip()}); run as root")
    else:
        from django.test import override_settings

        with override_settings(MEDIA_ROOT=str(small), FILE_UPLOAD_TEMP_DIR=str(workdir / "incoming")):
            stats = os.statvfs(small)
            ballast = small / "ballast"
            ballast.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 1024 * 1024))
            content = video_bytes(2 * 1024 * 1024, seed=6)
            try:
                ingest(content, "clip.mp4")
                first = "stored?!"
            except StorageFull:
                first = "refused: storage full (507)"
            ballast.unlink()
            item = ingest(content, "clip.mp4").item
            stored = Path(small / item.original.name).read_bytes()
            whole = hashlib.sha256(stored).hexdigest() == item.sha256 == hashlib.sha256(content).hexdigest()
            report(
                "disk full mid-copy",
                whole and first.startswith("refused"),
                f"{first}; next upload stored whole: {whole}",
            )

    # 7. Temporary files of uploads killed mid-way.
    dead_upload = incoming_dir() / "tmp-killed.upload.mp4"
    dead_upload.write_bytes(b"half")
    os.utime(dead_upload, (time.time() - 7200, time.time() - 7200))
    removed = incoming_clean()
    report("upload killed mid-way", not dead_upload.exists(), f"{removed} stale temporary file(s) cleaned")

    # 8. Hostile bodies: deeply nested JSON.
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    nested = '{"reference": ' + "[" * 100_000 + "]" * 100_000 + "}"
    status = client.post("/api/cases/", nested, content_type="application/json").status_code
    report("deeply nested JSON", status == 400, f"answered {status}")


if __name__ == "__main__":
    sys.exit(main())
