import sys
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from syndesk.billing import services


class ProgressBar:
    """A one-line progress bar on stderr, silent when stderr is not a terminal (cron)."""

    def __init__(self, label: str, stream=None, width: int = 40):
        self.label, self.width = label, width
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Invoicing run: draft one invoice for every subscription period started by the date "
        "(idempotent; rerun it after an interruption). --issue then issues the drafts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="as of (YYYY-MM-DD)")
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="ignore periods starting before this date (invoiced by the previous system)",
        )
        parser.add_argument("--issue", action="store_true", help="issue the drafts afterwards")

    def handle(self, *args, date=None, since=None, issue=False, **options):
        as_of = date or timezone.localdate()
        report = services.run_invoicing(
            as_of=as_of, since=since, progress=ProgressBar("Facturation")
        )
        self.stdout.write(
            f"{as_of}: {len(report.created)} invoice(s) drafted, "
            f"{report.existing} already there, {len(report.errors)} error(s), "
            f"{len(report.credit_notes)} credit note(s)."
        )
        for subscription, message in report.errors:
            self.stderr.write(f"{subscription.member}: {message}")
        if issue:
            issued = services.issue_drafts(
                issued_by=None, issue_date=as_of, progress=ProgressBar("Émission")
            )
            self.stdout.write(
                f"{len(issued.issued)} invoice(s) issued, {len(issued.errors)} refused."
            )
            for invoice, message in issued.errors:
                self.stderr.write(f"{invoice.member}: {message}")
