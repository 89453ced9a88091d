"""Benchmark of the PDF documents (syndesk.core.documents, syndesk.contracts.documents).

Run: .venv/bin/python bench/bench_pdf.py [RUNS]
Builds a throw-away in-memory test database (migrations included), one member and a quote
of 10 lines, then renders the annex, the quote and the PDF/A variant RUNS times each (20 by
default) and prints the best and median wall time in milliseconds, with the file size.
Figures are recorded in docs/performance.md.
"""

import logging
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")

import django

# WeasyPrint logs each rendering step at INFO (and parses its own stylesheets on import,
# which may happen while the apps load).
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def measure(label: str, func) -> None:
    func()  # warm-up: template loading, font discovery
    samples, size = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        size = len(func())
        samples.append(time.perf_counter() - start)
    print(
        f"{label:<40} best {min(samples) * 1e3:8.1f} ms   median "
        f"{statistics.median(samples) * 1e3:8.1f} ms   {size / 1024:6.1f} KiB"
    )


def build_data():
    from syndesk.catalog.models import Deliberation, Offer, TariffGrid
    from syndesk.contracts.services import create_quote
    from syndesk.members.models import Member

    member = Member.objects.create(
        name="Brécey",
        siren="215007402",
        postal_code="50370",
        city="Brécey",
        population=2176,
        signatory_name="Jean Dupont",
        signatory_title="Maire",
    )
    deliberation = Deliberation.objects.create(
        number="2025-42",
        date=date(2025, 12, 12),
        subject="Tarifs 2026",
        enforceable_on=date(2025, 12, 20),
    )
    offers = []
    for i in range(10):
        offer = Offer.objects.create(
            code=f"offre-{i}",
            name=f"Assistance logiciel métier n° {i + 1}",
            vat_rate=Decimal("20") if i % 2 else None,
            vat_mention="" if i % 2 else "TVA non applicable, article 256 B du CGI",
        )
        TariffGrid.objects.create(
            deliberation=deliberation,
            offer=offer,
            effective_from=date(2026, 1, 1),
            method="flat",
            amount=Decimal(100 * (i + 1)),
        )
        offers.append(offer)
    quote = create_quote(
        member=member, quote_date=date(2026, 1, 15), offers=offers, created_by=None
    )
    return member, quote


def main() -> None:
    from syndesk.contracts.documents import ANNEX_TEMPLATE, annex_context, annex_pdf, quote_pdf
    from syndesk.core.documents import render_pdf

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        member, quote = build_data()
        print(f"{RUNS} runs each (after one warm-up)")
        measure("annex (no quote)", lambda: annex_pdf(member))
        measure("annex with its 10-line quote", lambda: annex_pdf(member, quote=quote))
        measure("quote, 10 lines", lambda: quote_pdf(quote))
        measure(
            "annex, PDF/A-3b",
            lambda: render_pdf(ANNEX_TEMPLATE, annex_context(member, quote=quote), pdfa=True),
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
