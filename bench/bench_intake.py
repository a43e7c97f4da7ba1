"""Intake throughput: a large upload through Django's multipart parser and the intake service,
against `openssl dgst -sha256` of the same file, with the process's peak memory.

    .venv/bin/python bench/bench_intake.py --size-mb 1024
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup_django  # noqa: E402

BOUNDARY = "casework-bench-boundary"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_payload(path: Path, size_mb: int) -> None:
    """A JPEG-headed file of size_mb MiB; the rest is random bytes (only the head is sniffed)."""
    chunk = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        out.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        for _ in range(size_mb):
            out.write(chunk)


def write_multipart_body(path: Path, payload: Path) -> int:
    """The multipart/form-data body a browser would send for that one file."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    with open(path, "wb") as out, open(payload, "rb") as source:
        out.write(head)
        while chunk := source.read(1024 * 1024):
            out.write(chunk)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    workdir = setup_django()

    from django.contrib.auth import get_user_model
    from django.http.multipartparser import MultiPartParser
    from django.test import RequestFactory

    from casework.cases.models import Case
    from casework.evidence.services import media_ingest_upload
    from casework.evidence.uploads import HashingUploadHandler

    case = Case.objects.create(reference="CW-BENCH", title="Benchmark")
    user = get_user_model().objects.create(username="bench")

    file_path = workdir / "payload.jpg"
    write_payload(file_path, args.size_mb)
    size_bytes = file_path.stat().st_size
    body_path = workdir / "upload.body"
    body_size = write_multipart_body(body_path, file_path)

    # Warm the page cache for both, so neither measures the disk's read speed alone.
    subprocess.run(["cat", str(body_path), str(file_path)], stdout=subprocess.DEVNULL, check=True)
    started = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(file_path)], check=True, stdout=subprocess.DEVNULL)
    openssl_seconds = time.perf_counter() - started
    # The ceiling for anything that stores the file: copying it on the same disk, flushed.
    started = time.perf_counter()
    subprocess.run(["cp", str(file_path), str(workdir / "copy.bin")], check=True)
    os.sync()
    copy_seconds = time.perf_counter() - started
    (workdir / "copy.bin").unlink()
    os.sync()

    rss_before = peak_rss_mb()
    started = time.perf_counter()
    with open(body_path, "rb") as stream:
        meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "CONTENT_LENGTH": str(body_size)}
        handler = HashingUploadHandler(RequestFactory().post("/"))
        _post, files = MultiPartParser(meta, stream, [handler], "utf-8").parse()
        uploaded = files["files"]
        result = media_ingest_upload(uploaded=uploaded, case=case, source="witness", acquired_by=user)
        uploaded.close()
    os.sync()  # count the stored bytes reaching the disk, as the cp baseline does
    intake_seconds = time.perf_counter() - started
    rss_after = peak_rss_mb()

    assert result.created and result.item.size_bytes == size_bytes
    mb = size_bytes / 1e6
    print(f"file size:                      {mb:,.0f} MB")
    print(f"openssl dgst -sha256:           {mb / openssl_seconds:,.0f} MB/s ({openssl_seconds:.2f} s)")
    print(f"intake (multipart parse + SHA-256 + store):  {mb / intake_seconds:,.0f} MB/s ({intake_seconds:.2f} s)")
    print(f"cp + sync (storage ceiling):    {mb / copy_seconds:,.0f} MB/s ({copy_seconds:.2f} s)")
    print(f"intake / openssl:               {openssl_seconds / intake_seconds:.0%}")
    print(f"intake / cp + sync:             {copy_seconds / intake_seconds:.0%}")
    print(f"peak RSS: before {rss_before:.0f} MB, after {rss_after:.0f} MB, extra {rss_after - rss_before:.0f} MB")


if __name__ == "__main__":
    main()
