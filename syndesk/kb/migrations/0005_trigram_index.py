"""A trigram GIN index for the typo-tolerant fallback (kb.fuzzy) on PostgreSQL: over the
accent-free, lower-case title and summary. unaccent() is only STABLE, so an IMMUTABLE
wrapper (kb_unaccent, with its dictionary named) makes the expression indexable. A no-op on
SQLite, whose fallback works in Python."""

from django.db import migrations

CREATE = [
    "CREATE OR REPLACE FUNCTION kb_unaccent(text) RETURNS text AS"
    " $$ SELECT unaccent('unaccent'::regdictionary, $1) $$"
    " LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT",
    "CREATE INDEX IF NOT EXISTS kb_sheet_trgm ON kb_sheet"
    " USING gin (kb_unaccent(lower(title || ' ' || summary)) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS kb_sheet_trgm",
    "DROP FUNCTION IF EXISTS kb_unaccent(text)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("kb", "0004_ticket_links_votes_trigram")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
