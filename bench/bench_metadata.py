"""Metadata extraction throughput of one worker: 500 generated JPEGs and 20 short videos.

    .venv/bin/python bench/bench_metadata.py [--photos 500] [--videos 20]

Times probe_media (the sandboxed child: exiftool, Pillow decode, thumbnail, perceptual hash; ffprobe and
keyframes for videos), which is the part of a processing task that grows with the files.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
os.environ.setdefault("DEBUG", "true")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--videos", type=int, default=20)
    args = parser.parse_args()

    from casework.evidence.processing import probe_media
    from casework.evidence.samples import jpeg_bytes, write_video

    workdir = Path(tempfile.mkdtemp(prefix="casework-bench-metadata-"))
    photos = []
    for number in range(args.photos):
        path = workdir / f"photo-{number:04d}.jpg"
        path.write_bytes(
            jpeg_bytes(
                seed=number,
                capture_time=datetime(2017, 9, 1) + timedelta(minutes=number),
                latitude=35.9,
                longitude=36.6,
                make="Samsung",
                model="SM-J500F",
                size=(1600, 1200),
            )
        )
        photos.append(path)
    videos = [write_video(workdir / f"video-{n:02d}.mp4", seconds=5, size="640x360") for n in range(args.videos)]

    def run(paths: list[Path], kind: str, mime: str) -> float:
        started = time.perf_counter()
        for path in paths:
            derived = tempfile.mkdtemp(dir=workdir)
            result = probe_media(str(path), kind=kind, mime=mime, derived_dir=derived)
            assert result.thumbnail_written and result.perceptual_hashes
        return time.perf_counter() - started

    # The first file also pays for starting the sandbox child and exiftool; count it like any other.
    photo_seconds = run(photos, "photo", "image/jpeg")
    video_seconds = run(videos, "video", "video/mp4")
    print(f"photos: {len(photos)} JPEGs 1600x1200 in {photo_seconds:.2f} s = {len(photos) / photo_seconds:.1f} files/s")
    print(
        f"videos: {len(videos)} MP4s 640x360 5 s in {video_seconds:.2f} s = {len(videos) / video_seconds:.1f} files/s"
    )
    total = len(photos) + len(videos)
    print(
        f"total:  {total} files in {photo_seconds + video_seconds:.2f} s = "
        f"{total / (photo_seconds + video_seconds):.1f} files/s (one worker process)"
    )


if __name__ == "__main__":
    main()
