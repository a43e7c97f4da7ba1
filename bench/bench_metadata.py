"""Metadata extraction throughput of one worker: 500 generated JPEGs and 20 short videos, probed in sequence.

    .venv/bin/python bench/bench_metadata.py [--photos 500] [--videos 20]

Times probe_media, the part of a processing task that grows with the files: in the sandbox child, exiftool
(kept running), Pillow decode, thumbnail and perceptual hash for photos; ffprobe, keyframes and their hashes
for videos. Needs no database: the processing package is Django-independent.
"""

import argparse
import statistics
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
        photo_durations = probe_all(photos, kind="photo", mime="image/jpeg", workdir=workdir)
        video_durations = probe_all(videos, kind="video", mime="video/mp4", workdir=workdir)

    report("photos (JPEG 1600x1200 with EXIF)", photo_durations)
    report("videos (MP4 H.264/AAC 640x360, 5 s)", video_durations)
    report("total, one worker", photo_durations + video_durations)


if __name__ == "__main__":
    main()
