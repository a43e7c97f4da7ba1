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
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

# This checkout's code, not the one the virtualenv's editable install points at.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.evidence.processing import probe_media  # noqa: E402
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


def probe_all(paths: list[Path], *, kind: str, mime: str, workdir: Path, baseline) -> tuple[list[float], list[float]]:
    """Seconds per file, and the baseline's seconds for the same file measured just before it (so that both
    see the same load); the first file also pays for starting the sandbox child and exiftool, like a worker's."""
    durations, baselines = [], []
    for path in paths:
        baselines.append(baseline(path))
        derived = tempfile.mkdtemp(dir=workdir)
        started = time.perf_counter()
        result = probe_media(str(path), kind=kind, mime=mime, derived_dir=derived)
        durations.append(time.perf_counter() - started)
        if not (result.thumbnail_written and result.perceptual_hashes and result.capture_time):
            raise SystemExit(f"{path.name}: incomplete result {result}")
    return durations, baselines


class ExiftoolBaseline:
    """A running `exiftool -stay_open` spoken to directly: a bare request/reply is the floor for a photo."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["exiftool", "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def round_trip(self, path: Path) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        started = time.perf_counter()
        self.process.stdin.write(f"-G\n-n\n-j\n{path}\n-execute\n".encode())
        self.process.stdin.flush()
        reply = b""
        while not reply.endswith(b"{ready}\n"):
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("exiftool stopped")
            reply += chunk
        return time.perf_counter() - started

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"-stay_open\nFalse\n")
        self.process.stdin.close()
        self.process.wait()


def ffprobe_run(path: Path) -> float:
    """Seconds to run `ffprobe` once on the file: what starting one media tool costs."""
    started = time.perf_counter()
    subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def median_ms(durations: list[float]) -> float:
    return statistics.median(durations) * 1000


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
            photo_durations, exiftool_durations = probe_all(
                photos, kind="photo", mime="image/jpeg", workdir=workdir, baseline=exiftool.round_trip
            )
        finally:
            exiftool.close()
        video_durations, ffprobe_durations = probe_all(
            videos, kind="video", mime="video/mp4", workdir=workdir, baseline=ffprobe_run
        )

    report("photos (JPEG 1600x1200 with EXIF)", photo_durations)
    report("videos (MP4 H.264/AAC 640x360, 5 s)", video_durations)
    report("total, one worker", photo_durations + video_durations)
    # Medians leave out the first file, which pays for starting the sandbox child (and exiftool in it).
    raw, photo = median_ms(exiftool_durations[1:]), median_ms(photo_durations[1:])
    print(f"photo, median:                 {photo:.1f} ms")
    print(f"  baseline exiftool round trip: {raw:.1f} ms (-stay_open, -G -n -j, reply unparsed)")
    print(f"  ratio:                        {photo / raw:.2f}x (goal: at most 2x)")
    probe, video = (
        median_ms(ffprobe_durations[1:] or ffprobe_durations),
        median_ms(video_durations[1:] or video_durations),
    )
    print(f"5 s video, median:             {video:.0f} ms (goal: at most 150 ms)")
    print(f"  baseline one ffprobe run:     {probe:.0f} ms")
    print(f"  ratio:                        {video / probe:.2f}x")
    print(
        f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())} "
        "(the figures include the machine's other work)"
    )


if __name__ == "__main__":
    main()
