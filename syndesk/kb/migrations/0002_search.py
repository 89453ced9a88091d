"""Full-text search: PostgreSQL's unaccent extension (a no-op elsewhere: CreateExtension
checks the vendor), and SQLite's FTS5 table that the services keep in sync."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_sheet_fts USING fts5("
    "title, summary, body, tokenize = 'unicode61 remove_diacritics 2')"
)


def create_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(FTS_CREATE)


def drop_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS kb_sheet_fts")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_fts, drop_fts, elidable=False),
    ]
