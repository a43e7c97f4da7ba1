"""Settings come from the environment; production settings pass Django's deployment checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 10 + "production-secret-key-with-enough-entropy-5f1c9a0e7b3d2-" + "x" * 10,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BUNDLE_SIGNING_KEY": "c2lnbmluZy1rZXktZm9yLXRoZS1kZXBsb3ktY2hlY2shIQ==",
    "ALLOWED_HOSTS": "casework.example.org",
    "DATABASE_URL": "sqlite:////tmp/casework-deploy-check.sqlite3",
}


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = run_manage("check", env={**env, "HOME": str(tmp_path), "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_and_broker_come_from_the_environment(tmp_path):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casework.settings'); django.setup();"
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE']);"
        "print(s.DATABASES['default']['NAME']); print(s.CELERY_BROKER_URL)"
    )
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://someone@db.internal:5433/evidence",
        "CELERY_BROKER_URL": "redis://cache.internal:6380/2",
    }
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME")}
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert output == ["django.db.backends.postgresql", "evidence", "redis://cache.internal:6380/2"]


def database_connection_settings(env: dict[str, str]) -> list[str]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casework.settings'); django.setup();"
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env={**base, **env}, capture_output=True, text=True, check=True
    ).stdout.split()


def test_database_connections_are_kept_between_requests_only_when_configured():
    assert database_connection_settings(PRODUCTION_ENV) == ["0", "False"]
    kept = database_connection_settings({**PRODUCTION_ENV, "DATABASE_CONN_MAX_AGE": "60"})
    assert kept == ["60", "True"]  # checked before reuse: a restarted database costs no failed request


def test_without_servers_the_defaults_need_none():
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casework.settings'); django.setup();"
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE']); print(s.CELERY_BROKER_URL)"
    )
    env = {
        "DEBUG": "true",
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert output == ["django.db.backends.sqlite3", "filesystem://"]


def test_celery_reliability_settings():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT


def redis_settings_and_task_limits(extra_env: dict[str, str] | None = None) -> dict:
    """The broker's visibility timeout with a Redis URL, and the hard time limit of every registered task."""
    code = (
        "import django, json, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casework.settings')\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        "from casework.celery import app\n"
        "app.loader.import_default_modules()\n"
        "limits = {name: task.time_limit for name, task in app.tasks.items() if name.startswith('casework.')}\n"
        "print(json.dumps({'visibility_timeout': s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],\n"
        "                  'default_limit': s.CELERY_TASK_TIME_LIMIT, 'limits': limits}))"
    )
    env = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME")},
        **PRODUCTION_ENV,
        "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
        **(extra_env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_redis_visibility_timeout_outlasts_every_task_time_limit_by_a_margin():
    # A task acknowledges when it ends: were the timeout shorter than a running task, Redis would hand it to a
    # second worker (a packet built twice, or worse, half-way through).
    found = redis_settings_and_task_limits()
    limits = {name: limit or found["default_limit"] for name, limit in found["limits"].items()}
    assert {"casework.bundles.tasks.bundle_build_task", "casework.evidence.tasks.media_process_task"} <= set(limits)
    longest = max(limits.values())
    assert longest == settings.CASEWORK_LONGEST_TASK_TIME_LIMIT, "update CASEWORK_LONGEST_TASK_TIME_LIMIT"
    assert found["visibility_timeout"] >= longest + 10 * 60


def test_visibility_timeout_follows_a_longer_default_time_limit():
    found = redis_settings_and_task_limits({"CELERY_TASK_TIME_LIMIT": str(5 * 60 * 60)})
    assert found["visibility_timeout"] >= 5 * 60 * 60 + 10 * 60


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI runs on PostgreSQL and Redis; local runs need neither")
def test_ci_runs_on_real_postgresql_and_redis():
    import redis

    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping() is True
