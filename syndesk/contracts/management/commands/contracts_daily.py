from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from syndesk.contracts import services


class Command(BaseCommand):
    help = (
        "Daily contract jobs: expire quotes past their validity, end subscriptions past "
        "their last day. Run it once a day (cron or systemd timer), or use --enqueue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="today (YYYY-MM-DD)")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the job for the task worker instead of running it",
        )

    def handle(self, *args, date=None, enqueue=False, **options):
        if enqueue:
            from syndesk.contracts.tasks import run_daily_contract_jobs

            result = run_daily_contract_jobs.enqueue()
            self.stdout.write(f"Queued {result.id}")
            return
        today = date or timezone.localdate()
        expired = services.expire_quotes(today=today)
        ended = services.end_subscriptions(today=today)
        self.stdout.write(f"{today}: {expired} quote(s) expired, {ended} subscription(s) ended.")
