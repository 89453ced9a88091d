"""Benchmark of the practical-sheet search with 10,000 sheets (issue 8: a search answers in
at most 50 ms p95 on SQLite and PostgreSQL).

Run:
    .venv/bin/python bench/bench_search.py                    # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syndesk_search \\
        .venv/bin/python bench/bench_search.py                # throwaway <name>_bench database
Options: --sheets 10000 --requests 50 --keep (keep the database: a second run with the same
--db reuses it) --db PATH-or-NAME --explain (plan of each query type's slowest query).

What it does:
1. builds a throwaway database (all migrations) with 40 software and 10,000 French sheets
   whose text is recombined from the demo sheets (their sentences and words), the demo
   catalogue's software names and descriptions, and a few hundred support-desk phrases —
   varied vocabulary with a long tail, not one repeated text; 70 % public, 20 % for
   members, 10 % staff only; 90 % published; each linked to one to three software and
   tags. The sheets are inserted in bulk and indexed as the services index them (FTS5 rows
   on SQLite, the stored tsvector on PostgreSQL);
2. times N requests of each query of a fixed set, grouped by type (one word, two words,
   accents, typo, operators and quotes, no result), through ``django.test.Client`` (the
   whole middleware stack, no network) on the staff sheet list (every sheet) and the public
   list (published public sheets, anonymous visitor), after two warm-up requests;
3. prints p50/p95 in milliseconds of wall-clock and of this thread's CPU time per query
   type and page, the SQL queries per request and the number of results, and the load
   average at the end (the machine is shared: read the CPU columns beside the wall clock).
Figures are recorded in docs/performance.md.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--sheets", type=int, default=10_000)
parser.add_argument("--requests", type=int, default=50)
parser.add_argument("--db", default="", help="SQLite file or PostgreSQL database name")
parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
parser.add_argument("--explain", action="store_true", help="print the slowest query plans")
ARGS = parser.parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
if POSTGRES:
    parts = urlsplit(DATABASE_URL)
    BASE_NAME = parts.path.lstrip("/") or "postgres"
    BENCH_NAME = ARGS.db or f"{BASE_NAME}_bench"
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_NAME}"))
else:
    TMP = tempfile.mkdtemp(prefix="syndesk-bench-search-")
    os.environ["SYNDESK_VAR_DIR"] = TMP
    SQLITE_PATH = Path(ARGS.db) if ARGS.db else Path(TMP) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH.resolve()}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
os.environ["DEBUG"] = "0"


def _admin_url() -> str:
    return urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))


def _create_postgres_database() -> bool:
    """Create the bench database beside DATABASE_URL's; False when it exists (reuse)."""
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_NAME]
        ).fetchone()
        if exists and not ARGS.keep:
            conn.execute(f'DROP DATABASE "{BENCH_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_NAME}"')
            return True
    return False


def _drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')


FRESH = _create_postgres_database() if POSTGRES else not SQLITE_PATH.exists()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from syndesk.catalog.demo import SOFTWARE as DEMO_SOFTWARE  # noqa: E402
from syndesk.catalog.models import Software  # noqa: E402
from syndesk.core import roles  # noqa: E402
from syndesk.kb import search  # noqa: E402
from syndesk.kb.demo import SHEETS as DEMO_SHEETS  # noqa: E402
from syndesk.kb.models import Sheet, Tag  # noqa: E402

SEED = 10_000

#: The fixed queries, by type. Words of the demo sheets and the catalogue, so that they
#: match a realistic share of the sheets (a few, hundreds, thousands).
QUERIES = {
    "one word": ["paie", "télétransmission", "bordereau", "imprimante", "certificat"],
    "two words": ["flux pes", "sauvegarde paie", "mandat annulation", "état civil"],
    "accents": ["electeur", "ÉCHÉANCE", "recepisse", "helios", "securite"],
    "typo": ["teletransmision", "facturaton", "bordreau", "imprimmante"],
    "operators, quotes": ['"mandat" AND paie', "paie OR -budget", "title:paie*", "'; --"],
    "no result": ["zzqxw", "photocopieuse quantique", "kangourou"],
}

# Support-desk phrases recombined into sentences, on top of the demo sheets' own sentences.
VERBS = [
    "Ouvrez", "Vérifiez", "Contrôlez", "Relancez", "Corrigez", "Saisissez", "Validez",
    "Éditez", "Imprimez", "Exportez", "Importez", "Sauvegardez", "Restaurez", "Paramétrez",
    "Supprimez", "Archivez", "Signez", "Télétransmettez", "Consultez", "Renseignez",
]  # fmt: skip
OBJECTS = [
    "le bordereau de mandats", "le titre de recettes", "la DSN mensuelle", "le flux PES",
    "l'acte réglementaire", "la délibération", "le budget primitif", "la décision modificative",
    "le compte administratif", "la liste électorale", "l'acte de naissance", "le livret de famille",
    "la fiche de paie", "le bulletin de salaire", "le certificat RGS", "le récépissé",
    "l'accusé de réception", "la facture Chorus Pro", "l'inventaire comptable", "l'échéancier",
    "le rôle d'eau", "la régie de recettes", "le journal des opérations", "la balance",
    "la sauvegarde du serveur", "l'imprimante du secrétariat", "le dossier partagé",
    "la signature électronique", "le parapheur", "le registre des délibérations",
    "la carte d'électeur", "le recensement citoyen", "l'état des restes", "le mandat d'annulation",
]  # fmt: skip
PLACES = [
    "dans le menu Fichier", "depuis l'écran d'accueil", "dans le module Comptabilité",
    "dans le module Paie", "dans l'onglet Paramètres", "avant la clôture de l'exercice",
    "en fin de mois", "après la mise à jour", "avec le compte administrateur",
    "sur le poste du secrétariat", "avant la télétransmission", "dès réception de l'acquittement",
    "en cas de rejet par la trésorerie", "avant de contacter l'assistance",
]  # fmt: skip
FEATURES = [
    "anomalie", "rejet", "message d'erreur", "blocage", "lenteur", "échéance", "signature",
    "habilitation", "mot de passe", "droits d'accès", "exercice comptable", "numérotation",
    "nomenclature M57", "nomenclature M14", "prélèvement", "virement", "cotisation", "URSSAF",
    "taux de prélèvement à la source", "régularisation", "rattachement", "électeur", "scrutin",
    "procuration", "mariage", "décès", "reconnaissance", "concession funéraire", "facturation",
    "relevé de compteur", "abonné", "tarif", "export tableur", "sauvegarde", "restauration",
]  # fmt: skip
TAGS = [
    "paie", "comptabilité", "élections", "état civil", "télétransmission", "pes", "dsn",
    "actes", "budget", "eau", "sauvegarde", "signature", "impression", "installation",
    "mise à jour", "droits", "cimetière", "facturation", "chorus", "inventaire",
]  # fmt: skip


def _vocabulary() -> tuple[list[str], list[str], list[str]]:
    """Sentences, plain words and software names taken from the demo data."""
    sentences, plain_words = [], []
    for spec in DEMO_SHEETS:
        text = search.plain_text(spec.body)
        for part in text.replace("!", ".").replace("?", ".").split(". "):
            part = part.strip(" .")
            if len(part) > 20:
                sentences.append(part + ".")
        sentences.append(spec.summary)
        plain_words += search.words(spec.title + " " + spec.summary + " " + text)
    names = []
    for tool in DEMO_SOFTWARE:
        names.append(tool.name)
        sentences.append(tool.description)
        plain_words += search.words(tool.description)
    plain_words = [w for w in plain_words if len(w) > 3 and not w.isdigit()]
    return sentences, plain_words, names


def _sentence(rng: random.Random, sentences, plain_words, names) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(sentences)
    if roll < 0.8:
        return (
            f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}"
            f" de {rng.choice(names)} : {rng.choice(FEATURES)}."
        )
    picked = rng.sample(plain_words, rng.randint(6, 14))
    return f"Si {rng.choice(FEATURES)} sur {rng.choice(OBJECTS)}, " + " ".join(picked) + "."


def _sheet_text(rng: random.Random, vocabulary) -> tuple[str, str, str]:
    names = vocabulary[2]
    name = rng.choice(names)
    title = rng.choice(
        [
            f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} dans {name}",
            f"{name} : {rng.choice(FEATURES)} sur {rng.choice(OBJECTS)}",
            f"{rng.choice(FEATURES).capitalize()} {rng.choice(PLACES)} ({name})",
            f"{rng.choice(DEMO_SHEETS).title} — {name}",
        ]
    )
    summary = _sentence(rng, *vocabulary)
    paragraphs = []
    for _ in range(rng.randint(2, 6)):
        heading = f"## {rng.choice(FEATURES).capitalize()}\n\n" if rng.random() < 0.4 else ""
        body = " ".join(_sentence(rng, *vocabulary) for _ in range(rng.randint(2, 6)))
        paragraphs.append(heading + body)
    if rng.random() < 0.5:
        steps = "\n".join(
            f"{n}. {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}."
            for n in range(1, rng.randint(3, 7))
        )
        paragraphs.append(steps)
    return title[:200], summary[:500], "\n\n".join(paragraphs)


def build(count: int) -> None:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrations: {time.perf_counter() - started:.1f} s", flush=True)
    roles.sync_roles()
    agent = get_user_model().objects.create_user(
        email="agent@bench.example", first_name="Agent", is_staff=True
    )
    agent.groups.add(Group.objects.get(name=roles.AGENT))
    rng = random.Random(SEED)  # noqa: S311 - benchmark data
    vocabulary = _vocabulary()
    names = vocabulary[2]
    software = Software.objects.bulk_create(
        Software(name=name, editor="Éditeur", category="business") for name in names
    )
    tags = Tag.objects.bulk_create(Tag(name=name, slug=slugify(name)) for name in TAGS)
    now = timezone.now()
    visibilities = ["public"] * 7 + ["members"] * 2 + ["staff"]
    started = time.perf_counter()
    with transaction.atomic():
        sheets = []
        for i in range(count):
            title, summary, body = _sheet_text(rng, vocabulary)
            published = rng.random() < 0.9
            sheets.append(
                Sheet(
                    title=title,
                    slug=f"{slugify(title)[:200]}-{i}",
                    summary=summary,
                    body=body,
                    visibility=rng.choice(visibilities),
                    status="published" if published else "draft",
                    published_at=now if published else None,
                )
            )
        sheets = Sheet.objects.bulk_create(sheets, batch_size=1000)
        software_links = Sheet.software.through
        tag_links = Sheet.tags.through
        software_links.objects.bulk_create(
            (
                software_links(sheet_id=sheet.pk, software_id=item.pk)
                for sheet in sheets
                for item in rng.sample(software, rng.randint(1, 3))
            ),
            batch_size=5000,
        )
        tag_links.objects.bulk_create(
            (
                tag_links(sheet_id=sheet.pk, tag_id=tag.pk)
                for sheet in sheets
                for tag in rng.sample(tags, rng.randint(1, 3))
            ),
            batch_size=5000,
        )
        for sheet in sheets:
            search.index_sheet(sheet)
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM too, as autovacuum would have by then (it may be off on a
        # development server): the UPDATEs that index the sheets leave 10,000 dead rows and
        # fill the GIN indexes' pending lists, which every search then reads (3-4 times
        # slower index scans, and the planner falls back to a sequential scan).
        cursor.execute("VACUUM ANALYZE" if POSTGRES else "ANALYZE")
    print(f"{count:,} sheets written and indexed in {time.perf_counter() - started:.1f} s")


# --------------------------------------------------------------------------- measures


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


class _Recorder:
    def __init__(self):
        self.calls: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.calls.append((time.perf_counter() - started, sql, params))


def measure(label: str, client: Client, base: str, queries: list[str]) -> dict:
    urls = [f"{base}?{urlencode({'q': q})}" for q in queries]
    for url in urls * 2:  # warm-up
        assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for i in range(ARGS.requests):
        url = urls[i % len(urls)]
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    slowest, queries_per_request = (0.0, "", None), 0
    for url in urls:
        recorder = _Recorder()
        with connection.execute_wrapper(recorder):
            client.get(url)
        queries_per_request = max(queries_per_request, len(recorder.calls))
        slowest = max([slowest, *recorder.calls], key=lambda call: call[0])
    row = {
        "label": label,
        "p50": statistics.median(walls),
        "p95": _percentile(walls, 0.95),
        "cpu50": statistics.median(cpus),
        "cpu95": _percentile(cpus, 0.95),
        "queries": queries_per_request,
        "slowest": slowest,
    }
    print(
        f"{label:<38} p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms   "
        f"cpu p50 {row['cpu50']:6.1f}  p95 {row['cpu95']:6.1f}   {row['queries']:>2} queries",
        flush=True,
    )
    return row


def explain(row: dict) -> None:
    seconds, sql, params = row["slowest"]
    if not sql:
        return
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    print(f"\n-- {row['label']}: slowest query ({seconds * 1000:.1f} ms)")
    print(sql[:800])
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        for line in cursor.fetchall():
            print("   ", " | ".join(str(part) for part in line))


def main() -> None:
    engine = "PostgreSQL" if POSTGRES else "SQLite"
    target = BENCH_NAME if POSTGRES else SQLITE_PATH
    print(f"{engine} database: {target}")
    if not FRESH and Sheet.objects.exists():
        print(f"reusing {Sheet.objects.count():,} sheets")
    else:
        build(ARGS.sheets)
    settings.ALLOWED_HOSTS = ["testserver"]
    staff, visitor = Client(), Client()
    staff.force_login(get_user_model().objects.get(email="agent@bench.example"))
    staff_list, public_list = reverse("kb:list"), reverse("kb-public:list")
    print("\nresults shown (staff list, at most 50) per query:")
    everyone = Sheet.objects.all()
    for kind, queries in QUERIES.items():
        counts = ", ".join(f"{q!r}: {len(search.search_sheets(everyone, q))}" for q in queries)
        print(f"  {kind}: {counts}")
    print(f"\n{ARGS.requests} requests per line (after 2 warm-up rounds)")
    rows = []
    for kind, queries in QUERIES.items():
        rows.append(measure(f"staff list: {kind}", staff, staff_list, queries))
        rows.append(measure(f"public list: {kind}", visitor, public_list, queries))
    worst = max(rows, key=lambda r: r["p95"])
    verdict = "met" if worst["p95"] <= 50 else "NOT met"
    print(f"\ntarget 50 ms p95: {verdict} (worst: {worst['label']}, {worst['p95']:.1f} ms)")
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if ARGS.explain or worst["p95"] > 50:
        for row in rows:
            explain(row)
    connection.close()
    if ARGS.keep:
        print(f"\nkept: --db {target}")
    elif POSTGRES:
        _drop_postgres_database()
    else:
        SQLITE_PATH.unlink(missing_ok=True)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
