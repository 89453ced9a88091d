"""The title-and-summary vector of each sheet (PostgreSQL), with its GIN index: the search
ranks these matches first instead of reading every matching sheet's whole vector."""

from django.db import migrations

import syndesk.kb.models

# Same expression as kb.search._head_vector (title A, summary B; french, accent-free).
FILL = (
    "UPDATE kb_sheet SET search_head ="
    " setweight(to_tsvector('french', unaccent(coalesce(title, ''))), 'A')"
    " || setweight(to_tsvector('french', unaccent(coalesce(summary, ''))), 'B')"
)


def index_and_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS kb_sheet_head_gin ON kb_sheet USING gin (search_head)"
        )
        schema_editor.execute(FILL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_sheet_head_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0005_trigram_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="sheet",
            name="search_head",
            field=syndesk.kb.models.TsVectorField(editable=False, null=True),
        ),
        migrations.RunPython(index_and_fill, drop_index, elidable=False),
    ]
