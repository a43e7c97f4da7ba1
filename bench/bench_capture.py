"""Captures of online sources: captures per minute and the worker's peak memory, for 20 local pages each
embedding its own 10 MB video, beside a baseline measured in the same run: the same 20 videos fetched through
the checked client alone (what any capture pays to move the bytes).

    .venv/bin/python bench/bench_capture.py [--urls 20] [--video-mb 10]

The captures run one after another in a child process, as one worker runs them (Chromium for each page, yt-dlp
for its video, the WARC, the intake of the video); its peak RSS is the Python worker's own, and the largest of
its child processes (Playwright's driver or Chromium) is printed beside it. The local server runs in this
process; the loopback setting lets captures reach it (tests and benchmarks only).
"""

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup_django  # noqa: E402

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Post {n}</title>
<meta property="og:title" content="Post {n}"><meta property="og:video" content="{base}/video/{n}.mp4">
<meta property="og:video:type" content="video/mp4"></head>
<body><h1>Post {n}</h1><p>Posted by an activist.</p><video controls src="/video/{n}.mp4"></video></body></html>"""


def make_videos(folder: Path, count: int, megabytes: int) -> list[Path]:
    """`count` MP4 files of about `megabytes` MB each, all different: a short clip with random padding after
    its boxes (a free box), so each file's hash differs and none is a duplicate of another."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from casework.evidence.samples import write_video

    clip = write_video(folder / "clip.mp4", seconds=2.0).read_bytes()
    padding = megabytes * 1024 * 1024 - len(clip) - 8
    videos = []
    for number in range(count):
        path = folder / f"{number}.mp4"
        path.write_bytes(clip + (padding + 8).to_bytes(4, "big") + b"free" + os.urandom(padding))
        videos.append(path)
    return videos


def serve(videos: list[Path]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            if parts[0] == "page":
                body, kind = PAGE.format(n=parts[1], base=base).encode(), "text/html; charset=utf-8"
            elif parts[0] == "video":
                body, kind = videos[int(parts[1].split(".")[0])].read_bytes(), "video/mp4"
            else:
                body, kind = b"", "text/plain"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_error(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return server, base


def run_captures(workdir: Path, capture_ids: list[int]) -> None:
    """In the child: run each capture as the worker's task does, then print timings and peak memory."""
    os.environ["CASEWORK_CAPTURE_ALLOW_LOOPBACK"] = "1"
    setup_django(workdir, migrate=False)
    from casework.captures.models import Capture
    from casework.captures.services import capture_run

    started = time.perf_counter()
    for capture_id in capture_ids:
        capture_run(capture_id=capture_id)
    seconds = time.perf_counter() - started
    states = sorted(set(Capture.objects.values_list("state", flat=True)))
    states.append(f"{Capture.objects.exclude(media_item=None).values('media_item').distinct().count()}-videos")
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(seconds, self_mb, child_mb, ",".join(states))


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--run":
        run_captures(Path(sys.argv[2]), [int(value) for value in sys.argv[3:]])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", type=int, default=20)
    parser.add_argument("--video-mb", type=int, default=10)
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CASEWORK_CAPTURE_ALLOW_LOOPBACK"] = "1"
    workdir = setup_django()
    from django.contrib.auth import get_user_model

    from casework.captures.fetching import FetchPolicy, open_following
    from casework.captures.models import Capture
    from casework.cases.models import Case

    video_folder = Path(tempfile.mkdtemp(prefix="capture-bench-"))
    videos = make_videos(video_folder, args.urls, args.video_mb)
    server, base = serve(videos)
    try:
        # Baseline: the videos' bytes through the checked client alone, hashed as intake would.
        started = time.perf_counter()
        for number in range(args.urls):
            policy = FetchPolicy.starting_now(max_bytes=1 << 34, seconds=60, allow_loopback=True)
            response, _hops = open_following(f"{base}/video/{number}.mp4", policy=policy)
            digest = hashlib.sha256()
            while chunk := response.read(1 << 20):
                digest.update(chunk)
        baseline = time.perf_counter() - started

        case = Case.objects.create(reference="CW-BENCH", title="Benchmark")
        user = get_user_model().objects.create(username="bench")
        ids = [
            Capture.objects.create(case=case, url=f"{base}/page/{number}", requested_by=user).pk
            for number in range(args.urls)
        ]
        env = {**os.environ, "CELERY_BROKER_URL": "memory://"}
        output = subprocess.run(
            [sys.executable, __file__, "--run", str(workdir), *map(str, ids)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        seconds, self_mb, child_mb, states = float(output[0]), float(output[1]), float(output[2]), output[3]
    finally:
        server.shutdown()
        # Hundreds of MB of videos, originals and artefacts: removed once measured.
        shutil.rmtree(video_folder, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    total_mb = args.urls * args.video_mb
    print(f"{args.urls} pages, each with its own {args.video_mb} MB video ({total_mb} MB); states: {states}")
    print(f"captures:  {seconds:7.1f} s  {60 * args.urls / seconds:6.1f} captures/min  {total_mb / seconds:6.1f} MB/s")
    rate = 60 * args.urls / baseline
    print(f"baseline:  {baseline:7.1f} s  {rate:6.1f} videos/min    {total_mb / baseline:6.1f} MB/s"
          "  (the videos through the checked client alone)")  # fmt: skip
    print(f"worker peak RSS: {self_mb:.0f} MB (Python); largest child process (Playwright driver, Chromium or yt-dlp): "
          f"{child_mb:.0f} MB")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
