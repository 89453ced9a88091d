"""The health report behind /sante/: can this instance serve requests? Only states, counts
and ages: no versions of components, no hosts, no settings."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from .taskqueue import queue_state


def _database() -> dict:
    started = time.perf_counter()
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _cache() -> dict:
    key = "syndesk:health"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        return {"status": "error"}
    return {"status": "ok"}


def _migrations() -> dict:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {"status": "ok" if not pending else "error", "pending": len(pending)}


def _tasks() -> dict:
    state = queue_state()
    if state is None:
        return {"status": "ok", "backend": "external"}
    age = state.oldest_ready_age()
    limit = settings.HEALTH_TASK_BACKLOG_MAX_AGE
    return {
        "status": "ok" if age is None or age <= limit else "error",
        "ready": state.ready,
        "running": state.running,
        "failed": state.failed,
        "oldest_ready_age_s": None if age is None else round(age),
    }


CHECKS = {"database": _database, "cache": _cache, "migrations": _migrations, "tasks": _tasks}


def check() -> dict:
    """Run every check; the overall status is "ok" only when each one is."""
    report: dict = {}
    for name, func in CHECKS.items():
        try:
            report[name] = func()
        except Exception as exc:  # report the kind of failure, never its details
            report[name] = {"status": "error", "error": type(exc).__name__}
    report["status"] = "ok" if all(r["status"] == "ok" for r in report.values()) else "error"
    return report
