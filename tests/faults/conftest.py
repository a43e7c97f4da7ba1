"""A private Redis server each fault test may stop, freeze or restart (never the machine's shared one)."""

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings

from casework.celery import app as celery_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @contextmanager
    def frozen(self):
        """Redis accepts connections (the kernel does) but never answers: SIGSTOP, as a hung server."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def queued_messages(self, queue: str) -> int:
        return self.client().llen(queue)


def point_celery_at(url: str | None, options: dict | None) -> None:
    """Send this process's tasks through `url` (None: back to the settings' broker)."""
    celery_app.conf.broker_url = url or settings.CELERY_BROKER_URL
    celery_app.conf.broker_transport_options = options or settings.CELERY_BROKER_TRANSPORT_OPTIONS
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_broker(private_redis, settings, monkeypatch):
    """This process sends tasks to the private Redis, with the timeouts the settings give a Redis broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (as CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    point_celery_at(private_redis.url, settings.CASEWORK_REDIS_TRANSPORT_OPTIONS)
    try:
        yield private_redis
    finally:
        point_celery_at(None, None)
