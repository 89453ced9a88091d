from django.core.management.base import BaseCommand

from syndesk.kb.demo import load_kb_demo


class Command(BaseCommand):
    help = "Load the demo practical sheets (about the demo catalogue's software); idempotent."

    def handle(self, *args, **options):
        counts = load_kb_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo sheets: {counts['sheets']} created, "
                f"{counts['software']} demo software found."
            )
        )
