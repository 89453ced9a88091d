"""Read the desk's mailbox (Maildir or IMAP) and file each mail: reply, new ticket or triage."""

import mailbox

from django.core.management.base import BaseCommand, CommandError

from syndesk.desk import mail


class Command(BaseCommand):
    help = "Lit la boîte de l'assistance (Maildir ou IMAP) et classe chaque courriel."

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="Chemin d'un dossier Maildir (cur/ new/ tmp/).")
        parser.add_argument(
            "--imap", help="imaps://utilisateur:motdepasse@hote[:port]/DOSSIER (ou imap://)."
        )

    def handle(self, *args, maildir=None, imap=None, **options):
        if not maildir and not imap:
            raise CommandError("Indiquez --maildir CHEMIN ou --imap URL.")
        try:
            counts = mail.fetch_maildir(maildir) if maildir else mail.fetch_imap(imap)
        except (mailbox.Error, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "aucun courriel"
        self.stdout.write(summary)
