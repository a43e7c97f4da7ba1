"""Metadata extraction of one worker: 500 generated JPEGs and 20 short videos, probed in sequence, each figure
beside its baseline measured in the same run on the same files.

    .venv/bin/python bench/bench_metadata.py [--photos 500] [--videos 20]

Times probe_media, the part of a processing task that grows with the files: in the sandbox child, exiftool
(kept running), Pillow decode, thumbnail and perceptual hash for photos; ffprobe, keyframes and their hashes
for videos. Needs no database: the processing package is Django-independent.

Baselines, each measured on the same file just before it is probed (so both see the same load): for photos,
a bare round trip to an `exiftool -stay_open` process with the arguments processing gives it (-G -n -j), its
JSON reply read but not parsed (goal: a photo's whole processing at most 2x that); for videos, one run of
`ffprobe` on the file (goal: a 5 s video in at most 150 ms).

Beside the wall times, CPU time per file, which other work on a shared machine moves far less: for processing,
the sandbox child (all its threads), the tools it runs (its exiftool, and the ffprobe/ffmpeg runs it waited for)
and this process's own thread; for the baselines, the exiftool process spoken to (or the ffprobe run) and this
thread. On a busy machine exiftool and the decoding in the child cannot overlap, so the wall ratio there is
about the CPU ratio; with a free core it is lower.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

# This checkout's code, not the one the virtualenv's editable install points at.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.evidence.processing import (
    probe_media,  # noqa: E402
    sandbox,  # noqa: E402
)
from casework.evidence.samples import jpeg_bytes, write_video  # noqa: E402


def make_photos(folder: Path, count: int) -> list[Path]:
    photos = []
    for number in range(count):
        path = folder / f"photo-{number:04d}.jpg"
        path.write_bytes(
            jpeg_bytes(
                seed=number,
                capture_time=datetime(2017, 9, 1) + timedelta(minutes=number),
                utc_offset="+03:00",
                latitude=35.9306,
                longitude=36.6339,
                make="Samsung",
                model="SM-J500F",
                size=(1600, 1200),
            )
        )
        photos.append(path)
    return photos


TICK = os.sysconf("SC_CLK_TCK")


def thread_group_cpu(pid: int) -> float:
    """CPU seconds of a running process's threads (nanoseconds from schedstat), plus its waited-for children's
    (clock ticks from stat: ffprobe and ffmpeg runs); 0 if it is gone."""
    try:
        running = sum(
            int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
            for task in os.listdir(f"/proc/{pid}/task")
        )
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return running / 1e9 + (int(fields[13]) + int(fields[14])) / TICK  # cutime, cstime


def descendants(pid: int) -> list[int]:
    try:
        children = [
            int(child)
            for task in os.listdir(f"/proc/{pid}/task")
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        ]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return children + [grandchild for child in children for grandchild in descendants(child)]


def sandbox_cpu() -> tuple[int | None, float]:
    """(the sandbox child's pid, CPU seconds of it and every process under it)."""
    process = sandbox._sandbox.process
    if process is None or process.poll() is not None:
        return None, 0.0
    return process.pid, sum(thread_group_cpu(pid) for pid in [process.pid, *descendants(process.pid)])


def probe_all(paths: list[Path], *, kind: str, mime: str, workdir: Path, baseline) -> dict[str, list[float]]:
    """Seconds and CPU seconds per file, and the baseline's for the same file measured just before it (so that
    both see the same load); the first file also pays for starting the sandbox child and exiftool, like a
    worker's. A file during which the child was replaced (every 500 files) has no CPU figure."""
    figures: dict[str, list[float]] = {"wall": [], "cpu": [], "baseline": [], "baseline_cpu": []}
    for path in paths:
        seconds, cpu = baseline(path)
        figures["baseline"].append(seconds)
        figures["baseline_cpu"].append(cpu)
        derived = tempfile.mkdtemp(dir=workdir)
        child_before, cpu_before = sandbox_cpu()
        started, own_started = time.perf_counter(), time.thread_time()
        result = probe_media(str(path), kind=kind, mime=mime, derived_dir=derived)
        own = time.thread_time() - own_started
        figures["wall"].append(time.perf_counter() - started)
        child_after, cpu_after = sandbox_cpu()
        if child_before is not None and child_before == child_after:
            figures["cpu"].append(own + cpu_after - cpu_before)
        if not (result.thumbnail_written and result.perceptual_hashes and result.capture_time):
            raise SystemExit(f"{path.name}: incomplete result {result}")
    return figures


class ExiftoolBaseline:
    """A running `exiftool -stay_open` spoken to directly: a bare request/reply is the floor for a photo."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["exiftool", "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def round_trip(self, path: Path) -> tuple[float, float]:
        """(seconds, CPU seconds of exiftool and of this thread)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        cpu_before = thread_group_cpu(self.process.pid)
        started, own_started = time.perf_counter(), time.thread_time()
        self.process.stdin.write(f"-G\n-n\n-j\n{path}\n-execute\n".encode())
        self.process.stdin.flush()
        reply = b""
        while not reply.endswith(b"{ready}\n"):
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("exiftool stopped")
            reply += chunk
        seconds, own = time.perf_counter() - started, time.thread_time() - own_started
        return seconds, own + thread_group_cpu(self.process.pid) - cpu_before

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"-stay_open\nFalse\n")
        self.process.stdin.close()
        self.process.wait()


def ffprobe_run(path: Path) -> tuple[float, float]:
    """(seconds, CPU seconds) to run `ffprobe` once on the file: what starting one media tool costs."""
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, own_started = time.perf_counter(), time.thread_time()
    subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        check=True,
    )
    seconds, own = time.perf_counter() - started, time.thread_time() - own_started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ffprobe = children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime
    return seconds, own + ffprobe


def median_ms(durations: list[float]) -> float:
    return statistics.median(durations) * 1000


def mean_ms(durations: list[float]) -> float:
    return statistics.fmean(durations) * 1000


def report(label: str, durations: list[float]) -> None:
    total = sum(durations)
    print(
        f"{label}: {len(durations)} files in {total:.2f} s = {len(durations) / total:.1f} files/s "
        f"(median {statistics.median(durations) * 1000:.0f} ms, first {durations[0] * 1000:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--videos", type=int, default=20)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="casework-bench-metadata-") as folder:
        workdir = Path(folder)
        photos = make_photos(workdir, arguments.photos)
        videos = [
            write_video(
                workdir / f"video-{number:02d}.mp4",
                seconds=5,
                size="640x360",
                creation_time=f"2017-09-01T10:{number:02d}:00Z",
            )
            for number in range(arguments.videos)
        ]
        exiftool = ExiftoolBaseline()
        try:
            exiftool.round_trip(photos[0])  # warms exiftool up; not counted
            photo = probe_all(photos, kind="photo", mime="image/jpeg", workdir=workdir, baseline=exiftool.round_trip)
        finally:
            exiftool.close()
        video = probe_all(videos, kind="video", mime="video/mp4", workdir=workdir, baseline=ffprobe_run)

    report("photos (JPEG 1600x1200 with EXIF)", photo["wall"])
    report("videos (MP4 H.264/AAC 640x360, 5 s)", video["wall"])
    report("total, one worker", photo["wall"] + video["wall"])
    # Medians leave out the first file, which pays for starting the sandbox child (and exiftool in it). CPU is
    # a mean: the tools a child waited for are counted in clock ticks, too coarse for one file's median.
    raw, wall = median_ms(photo["baseline"][1:]), median_ms(photo["wall"][1:])
    raw_cpu, cpu = mean_ms(photo["baseline_cpu"][1:]), mean_ms(photo["cpu"][1:])
    print("                                wall (median)   CPU (mean)")
    print(f"photo:                          {wall:6.1f} ms     {cpu:6.1f} ms")
    print(
        f"  baseline exiftool round trip: {raw:6.1f} ms     {raw_cpu:6.1f} ms  (-stay_open, -G -n -j, reply unparsed)"
    )
    print(f"  ratio (goal: at most 2x):     {wall / raw:6.2f}x       {cpu / raw_cpu:6.2f}x")
    probe, wall = median_ms(video["baseline"][1:] or video["baseline"]), median_ms(video["wall"][1:] or video["wall"])
    probe_cpu, cpu = (
        mean_ms(video["baseline_cpu"][1:] or video["baseline_cpu"]),
        mean_ms(video["cpu"][1:] or video["cpu"]),
    )
    print(f"5 s video (goal: 150 ms wall):  {wall:6.0f} ms     {cpu:6.0f} ms")
    print(f"  baseline one ffprobe run:     {probe:6.0f} ms     {probe_cpu:6.0f} ms")
    print(f"  ratio:                        {wall / probe:6.2f}x       {cpu / probe_cpu:6.2f}x")
    print(
        f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())} "
        "(the figures include the machine's other work)"
    )


if __name__ == "__main__":
    main()
