"""One slow or idle client cannot stall the site, and an upload slower than the worker timeout finishes.

Runs the real gunicorn with the shipped gunicorn.conf.py (threaded workers), one worker (the worst case) and a
4-second worker timeout. (In docker-compose.yml nginx also buffers every request in front of it.)
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.faults.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_TIMEOUT": "4",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while b"Booting worker" not in (tmp_path / "gunicorn.log").read_bytes():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail((tmp_path / "gunicorn.log").read_text(errors="replace"))
        time.sleep(0.1)
    time.sleep(1)  # the worker imports Django
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def get(port: int, path: str = "/accounts/login/", timeout: float = 30) -> bytes:
    with closing(socket.create_connection(("127.0.0.1", port), timeout=timeout)) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_fifty_idle_connections_do_not_stall_the_site(gunicorn_server, tmp_path):
    idle = [socket.create_connection(("127.0.0.1", gunicorn_server)) for _ in range(50)]
    try:
        # A sync worker reads the first idle connection until the arbiter kills it, then the next one...
        assert get(gunicorn_server).startswith(b"HTTP/1.1 200")
        assert get(gunicorn_server).startswith(b"HTTP/1.1 200")
    finally:
        for connection in idle:
            connection.close()
    assert b"WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_bytes()


def test_an_upload_slower_than_the_worker_timeout_still_gets_its_answer(gunicorn_server, tmp_path):
    body = b"note=" + b"x" * 64 * 1024
    with closing(socket.create_connection(("127.0.0.1", gunicorn_server), timeout=30)) as connection:
        connection.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            # With a CSRF cookie the check reads the whole form looking for the token, so the body is consumed.
            b"Cookie: csrftoken=" + b"a" * 32 + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        for start in range(0, len(body), len(body) // 8):
            connection.sendall(body[start : start + len(body) // 8])
            time.sleep(1.2)  # 9.6 s in all, more than twice the worker timeout
        answer = connection.recv(65536)
    # The CSRF check read the whole form, then refused it (403); answered: the worker was not killed mid-upload.
    assert answer.startswith(b"HTTP/1.1 403")
    assert b"WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_bytes()
