"""Warn the assignee and the managers before SLA breaches; close long-resolved tickets.
Run it every few minutes (cron or the task worker; see docs/operations.md)."""

from django.core.management.base import BaseCommand

from syndesk.desk import services


class Command(BaseCommand):
    help = "Alerte avant dépassement des délais de service et clôt les demandes résolues."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-close", action="store_true", help="Ne pas clore les demandes résolues."
        )

    def handle(self, *args, no_close=False, **options):
        alerts = services.watch_sla()
        closed = 0 if no_close else services.close_resolved()
        self.stdout.write(f"alertes : {alerts}, demandes closes : {closed}")
