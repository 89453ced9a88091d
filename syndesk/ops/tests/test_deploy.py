"""Production settings: `manage.py check --deploy` is clean with the documented environment,
and the Redis task backend loads on Django's own task framework."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "Zq8#vR2!mW9@xL4$pN7%tB1^" * 3,
    "SYNDESK_REQUIRE_SECRET_KEY": "true",
    "ALLOWED_HOSTS": "assistance.example.fr",
    "CSRF_TRUSTED_ORIGINS": "https://assistance.example.fr",
    "SITE_URL": "https://assistance.example.fr",
    "SECURE_PROXY_SSL_HEADER": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_COOKIES": "true",
    "LOG_FORMAT": "json",
    "EMAIL_URL": "submission://assistance:secret@smtp.example.fr:587",
}


def _manage(tmp_path, *args, **env):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"  # set by the test runner only
        and not key.startswith(("SECURE_", "DATABASE_", "TASKS_", "DJANGO_SETTINGS"))
    }
    environ.update({"SYNDESK_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_the_production_environment(tmp_path):
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_warn_on_the_embedded_defaults(tmp_path):
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS: the checks do run


def test_the_redis_task_backend_passes_the_checks(tmp_path):
    result = _manage(
        tmp_path,
        "check",
        TASKS_BACKEND="django_tasks_rq.RQBackend",
        TASKS_REDIS_URL="redis://127.0.0.1:6379/15",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_redis_task_backend_needs_its_url(tmp_path):
    result = _manage(tmp_path, "check", TASKS_BACKEND="django_tasks_rq.RQBackend", REDIS_URL="")
    assert result.returncode != 0
    assert "TASKS_REDIS_URL" in result.stderr


@pytest.mark.parametrize("value", ["xml", "JSON "])
def test_an_unknown_log_format_stops_the_start(tmp_path, value):
    result = _manage(tmp_path, "check", LOG_FORMAT=value)
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
