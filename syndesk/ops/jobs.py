"""The daily run: every scheduled job of every app, called through the apps' own services.

Each job runs in its own transaction: a failing job is rolled back and reported, and the
others still run. A dry run runs every job the same way and rolls each one back, so that
nothing is saved and no mail leaves (mail is queued on commit only)."""

import dataclasses
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from syndesk.contracts import services as contracts
from syndesk.core.audit import log_action
from syndesk.desk import services as desk

from .notices import send_contract_notices
from .retention import purge_expired_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    code: str
    run: Callable[[date, datetime], dict[str, int]]
    # False for a job that commits item by item itself (the invoicing run: one long
    # transaction would hold the SQLite write lock for its whole duration). A dry run wraps
    # every job anyway, to roll it back.
    atomic: bool = True


@dataclass
class JobReport:
    code: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class DailyReport:
    today: date
    dry_run: bool
    jobs: list[JobReport]

    @property
    def ok(self) -> bool:
        return all(job.ok for job in self.jobs)

    def as_data(self) -> dict:
        return {
            "date": self.today.isoformat(),
            "dry_run": self.dry_run,
            "jobs": {
                job.code: {"counts": job.counts, **({"error": job.error} if job.error else {})}
                for job in self.jobs
            },
        }

    def as_text(self) -> str:
        lines = [f"{self.today.isoformat()}{' (dry run)' if self.dry_run else ''}"]
        for job in self.jobs:
            if job.ok:
                counts = ", ".join(f"{k}={v}" for k, v in job.counts.items()) or "-"
                lines.append(f"  {job.code}: ok ({counts})")
            else:
                lines.append(f"  {job.code}: FAILED: {job.error}")
        return "\n".join(lines)


def _quotes(today: date, now: datetime) -> dict[str, int]:
    return {"quotes_expired": contracts.expire_quotes(today=today)}


def _subscriptions(today: date, now: datetime) -> dict[str, int]:
    return {"subscriptions_ended": contracts.end_subscriptions(today=today)}


def _notices(today: date, now: datetime) -> dict[str, int]:
    return send_contract_notices(today=today)


def _sla(today: date, now: datetime) -> dict[str, int]:
    return {"alerts_sent": desk.watch_sla(now=now)}


def _auto_close(today: date, now: datetime) -> dict[str, int]:
    return {"tickets_closed": desk.close_resolved(at=now)}


def _retention(today: date, now: datetime) -> dict[str, int]:
    return purge_expired_data(today=today)


def _billing(today: date, now: datetime) -> dict[str, int]:
    from syndesk.billing.services import daily_billing

    return daily_billing(today)


def _remote(today: date, now: datetime) -> dict[str, int]:
    from syndesk.remote.services import remote_watch

    return remote_watch(now)


def _inventory(today: date, now: datetime) -> dict[str, int]:
    from syndesk.inventory.services import inventory_reminders

    return {"reminders_sent": inventory_reminders(today)}


def _count(result) -> dict[str, int]:
    """Other apps' jobs return a dict of counts, a dataclass of counts or a single count."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if isinstance(result, dict):
        return {str(k): v for k, v in result.items()}
    return {"count": int(result or 0)}


def default_jobs() -> list[Job]:
    """Every daily job, in the order they run (contracts before billing, so that the
    invoicing run sees today's subscriptions)."""
    return [
        Job("contracts.quotes", _quotes),
        Job("contracts.subscriptions", _subscriptions),
        Job("contracts.notices", _notices),
        Job("billing.daily", _billing, atomic=False),
        Job("desk.sla", _sla),
        Job("desk.auto_close", _auto_close),
        Job("remote.watch", _remote),
        Job("inventory.reminders", _inventory),
        Job("ops.retention", _retention),
    ]


def moment_of(today: date) -> datetime:
    """The instant the run stands for: now for today, the end of the day for a replay."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(today, time(23, 59, 59)))


class _DryRun(Exception):
    pass


def run_daily(*, today: date, dry_run: bool = False, jobs: list[Job] | None = None) -> DailyReport:
    """Run every daily job for `today`; report what each did. Idempotent: each job only
    acts on what is due and not yet done, so running twice does nothing the second time."""
    now = moment_of(today)
    reports = []
    for job in jobs if jobs is not None else default_jobs():
        report = JobReport(job.code)
        try:
            with transaction.atomic() if job.atomic or dry_run else nullcontext():
                report.counts = _count(job.run(today, now))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except Exception as exc:  # one job's failure must not stop the others
            logger.exception("daily job %s failed", job.code)
            report.error = f"{type(exc).__name__}: {exc}"
            report.counts = {}
        reports.append(report)
    daily = DailyReport(today=today, dry_run=dry_run, jobs=reports)
    log_action("ops.daily.run", data=daily.as_data())
    return daily
