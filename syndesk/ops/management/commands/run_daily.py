"""The daily run (cron or systemd timer, once a day; see docs/operations.md)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from syndesk.ops.jobs import run_daily


class Command(BaseCommand):
    help = (
        "Daily work: quote expiry, subscription ends, renewal and termination notices, SLA "
        "alerts, auto-close, retention purges (and the other apps' daily jobs). Idempotent; "
        "exits non-zero when a job failed (the others still run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="the day to run (YYYY-MM-DD)")
        parser.add_argument(
            "--dry-run", action="store_true", help="run every job, then roll it back"
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        report = run_daily(today=date or timezone.localdate(), dry_run=dry_run)
        self.stdout.write(report.as_text())
        if not report.ok:
            failed = ", ".join(job.code for job in report.jobs if not job.ok)
            raise CommandError(f"failed: {failed}")
