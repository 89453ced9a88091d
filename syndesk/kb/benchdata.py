"""Benchmark data: published practical sheets in bulk, indexed for search
(``manage.py generate_bench_data``; never imported by the application)."""

import random

from django.utils import timezone

from syndesk.kb import search
from syndesk.kb.models import Sheet

TOPICS = [
    ("Rejet d'un bordereau de mandats", "trésorerie bordereau mandat rejet Hélios PES"),
    ("Déclaration sociale nominative", "DSN paie net-entreprises taux anomalie"),
    ("Transmission d'un acte", "@ctes S²LOW préfecture acte transmission"),
    ("Inscription sur les listes électorales", "REU ELIRE électeur inscription"),
    ("Sauvegarde et restauration", "sauvegarde restauration données poste"),
    ("Préparation du budget", "budget impression maquette M57"),
]
VISIBILITY = [Sheet.Visibility.PUBLIC] * 3 + [Sheet.Visibility.MEMBERS]


def generate(count: int, software: list) -> int:
    rng = random.Random(10_000)  # noqa: S311 - benchmark data
    now = timezone.now()
    sheets = []
    for i in range(count):
        title, words = TOPICS[i % len(TOPICS)]
        sheets.append(
            Sheet(
                title=f"{title} — cas {i}",
                slug=f"fiche-{i}",
                summary=f"Comment traiter le cas {i} : {words}.",
                body=(
                    f"## Contexte\n\n{words} ({i}).\n\n## Marche à suivre\n\n"
                    "1. Ouvrez le module concerné.\n2. Vérifiez les paramètres.\n"
                    "3. Relancez le traitement.\n"
                ),
                visibility=rng.choice(VISIBILITY),
                status=Sheet.Status.PUBLISHED,
                published_at=now,
            )
        )
    Sheet.objects.bulk_create(sheets, batch_size=1000)
    through = Sheet.software.through
    if software:
        through.objects.bulk_create(
            (
                through(sheet_id=pk, software_id=software[n % len(software)].pk)
                for n, pk in enumerate(Sheet.objects.values_list("pk", flat=True))
            ),
            batch_size=2000,
        )
    for sheet in Sheet.objects.all().iterator(chunk_size=1000):
        search.index_sheet(sheet)
    return count
