"""Benchmark of the billing pages with 5,000 members and 20,000 issued invoices (four years
of yearly invoices), on SQLite and PostgreSQL: server time and SQL queries of each page.

Run:
    .venv/bin/python bench/bench_billing_pages.py             # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syndesk_billing_ui \\
        .venv/bin/python bench/bench_billing_pages.py         # throwaway <name>_bench database
Options: --members 5000 --years 4 --requests 30 --keep --db PATH-or-NAME.

What it does:
1. builds a throwaway database (all migrations) with N members and, per member and year, one
   issued invoice (numbered FA-YYYY-NNNNN, frozen mentions, one line), inserted with
   ``bulk_create``: 80 % paid in full by mandate, 5 % partly paid, the rest unpaid (so
   those of past years are late), plus one credit note in fifty;
2. signs in a billing officer with ``django.test.Client`` (the whole middleware stack, no
   network) and times N requests of each page after a warm-up: the invoice list (page 1, a
   search, the overdue filter, a later page), an invoice page, the overdue list, the
   dashboard of the current year and its CSV, and a member user's portal list;
3. prints p50/p95 in milliseconds of wall-clock time and of this thread's CPU time (on a
   shared, loaded machine the wall clock mostly measures waiting for a core; the CPU time
   leaves out the database server's own work on PostgreSQL) and the SQL queries of each page.
Figures are recorded in docs/performance.md ("Billing pages").
"""

import argparse
import os
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
parser.add_argument("--members", type=int, default=5_000)
parser.add_argument("--years", type=int, default=4)
parser.add_argument("--requests", type=int, default=30)
parser.add_argument("--db", default="", help="SQLite file or PostgreSQL database name")
parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
ARGS = parser.parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
if POSTGRES:
    parts = urlsplit(DATABASE_URL)
    BENCH_NAME = ARGS.db or f"{parts.path.lstrip('/') or 'postgres'}_bench"
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_NAME}"))
    ADMIN_URL = urlunsplit(parts._replace(path="/postgres"))
else:
    TMP = tempfile.mkdtemp(prefix="syndesk-bench-billing-pages-")
    os.environ["SYNDESK_VAR_DIR"] = TMP
    SQLITE_PATH = Path(ARGS.db) if ARGS.db else Path(TMP) / "bench.sqlite3"
    if SQLITE_PATH.exists():
        SQLITE_PATH.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH.resolve()}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
os.environ["DEBUG"] = "0"
os.environ["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


if POSTGRES:
    _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
    _postgres(f'CREATE DATABASE "{BENCH_NAME}"')

import django  # noqa: E402

django.setup()

from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from syndesk.billing.models import Invoice, InvoiceLine, Payment  # noqa: E402
from syndesk.conftest import make_user  # noqa: E402
from syndesk.members.models import LegalCategory, Member  # noqa: E402

BATCH = 2_000
PRICE = Decimal("850.00")


def generate(members: int, years: int) -> None:
    today = timezone.localdate()
    first_year = today.year - years + 1
    with transaction.atomic():
        Member.objects.bulk_create(
            [
                Member(
                    name=f"Commune {n:05d}",
                    legal_category=LegalCategory.COMMUNE,
                    siren=f"2{n:08d}",
                    siret=f"2{n:08d}00012",
                    address="Place de la Mairie",
                    postal_code="50000",
                    city=f"Commune {n:05d}",
                )
                for n in range(members)
            ],
            batch_size=BATCH,
        )
        member_ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
        for year in range(first_year, today.year + 1):
            invoices = []
            for position, member_id in enumerate(member_ids):
                issued = min(date(year, 1, 2) + timedelta(days=position * 360 // members), today)
                fate = position % 20
                paid = PRICE if fate < 16 else (Decimal("400.00") if fate == 16 else Decimal(0))
                invoices.append(
                    Invoice(
                        kind=Invoice.Kind.INVOICE,
                        status=Invoice.Status.ISSUED,
                        number=f"FA-{year}-{position + 1:05d}",
                        year=year,
                        member_id=member_id,
                        period_start=issued,
                        period_end=issued + timedelta(days=364),
                        issue_date=issued,
                        seller_name="Syndicat",
                        buyer_name=f"Commune {position:05d}",
                        buyer_siret=f"2{position:08d}00012",
                        payment_terms="30 jours",
                        late_interest_rate=Decimal("10.15"),
                        recovery_indemnity=Decimal("40.00"),
                        vat_mention="TVA non applicable — article 256 B du CGI",
                        total_excl_vat=PRICE,
                        total_incl_vat=PRICE,
                        received_on=issued,
                        due_date=issued + timedelta(days=30),
                        amount_paid=paid,
                        settled_on=issued + timedelta(days=25) if paid == PRICE else None,
                    )
                )
            Invoice.objects.bulk_create(invoices, batch_size=BATCH)
        invoices = list(Invoice.objects.values_list("pk", "amount_paid", "issue_date"))
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice_id=pk,
                    label="Assistance logiciels métiers",
                    unit_price=PRICE,
                    amount_excl_vat=PRICE,
                    vat_mention="TVA non applicable — article 256 B du CGI",
                )
                for pk, _paid, _issued in invoices
            ],
            batch_size=BATCH,
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    invoice_id=pk,
                    mandate_number=f"M-{pk}",
                    paid_on=issued + timedelta(days=25),
                    amount=paid,
                )
                for pk, paid, issued in invoices
                if paid
            ],
            batch_size=BATCH,
        )


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * 0.95) - 1)]


def measure(client: Client, url: str, requests: int) -> tuple[float, float, float, float, int]:
    """p50/p95 of wall-clock and of this thread's CPU time (ms), and the page's queries."""
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    wall, cpu = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            began, began_cpu = time.perf_counter(), time.thread_time()
            client.get(url)
            wall.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
    return (
        statistics.median(wall),
        _p95(wall),
        statistics.median(cpu),
        _p95(cpu),
        len(ctx.captured_queries),
    )


def main() -> None:
    vendor = "PostgreSQL" if POSTGRES else "SQLite"
    print(
        f"Billing pages benchmark — {vendor}, {ARGS.members} members, "
        f"{ARGS.members * ARGS.years} invoices"
    )
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    generate(ARGS.members, ARGS.years)
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have done on a live database
    print(f"generated in {time.perf_counter() - began:.1f} s")
    officer = make_user("bench-billing@syndesk.example", role="billing")
    member = Member.objects.order_by("pk").first()
    member_user = make_user("bench-member@syndesk.example", member=member)
    staff, portal = Client(), Client()
    staff.force_login(officer)
    portal.force_login(member_user)
    invoice = Invoice.objects.filter(settled_on__isnull=True).order_by("pk").first()
    year = timezone.localdate().year
    pages = [
        ("invoice list", staff, reverse("billing:list")),
        ("invoice list, search", staff, reverse("billing:list") + "?q=Commune+0042"),
        ("invoice list, overdue", staff, reverse("billing:list") + "?overdue=on"),
        ("invoice list, page 200", staff, reverse("billing:list") + "?page=200"),
        ("invoice page", staff, reverse("billing:detail", args=[invoice.pk])),
        ("overdue list", staff, reverse("billing:overdue")),
        ("dashboard", staff, reverse("billing:dashboard") + f"?year={year}"),
        ("dashboard CSV", staff, reverse("billing:dashboard-csv") + f"?year={year}"),
        ("portal invoices", portal, reverse("billing-portal:list")),
    ]
    print(f"{'page':<24} {'p50 wall':>9} {'p95 wall':>9} {'p50 CPU':>9} {'p95 CPU':>9} queries")
    for label, client, url in pages:
        p50, p95, cpu50, cpu95, queries = measure(client, url, ARGS.requests)
        print(f"{label:<24} {p50:9.1f} {p95:9.1f} {cpu50:9.1f} {cpu95:9.1f} {queries:>7}")
    if not ARGS.keep:
        connection.close()
        if POSTGRES:
            _postgres(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
        elif not ARGS.db:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
