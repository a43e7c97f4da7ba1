"""Metadata extraction of one worker: 500 generated JPEGs and 20 short videos, probed in sequence, each figure
beside its baseline measured in the same run on the same files.

    .venv/bin/python bench/bench_metadata.py [--photos 500] [--videos 20]

Times probe_media, the part of a processing task that grows with the files: in the sandbox child, exiftool
(kept running), Pillow decode, thumbnail and perceptual hash for photos; ffprobe, keyframes and their hashes
for videos. Needs no database: the processing package is Django-independent.

Baselines: for photos, a bare round trip to a `exiftool -stay_open` process with the arguments processing
gives it (-G -n -j), its JSON reply read but not parsed (goal: a photo's whole processing at most 2x that);
for videos, starting `ffprobe` once on the file (goal: a 5 s video in at most 150 ms).
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from casework.evidence.processing import probe_media
from casework.evidence.samples import jpeg_bytes, write_video


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


def probe_all(paths: list[Path], *, kind: str, mime: str, workdir: Path) -> list[float]:
    """Seconds per file; the first also pays for starting the sandbox child and exiftool, like a worker's."""
    durations = []
    for path in paths:
        derived = tempfile.mkdtemp(dir=workdir)
        started = time.perf_counter()
        result = probe_media(str(path), kind=kind, mime=mime, derived_dir=derived)
        durations.append(time.perf_counter() - started)
        if not (result.thumbnail_written and result.perceptual_hashes and result.capture_time):
            raise SystemExit(f"{path.name}: incomplete result {result}")
    return durations


def exiftool_round_trips(paths: list[Path]) -> list[float]:
    """Seconds per file of a bare request/reply with a running `exiftool -stay_open`: the floor for a photo."""
    process = subprocess.Popen(
        ["exiftool", "-stay_open", "True", "-@", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    descriptor = process.stdout.fileno()
    durations = []
    try:
        for path in [paths[0], *paths]:  # the first one warms exiftool up and is not counted
            started = time.perf_counter()
            process.stdin.write(f"-G\n-n\n-j\n{path}\n-execute\n".encode())
            process.stdin.flush()
            reply = b""
            while not reply.endswith(b"{ready}\n"):
                chunk = os.read(descriptor, 65536)
                if not chunk:
                    raise SystemExit("exiftool stopped")
                reply += chunk
            durations.append(time.perf_counter() - started)
    finally:
        process.stdin.write(b"-stay_open\nFalse\n")
        process.stdin.close()
        process.wait()
    return durations[1:]


def ffprobe_starts(paths: list[Path]) -> list[float]:
    """Seconds per file to run `ffprobe` once on it: what starting one media tool costs."""
    durations = []
    for path in paths:
        started = time.perf_counter()
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True,
            check=True,
        )
        durations.append(time.perf_counter() - started)
    return durations


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
        exiftool_durations = exiftool_round_trips(photos)
        photo_durations = probe_all(photos, kind="photo", mime="image/jpeg", workdir=workdir)
        ffprobe_durations = ffprobe_starts(videos)
        video_durations = probe_all(videos, kind="video", mime="video/mp4", workdir=workdir)

    report("photos (JPEG 1600x1200 with EXIF)", photo_durations)
    report("videos (MP4 H.264/AAC 640x360, 5 s)", video_durations)
    report("total, one worker", photo_durations + video_durations)
    # Medians leave out the first file, which pays for starting the sandbox child (and exiftool in it).
    raw, photo = median_ms(exiftool_durations), median_ms(photo_durations[1:])
    print(f"photo, median:                 {photo:.1f} ms")
    print(f"  baseline exiftool round trip: {raw:.1f} ms (-stay_open, -G -n -j, reply unparsed)")
    print(f"  ratio:                        {photo / raw:.2f}x (goal: at most 2x)")
    probe, video = median_ms(ffprobe_durations), median_ms(video_durations[1:] or video_durations)
    print(f"5 s video, median:             {video:.0f} ms (goal: at most 150 ms)")
    print(f"  baseline one ffprobe run:     {probe:.0f} ms")
    print(f"  ratio:                        {video / probe:.2f}x")
    print(
        f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())} "
        "(the figures include the machine's other work)"
    )


if __name__ == "__main__":
    main()
