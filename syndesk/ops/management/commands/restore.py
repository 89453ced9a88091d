from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from syndesk.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an empty, migrated installation "
        "(--force replaces the data of a non-empty one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="delete this installation's data first"
        )

    def handle(self, *args, archive, force=False, **options):
        if not archive.exists():
            raise CommandError(f"{archive}: no such file")
        try:
            manifest = restore_backup(archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"{archive}: {rows} rows and {len(manifest['media'])} files restored "
            f"(written {manifest['created_at']} on {manifest['database']})"
        )
