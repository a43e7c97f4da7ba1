"""Intake throughput: a large upload through Django's multipart parser and the intake service, and the same
file through the resumable (tus) endpoint in pieces, against `openssl dgst -sha256` of the same file: wall time,
CPU seconds per GB (user + system), and the process's peak memory.

    .venv/bin/python bench/bench_intake.py --size-mb 1024 [--piece-mb 8]

The resumable path goes through the whole Django stack (WSGI handler, middleware, token authentication, the
view) with each PATCH body streamed from the file, as a server reads it from the socket. It runs in one process
(the running SHA-256 is kept between pieces, so every byte is hashed once); interrupted at 60% with the process's
memory of the hash lost (a restart, or the next piece served by another process), and with every piece in
another process: those continue from the hash state saved beside the upload (resumable.py), and where none can
be used the completion reads the whole file once to hash it ("read back" in the output).

The server keeps its database connection between requests, as the deployed web service does
(DATABASE_CONN_MAX_AGE=60 in docker-compose.yml); `DATABASE_CONN_MAX_AGE=0` measures a new one per request.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup_django  # noqa: E402

BOUNDARY = "casework-bench-boundary"


def cpu_seconds(who=resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


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
    parser.add_argument(
        "--piece-mb", type=int, nargs="+", default=[8, 64], help="MiB per PATCH (the page's client sends 8)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")  # as docker-compose.yml's web service
    workdir = setup_django()
    try:
        measure(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # several GB: the file, its copies and the stored originals


def measure(args: argparse.Namespace, workdir: Path) -> None:
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
    started, cpu_started = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run(["openssl", "dgst", "-sha256", str(file_path)], check=True, stdout=subprocess.DEVNULL)
    openssl_seconds = time.perf_counter() - started
    openssl_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_started
    # The ceiling for anything that stores the file: copying it on the same disk, flushed.
    started, cpu_started = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run(["cp", str(file_path), str(workdir / "copy.bin")], check=True)
    copy_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_started
    os.sync()
    copy_seconds = time.perf_counter() - started
    (workdir / "copy.bin").unlink()
    os.sync()

    def multipart_intake(body: Path, length: int, into: Case):
        with open(body, "rb") as stream:
            meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "CONTENT_LENGTH": str(length)}
            handler = HashingUploadHandler(RequestFactory().post("/"))
            _post, files = MultiPartParser(meta, stream, [handler], "utf-8").parse()
            uploaded = files["files"]
            result = media_ingest_upload(uploaded=uploaded, case=into, source="witness", acquired_by=user)
            uploaded.close()
        return result

    # A server process has loaded its code and URLs before the upload that matters: one small file through each
    # path first (about 1 s of CPU for the first request through the whole Django stack), not counted.
    warm_up = workdir / "warm-up.jpg"
    write_payload(warm_up, 1)
    warm_up_body = workdir / "warm-up.body"
    multipart_intake(warm_up_body, write_multipart_body(warm_up_body, warm_up), Case.objects.create(reference="CW-W"))
    run_resumable(warm_up, 256 * 1024, lose_hash_at=None)

    rss_before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    result = multipart_intake(body_path, body_size, case)
    multipart_cpu = cpu_seconds() - cpu_started
    os.sync()  # count the stored bytes reaching the disk, as the cp baseline does
    intake_seconds = time.perf_counter() - started
    rss_after = peak_rss_mb()
    assert result.created and result.item.size_bytes == size_bytes
    body_path.unlink()

    resumable = {}
    runs = [(f"{piece} MiB pieces, one process", piece, None) for piece in args.piece_mb]
    runs.append((f"{args.piece_mb[0]} MiB pieces, hash lost at 60%", args.piece_mb[0], 0.6))
    # Several server processes (gunicorn's workers) take the pieces: each finds its running hash behind.
    runs.append((f"{args.piece_mb[0]} MiB pieces, each in another process", args.piece_mb[0], "every piece"))
    for label, piece, lose_hash_at in runs:
        resumable[label] = run_resumable(file_path, piece * 1024 * 1024, lose_hash_at=lose_hash_at)

    mb = size_bytes / 1e6
    gb = size_bytes / 1e9
    print(f"file size:                      {mb:,.0f} MB")
    print(f"openssl dgst -sha256:           {mb / openssl_seconds:,.0f} MB/s ({openssl_seconds:.2f} s)")
    print(f"intake (multipart parse + SHA-256 + store):  {mb / intake_seconds:,.0f} MB/s ({intake_seconds:.2f} s)")
    print(f"cp + sync (storage ceiling):    {mb / copy_seconds:,.0f} MB/s ({copy_seconds:.2f} s)")
    print(f"intake / openssl:               {openssl_seconds / intake_seconds:.0%}")
    print(f"intake / cp + sync:             {copy_seconds / intake_seconds:.0%}")
    print(f"peak RSS: before {rss_before:.0f} MB, after {rss_after:.0f} MB, extra {rss_after - rss_before:.0f} MB")
    for label, (seconds, _cpu, reread) in resumable.items():
        print(f"resumable, {label}: {mb / seconds:,.0f} MB/s ({seconds:.2f} s), read back: {reread / 1e6:,.0f} MB")
    print()
    # Anything that stores the file pays for writing it (cp); what a path costs beyond that is its own.
    # The goal (issue 16) is the total against openssl. cp is what copying the bytes through the page cache costs
    # here; the upload paths write past it (O_DIRECT), so they can cost less than cp.
    print("CPU seconds per GB (user + system, this run)      total   x openssl   x cp")
    print(f"  openssl dgst -sha256 (read + hash):            {openssl_cpu / gb:5.2f}")
    print(f"  cp (read + write through the page cache):      {copy_cpu / gb:5.2f}")
    paths = {"multipart (parse + hash + store)": multipart_cpu} | {
        f"resumable, {label}": cpu for label, (_seconds, cpu, _reread) in resumable.items()
    }
    for label, cpu in paths.items():
        print(f"  {label + ':':<46} {cpu / gb:5.2f}   {cpu / openssl_cpu:5.1f}x   {cpu / copy_cpu:5.1f}x")


def run_resumable(file_path: Path, piece_bytes: int, *, lose_hash_at: float | str | None) -> tuple[float, float, int]:
    """Upload `file_path` through the tus endpoint, each PATCH body read straight from the file. Each run uses a
    new case, so the file is stored again rather than linked as a duplicate. `lose_hash_at`: the share of the file
    after which the running hash is lost once, or "every piece" (each piece served by another process).
    Returns (wall s, CPU s, bytes the completion read back from the stored file to hash them)."""
    import base64
    import io

    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler

    from casework.cases.models import Case, CaseMembership
    from casework.evidence import resumable
    from casework.evidence.models import MediaItem
    from casework.web.models import ApiToken

    run = Case.objects.count()
    case = Case.objects.create(reference=f"CW-TUS{run}", title="Benchmark, resumable")
    user = get_user_model().objects.create(username=f"bench-tus-{run}")
    CaseMembership.objects.create(case=case, user=user, role="intake")
    _token, token_text = ApiToken.objects.create(user=user)
    application = WSGIHandler()
    size = file_path.stat().st_size

    def call(method: str, path: str, body=None, length: int = 0, **headers) -> tuple[str, dict]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "wsgi.url_scheme": "http",
            "wsgi.input": body or io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(length),
            "HTTP_AUTHORIZATION": f"Token {token_text}",
            "HTTP_TUS_RESUMABLE": "1.0.0",
            **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
        }
        if method == "PATCH":
            environ["CONTENT_TYPE"] = "application/offset+octet-stream"
        answer = {}
        response = application(environ, lambda status, response_headers: answer.update(response_headers))
        b"".join(response)
        response.close()
        return str(response.status_code), answer

    metadata = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in {"filename": "big.jpg", "source": "witness"}.items()
    )
    reread_before = resumable.rehashed_bytes
    started, cpu_started = time.perf_counter(), cpu_seconds()
    status, headers = call(
        "POST", f"/api/cases/{case.reference}/uploads/", Upload_Length=str(size), Upload_Metadata=metadata
    )
    assert status == "201", status
    location = headers["Location"].removeprefix("http://localhost")
    offset = 0
    with open(file_path, "rb") as source:
        while offset < size:
            if lose_hash_at == "every piece" and offset:
                resumable._running.clear()
            elif isinstance(lose_hash_at, float) and offset >= size * lose_hash_at:
                resumable._running.clear()
                lose_hash_at = None
                status, headers = call("HEAD", location)
                assert int(headers["Upload-Offset"]) == offset
            source.seek(offset)
            status, headers = call(
                "PATCH", location, source, min(piece_bytes, size - offset), Upload_Offset=str(offset)
            )
            assert status == "204", status
            offset = int(headers["Upload-Offset"])
    cpu = cpu_seconds() - cpu_started
    os.sync()
    seconds = time.perf_counter() - started
    item = MediaItem.objects.get(case=case)
    assert item.size_bytes == size
    return seconds, cpu, resumable.rehashed_bytes - reread_before


if __name__ == "__main__":
    main()
