from django.core.management.base import BaseCommand

from syndesk.news.demo import load_news_demo


class Command(BaseCommand):
    help = "Load the demo notices (news, versions, interruptions, maintenance); idempotent."

    def handle(self, *args, **options):
        counts = load_news_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo notices: {counts['notices']} created, {counts['versions']} version "
                f"notices, {counts['software']} demo software found."
            )
        )
