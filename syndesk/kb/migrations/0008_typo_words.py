"""The typo fallback's vocabulary on PostgreSQL (kb.fuzzy): the distinct words of the
titles and summaries with a trigram GIN index, and which sheets hold each word. Filled here
from the existing sheets; kb.search.index_sheet keeps it. Tables only on SQLite, whose
fallback builds the same vocabulary in Python."""

import django.db.models.deletion
from django.db import migrations, models


def index_and_fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from syndesk.kb.search import vocabulary_words

    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS kb_typoword_trgm ON kb_typoword USING gin (word gin_trgm_ops)"
    )
    Sheet = apps.get_model("kb", "Sheet")
    rows = Sheet.objects.values_list("pk", "title", "summary").iterator(chunk_size=2000)
    with schema_editor.connection.cursor() as cursor:
        for pk, title, summary in rows:
            found = sorted(vocabulary_words(f"{title} {summary}"))
            cursor.execute(
                "INSERT INTO kb_sheetword (sheet_id, word) SELECT %s, unnest(%s::text[])",
                [pk, found],
            )
        cursor.execute(
            "INSERT INTO kb_typoword (word) SELECT DISTINCT word FROM kb_sheetword"
            " ON CONFLICT DO NOTHING"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_typoword_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0007_sheet_updated_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TypoWord",
            fields=[
                ("word", models.CharField(max_length=100, primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name="SheetWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=100)),
                (
                    "sheet",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="kb.sheet",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["word", "sheet"], name="kb_sheetword_word")],
                "constraints": [
                    models.UniqueConstraint(fields=("sheet", "word"), name="kb_sheetword_unique")
                ],
            },
        ),
        migrations.RunPython(index_and_fill, drop_index, elidable=False),
    ]
