from django.core.management.base import BaseCommand

from syndesk.members.demo import DEMO_PASSWORD, demo_accounts


class Command(BaseCommand):
    help = "Print the demo accounts and their password."

    def handle(self, *args, **options):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        for account in demo_accounts():
            self.stdout.write(f"  {account.email:<36} {account.label}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ and sign in with one of them.\n")
