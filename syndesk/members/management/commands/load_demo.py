from django.core.management.base import BaseCommand

from syndesk.members.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data (member organisations of the Manche, users); idempotent."

    def handle(self, *args, **options):
        counts = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {counts['members']} members, {counts['users']} users."
            )
        )
