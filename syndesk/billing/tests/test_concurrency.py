"""Gapless numbering under concurrency (PostgreSQL only): several processes, each with its own
database connection, issue invoices at the same moment; some issues fail after their number
was allocated and roll back. The year's series must have no gap and no duplicate."""

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from syndesk.billing import services
from syndesk.billing.models import Invoice
from syndesk.core.models import NumberSequence
from syndesk.members.models import LegalCategory, Member

from .conftest import subscribe

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 4
INVOICES = 48

CHILD = """
import os, sys, time
from datetime import date
os.environ["DJANGO_SETTINGS_MODULE"] = "syndesk.settings"
import django
django.setup()
from django.core.exceptions import ValidationError
from syndesk.billing import services
from syndesk.billing.models import Invoice

ids = [int(x) for x in sys.argv[1].split(",")]
fail = {int(x) for x in sys.argv[2].split(",") if x}
start = float(sys.argv[3])
original = services._number

def number_then_maybe_fail(invoice, issue_date):
    original(invoice, issue_date)
    if invoice.pk in fail:
        raise ValidationError("simulated failure after numbering")

services._number = number_then_maybe_fail
while time.time() < start:
    time.sleep(0.001)
issued = refused = 0
for pk in ids:
    try:
        services.issue_invoice(
            invoice=Invoice.objects.get(pk=pk), issued_by=None, issue_date=date(2026, 4, 1)
        )
        issued += 1
    except ValidationError:
        refused += 1
print(issued, refused)
"""


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_leave_no_gap_and_no_duplicate(support, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across processes are tested on PostgreSQL")
    for i in range(INVOICES):
        member = Member.objects.create(
            name=f"Commune {i}",
            legal_category=LegalCategory.COMMUNE,
            siren=f"2{i:08d}",
            siret=f"2{i:08d}00010",
            postal_code="50000",
            city="Saint-Lô",
        )
        subscribe(member, [support], start=date(2026, 3, 1), number=f"DEV-{i}")
    services.run_invoicing(as_of=date(2026, 4, 1))
    ids = list(Invoice.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == INVOICES
    fail = set(ids[5::7])
    start = time.time() + 3
    env = {
        "DATABASE_URL": _database_url(),
        "PATH": "/usr/bin:/bin",
        "SYNDESK_VAR_DIR": str(tmp_path),
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "LOG_LEVEL": "WARNING",
    }
    children = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [
                sys.executable,
                "-c",
                CHILD,
                ",".join(str(pk) for pk in ids[k::PROCESSES]),
                ",".join(str(pk) for pk in fail),
                str(start),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(PROCESSES)
    ]
    results = [child.communicate(timeout=180) for child in children]
    for child, (_out, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err
    issued = sum(int(out.split()[0]) for out, _err in results)
    refused = sum(int(out.split()[1]) for out, _err in results)
    assert (issued, refused) == (INVOICES - len(fail), len(fail))

    numbers = sorted(Invoice.objects.issued().values_list("number", flat=True))
    assert numbers == [f"FA-2026-{n:05d}" for n in range(1, issued + 1)]
    assert NumberSequence.objects.get(series="FA", year=2026).last == issued
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).count() == len(fail)
