"""The remote-maintenance watch: expire unanswered requests, flag lost presence (and warn the
agent), close sessions open too long as abandoned. Run it every minute (cron; see
docs/operations.md)."""

from django.core.management.base import BaseCommand

from syndesk.remote import services


class Command(BaseCommand):
    help = (
        "Télémaintenance : expire les demandes sans réponse, signale les présences perdues, "
        "ferme les sessions abandonnées. À lancer chaque minute."
    )

    def handle(self, *args, **options):
        result = services.remote_watch()
        self.stdout.write(
            f"expirées : {result.expired}, présences perdues : {result.presence_lost}, "
            f"abandonnées : {result.abandoned}"
        )
