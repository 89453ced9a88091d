"""Benchmark of the invoicing run (issue 4: 5,000 subscriptions invoiced, without PDF
rendering, in at most 30 s on this 2-core machine, on SQLite and PostgreSQL).

Run:
    .venv/bin/python bench/bench_billing.py                   # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syndesk_billing \\
        .venv/bin/python bench/bench_billing.py               # throwaway <name>_bench database
Options: --subscriptions 5000 --keep (keep the database) --db PATH-or-NAME --no-issue.

What it does:
1. builds a throwaway database (all migrations) with N members (populations spread from
   100 to 60,000 inhabitants), each with an accepted order and a subscription started on a
   day of 2025 or 2026 to the support offer (priced by population bracket) and, for one in
   three, an option priced flat with 20 % VAT; one in twenty has a termination (a final
   period pro rata, or no 2026 period at all);
2. times ``run_invoicing`` for the periods of 2026 (one draft per started period, one
   transaction each), then a rerun (idempotence: nothing to do), then ``issue_drafts``
   (gapless numbers, frozen snapshot; documents are queued to a dummy task backend, i.e.
   no PDF rendering);
3. prints the wall-clock seconds, this process's CPU seconds (on a shared, loaded machine
   the wall clock mostly measures waiting for a core; the database server's own work is
   not in the CPU column) and the number of SQL queries of each step.
Figures are recorded in docs/performance.md ("Invoicing run").
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--subscriptions", type=int, default=5_000)
parser.add_argument("--db", default="", help="SQLite file or PostgreSQL database name")
parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
parser.add_argument("--no-issue", action="store_true", help="time the run only, not issuing")
ARGS = parser.parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
if POSTGRES:
    parts = urlsplit(DATABASE_URL)
    BENCH_NAME = ARGS.db or f"{parts.path.lstrip('/') or 'postgres'}_bench"
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_NAME}"))
    ADMIN_URL = urlunsplit(parts._replace(path="/postgres"))
else:
    TMP = tempfile.mkdtemp(prefix="syndesk-bench-billing-")
    os.environ["SYNDESK_VAR_DIR"] = TMP
    SQLITE_PATH = Path(ARGS.db) if ARGS.db else Path(TMP) / "bench.sqlite3"
    if SQLITE_PATH.exists():
        SQLITE_PATH.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH.resolve()}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
os.environ["DEBUG"] = "0"
os.environ["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("SYNDICATE_VAT_NUMBER", "FR16255001232")  # the option bills VAT


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


if POSTGRES:
    _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
    _postgres(f'CREATE DATABASE "{BENCH_NAME}"')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from syndesk.billing import services  # noqa: E402
from syndesk.catalog.models import (  # noqa: E402
    Deliberation,
    Offer,
    TariffBracket,
    TariffGrid,
)
from syndesk.contracts.models import (  # noqa: E402
    PurchaseOrder,
    Quote,
    Subscription,
    SubscriptionLine,
    Termination,
)
from syndesk.contracts.rules import termination_last_day  # noqa: E402
from syndesk.members.models import LegalCategory, Member  # noqa: E402

AS_OF = date(2026, 12, 31)
SINCE = date(2026, 1, 1)
SEED = 4


def generate(count: int) -> None:
    rng = random.Random(SEED)  # noqa: S311 (reproducible test data)
    deliberation = Deliberation.objects.create(
        number="2025-38",
        date=date(2025, 11, 20),
        subject="Tarifs",
        enforceable_on=date(2025, 12, 5),
    )
    support = Offer.objects.create(
        code="assistance",
        name="Assistance logiciels métiers et dématérialisation",
        vat_mention="TVA non applicable — article 256 B du CGI",
    )
    option = Offer.objects.create(
        code="option-paie", name="Option paie", kind="option", vat_rate=20
    )
    grid = TariffGrid.objects.create(
        deliberation=deliberation, offer=support, method="bracket", effective_from=date(2025, 1, 1)
    )
    bounds = [(0, 499, 450), (500, 1999, 850), (2000, 4999, 1400), (5000, None, 2600)]
    TariffBracket.objects.bulk_create(
        TariffBracket(grid=grid, min_population=lo, max_population=hi, amount=amount)
        for lo, hi, amount in bounds
    )
    TariffGrid.objects.create(
        deliberation=deliberation,
        offer=option,
        method="flat",
        effective_from=date(2025, 1, 1),
        amount=120,
    )
    with transaction.atomic():
        members = Member.objects.bulk_create(
            Member(
                name=f"Commune {i:05d}",
                legal_category=LegalCategory.COMMUNE,
                siren=f"2{i:08d}",
                siret=f"2{i:08d}00010",
                search_name=f"commune {i:05d}",
                postal_code="50000",
                city="Saint-Lô",
                population=rng.randint(100, 60_000),
            )
            for i in range(count)
        )
        # Starts over two years: each subscription has one period starting in 2026 (the run
        # is limited to periods from 1 January 2026, as after a migration from another system).
        starts = [date(2025, 1, 2) + timedelta(days=rng.randrange(729)) for _ in members]
        quotes = Quote.objects.bulk_create(
            Quote(
                number=f"DEV-B-{i:05d}",
                member=m,
                date=s,
                valid_until=s,
                status="signed",
                signed_on=s,
            )
            for i, (m, s) in enumerate(zip(members, starts, strict=True))
        )
        orders = PurchaseOrder.objects.bulk_create(
            PurchaseOrder(
                member=m,
                quote=q,
                received_on=s,
                status="accepted",
                accepted_on=s,
                commitment_number=f"EJ-{i}",
            )
            for i, (m, q, s) in enumerate(zip(members, quotes, starts, strict=True))
        )
        subscriptions = Subscription.objects.bulk_create(
            Subscription(member=m, start=s) for m, s in zip(members, starts, strict=True)
        )
        lines = []
        for i, (sub, order, start) in enumerate(zip(subscriptions, orders, starts, strict=True)):
            lines.append(
                SubscriptionLine(subscription=sub, offer=support, order=order, added_on=start)
            )
            if i % 3 == 0:
                lines.append(
                    SubscriptionLine(subscription=sub, offer=option, order=order, added_on=start)
                )
        SubscriptionLine.objects.bulk_create(lines)
        Termination.objects.bulk_create(
            Termination(
                subscription=sub,
                received_on=date(2026, 2, 10),
                last_day=termination_last_day(start, date(2026, 2, 10)),
            )
            for i, (sub, start) in enumerate(zip(subscriptions, starts, strict=True))
            if i % 20 == 0 and start < date(2026, 2, 10)
        )


def timed(label: str, func):
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began, cpu = time.perf_counter(), time.process_time()
        result = func()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"{label:<36} {elapsed:8.2f} s wall {cpu:8.2f} s CPU {queries:>8} queries")
    return result, elapsed


def main() -> None:
    vendor = "PostgreSQL" if POSTGRES else "SQLite"
    print(f"Invoicing run benchmark — {vendor}, {ARGS.subscriptions} subscriptions")
    call_command("migrate", verbosity=0)
    timed("generate the subscriptions", lambda: generate(ARGS.subscriptions))
    report, run = timed(
        "run_invoicing (drafts)", lambda: services.run_invoicing(as_of=AS_OF, since=SINCE)
    )
    print(f"  {len(report.created)} drafts, {len(report.errors)} errors")
    again, _ = timed("rerun (idempotent)", lambda: services.run_invoicing(as_of=AS_OF, since=SINCE))
    assert again.created == [], "the rerun created invoices"
    issuing = 0.0
    if not ARGS.no_issue:
        issued, issuing = timed(
            "issue_drafts (numbers, snapshot)",
            lambda: services.issue_drafts(issued_by=None, issue_date=AS_OF),
        )
        print(f"  {len(issued.issued)} issued, {len(issued.errors)} refused")
    verdict = "OK" if run <= 30 else "TOO SLOW"
    print(f"Target: run ≤ 30 s — {run:.1f} s {verdict}; run + issue {run + issuing:.1f} s")
    if not ARGS.keep:
        connection.close()
        if POSTGRES:
            _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
