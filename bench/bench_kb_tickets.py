"""Benchmark of the practical sheets used from tickets, with 10,000 sheets: the suggestion
box of the ticket forms (kb.suggest through its htmx fragment) and the typo-tolerant
fallback of the search (kb.fuzzy).

Run:
    .venv/bin/python bench/bench_kb_tickets.py                 # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syndesk_kbt \\
        .venv/bin/python bench/bench_kb_tickets.py             # throwaway <name>_kbbench db
Options: --sheets 10000 --requests 40 --keep (keep the database: a second run with the
same --db reuses it) --db PATH-or-NAME.

Builds 10,000 sheets (70 % public, 20 % members, 10 % staff; titles and summaries
recombined from a French support vocabulary), indexed as the services index them; then
times N requests of each kind, through django.test.Client as a member user (alice) or an
agent, after two warm-up requests, and prints p50/p95 of wall-clock and of this thread's
CPU time in milliseconds:

- suggestions: the fragment the ticket forms load while the member types (subject and a
  one-sentence description);
- typo: a staff sheet search whose words are all misspelt (the full-text search finds
  nothing, kb.fuzzy answers), as a page and as kb.fuzzy's own call.
Figures are recorded in docs/performance.md ("Practical sheets from tickets").
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
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--sheets", type=int, default=10_000)
parser.add_argument("--requests", type=int, default=40)
parser.add_argument("--db", default="", help="SQLite file or PostgreSQL database name")
parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
ARGS = parser.parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
TMP = tempfile.mkdtemp(prefix="syndesk-bench-kbt-")
os.environ["SYNDESK_VAR_DIR"] = TMP
if POSTGRES:
    parts = urlsplit(DATABASE_URL)
    BENCH_NAME = ARGS.db or f"{parts.path.lstrip('/') or 'postgres'}_kbbench"
    ADMIN_URL = urlunsplit(parts._replace(path="/postgres"))
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_NAME}"))
else:
    SQLITE_PATH = Path(ARGS.db) if ARGS.db else Path(TMP) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH.resolve()}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
os.environ["DEBUG"] = "0"


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _postgres_exists() -> bool:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_NAME])
        return found.fetchone() is not None


if POSTGRES:
    REUSE = ARGS.keep and _postgres_exists()
    if not REUSE:
        _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
        _postgres(f'CREATE DATABASE "{BENCH_NAME}"')
else:
    REUSE = ARGS.keep and SQLITE_PATH.exists()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from syndesk.conftest import make_user  # noqa: E402
from syndesk.core import roles  # noqa: E402
from syndesk.kb import fuzzy, search  # noqa: E402
from syndesk.kb.models import Sheet  # noqa: E402
from syndesk.members.models import LegalCategory, Member  # noqa: E402

SUBJECTS = [
    "télétransmission", "bordereau", "mandat", "titre de recette", "paie", "DSN",
    "sauvegarde", "clé USB", "certificat", "signature électronique", "parapheur",
    "état civil", "élections", "liste électorale", "facture", "Chorus Pro", "budget",
    "compte administratif", "inventaire", "amortissement", "cimetière", "urbanisme",
    "permis de construire", "cadastre", "messagerie", "mot de passe", "imprimante",
    "mise à jour", "version", "installation", "restauration", "archivage", "Hélios",
    "PES", "rejet", "accusé de réception", "prélèvement", "régie", "subvention",
]  # fmt: skip
VERBS = [
    "Envoyer", "Corriger", "Installer", "Restaurer", "Vérifier", "Préparer", "Clôturer",
    "Exporter", "Importer", "Renouveler", "Paramétrer", "Annuler", "Signer", "Archiver",
]  # fmt: skip
TICKETS = [
    ("Bordereau rejeté", "Le bordereau 12 revient rejeté par Hélios avec un accusé de réception."),
    ("Paie de janvier", "Impossible de préparer la DSN, le logiciel affiche une erreur."),
    ("Clé de signature", "Le certificat de signature électronique est expiré depuis hier."),
    ("Sauvegarde", "La sauvegarde sur la clé USB ne se termine pas."),
]
TYPOS = ["télétransmision bordreau", "sauvgarde certificta", "parapheure signatrue"]


def build(count: int) -> tuple:
    call_command("migrate", verbosity=0)
    rng = random.Random(8)  # noqa: S311 (reproducible data, not secrets)
    now = timezone.now()
    visibilities = ["public"] * 7 + ["members"] * 2 + ["staff"]
    sheets = []
    for i in range(count):
        words = rng.sample(SUBJECTS, 3)
        title = f"{rng.choice(VERBS)} {words[0]} : {words[1]} ({i})"
        summary = f"{rng.choice(VERBS)} {words[2]} et {rng.choice(SUBJECTS)} pas à pas."
        body = " ".join(f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}." for _ in range(40))
        sheets.append(
            Sheet(
                title=title,
                slug=f"fiche-{i}",
                summary=summary,
                body=body,
                visibility=rng.choice(visibilities),
                status=Sheet.Status.PUBLISHED,
                published_at=now,
            )
        )
    with transaction.atomic():
        Sheet.objects.bulk_create(sheets, batch_size=1000)
        for sheet in Sheet.objects.all().iterator():
            search.index_sheet(sheet)
    with connection.cursor() as cursor:
        # As autovacuum would have by then (see bench_search.py): dead rows and the GIN
        # indexes' pending lists left by the indexing UPDATEs slow every search.
        cursor.execute("VACUUM ANALYZE" if POSTGRES else "ANALYZE")
    member = Member.objects.create(name="Brécey", legal_category=LegalCategory.COMMUNE)
    alice = make_user("alice@brecey.example", member=member)
    agent = make_user("agnes@syndicat.example", role=roles.AGENT)
    return alice, agent


def timed(client: Client, url: str, params: dict) -> tuple[float, float]:
    """Wall-clock and thread CPU milliseconds of one request."""
    start, cpu = time.perf_counter(), time.thread_time()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def _p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def report(label: str, samples: list[tuple[float, float]]) -> None:
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    print(
        f"{label:<40} p50 {statistics.median(walls):6.1f} ms   p95 {_p95(walls):6.1f} ms"
        f"   cpu p50 {statistics.median(cpus):6.1f}  p95 {_p95(cpus):6.1f}"
    )


def main() -> None:
    started = time.perf_counter()
    if REUSE:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        alice = users.get(email="alice@brecey.example")
        agent = users.get(email="agnes@syndicat.example")
        print(f"reusing {Sheet.objects.count():,} sheets")
    else:
        alice, agent = build(ARGS.sheets)
        print(
            f"{'PostgreSQL' if POSTGRES else 'SQLite'}: {ARGS.sheets} sheets built in "
            f"{time.perf_counter() - started:.0f} s"
        )
    member_client, staff_client = Client(), Client()
    member_client.force_login(alice)
    staff_client.force_login(agent)

    suggest_url = reverse("kb-portal:suggestions")
    for subject, description in TICKETS[:2]:
        timed(member_client, suggest_url, {"subject": subject, "description": description})
    samples = []
    for n in range(ARGS.requests):
        subject, description = TICKETS[n % len(TICKETS)]
        samples.append(
            timed(member_client, suggest_url, {"subject": subject, "description": description})
        )
    report("suggestions (member, ticket form)", samples)

    list_url = reverse("kb:list")
    for q in TYPOS[:2]:
        timed(staff_client, list_url, {"q": q})
    samples = [
        timed(staff_client, list_url, {"q": TYPOS[n % len(TYPOS)]}) for n in range(ARGS.requests)
    ]
    report("typo fallback (staff list page)", samples)

    everything = Sheet.objects.all()
    samples = []
    for n in range(ARGS.requests):
        start, cpu = time.perf_counter(), time.thread_time()
        fuzzy.fuzzy_sheets(everything, TYPOS[n % len(TYPOS)], limit=50)
        samples.append(((time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000))
    report("typo fallback alone (kb.fuzzy)", samples)
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    try:
        main()
    finally:
        if POSTGRES:
            from django.db import connections

            connections.close_all()
            if not ARGS.keep:
                _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
        shutil.rmtree(TMP, ignore_errors=True)
