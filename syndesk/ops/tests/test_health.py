import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from syndesk.ops import health
from syndesk.ops.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_health_is_ok_without_signing_in(client, db_queue):
    response = client.get("/sante/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert {"database", "cache", "migrations", "tasks"} <= set(data)
    assert data["migrations"]["pending"] == 0


def test_health_shows_no_secret(client, settings, db_queue):
    body = client.get("/sante/").content.decode()
    for secret in (settings.SECRET_KEY, str(settings.DATABASES["default"]["NAME"])):
        assert secret not in body


def test_an_old_backlog_means_no_worker_runs(client, make_result, settings):
    settings.HEALTH_TASK_BACKLOG_MAX_AGE = 60
    row = make_result("READY")
    type(row).objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["tasks"]["oldest_ready_age_s"] >= 300


def test_a_deferred_retry_is_not_a_backlog(client, make_result, settings):
    settings.HEALTH_TASK_BACKLOG_MAX_AGE = 60
    row = make_result("READY", run_after=timezone.now() + timedelta(hours=1))
    type(row).objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=5))
    assert client.get("/sante/").status_code == 200


def test_a_failing_check_gives_503_and_only_the_error_kind(client, monkeypatch, db_queue):
    def down():
        raise OSError("connection refused to 10.0.0.7:6379 password=hunter2")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["cache"] == {"status": "error", "error": "OSError"}
    assert "hunter2" not in response.content.decode()


def test_responses_carry_a_request_id_and_the_server_time(client):
    response = client.get("/sante/", headers={"X-Request-ID": "lb-1234abcd"})
    assert response["X-Request-ID"] == "lb-1234abcd"
    assert response["Server-Timing"].startswith("app;dur=")
    assert ", cpu;dur=" in response["Server-Timing"]
    forged = client.get("/sante/", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(forged["X-Request-ID"]) == 32


def test_json_logs_are_one_object_per_line():
    record = logging.makeLogRecord(
        {
            "name": "syndesk.request",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "GET /x 200",
            "path": "/x",
            "status": 200,
            "user_id": 7,
            "duration_ms": 3.2,
        }
    )
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert (data["path"], data["status"], data["user_id"]) == ("/x", 200, 7)
    assert (data["request_id"], data["level"]) == ("-", "INFO")


def test_requests_are_logged_with_the_user_when_asked(client, settings, caplog, agent):
    settings.LOG_REQUESTS = True
    client.force_login(agent)
    with caplog.at_level(logging.INFO, logger="syndesk.request"):
        client.get("/gestion/")
    records = [r for r in caplog.records if r.name == "syndesk.request"]
    assert records
    assert (records[-1].user_id, records[-1].status) == (agent.pk, 200)
    assert records[-1].path == "/gestion/"
