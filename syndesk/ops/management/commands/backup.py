from pathlib import Path

from django.core.management.base import BaseCommand

from syndesk.ops.backup import write_backup


class Command(BaseCommand):
    help = "Write the database and the uploaded files into one tar.gz archive with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="path of the archive to write (.tar.gz)")

    def handle(self, *args, archive, **options):
        manifest = write_backup(archive)
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"{archive}: {rows} rows in {len(manifest['counts'])} tables, "
            f"{len(manifest['media'])} files"
        )
