from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from syndesk.inventory.services import inventory_reminders


class Command(BaseCommand):
    help = (
        "Remind members of declarations waiting for their details (every "
        "INVENTORY_REMINDER_DAYS days, at most INVENTORY_REMINDER_MAX times). Daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="replay a given day (YYYY-MM-DD)")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        sent = inventory_reminders(today or timezone.localdate())
        self.stdout.write(f"{sent} reminder(s) sent.")
