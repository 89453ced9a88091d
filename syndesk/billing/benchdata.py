"""Bulk billing data for the benchmark data generator: issued invoices with their lines, in
gapless yearly series, some paid, some partly paid, some overdue.

`generate(count)` invoices the yearly periods of the existing subscriptions (oldest first,
periods started by today, one invoice per period as the run would) and, when there are not
enough periods, adds one-off invoices to members without a subscription link. Rows are
inserted with `bulk_create` in batches, the number counters (`core.NumberSequence`) are set
to the last number of each year, so that the next issued invoice follows on. No PDF is
rendered (the files are rendered on demand by the exports). Needs members (and ideally
subscriptions) and at least one offer; creates a flat support offer if there is none.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from syndesk.catalog.models import Offer
from syndesk.contracts.models import Subscription
from syndesk.contracts.rules import period_end, period_start
from syndesk.core.models import NumberSequence
from syndesk.members.models import Member

from . import rules
from .models import Invoice, InvoiceLine, Payment
from .services import INVOICE_SERIES, NUMBER_WIDTH, payment_terms_text

BATCH = 2_000
SEED = 2026
AMOUNTS = [Decimal(a) for a in ("450.00", "850.00", "1400.00", "2600.00")]


def _offer() -> Offer:
    offer = Offer.objects.filter(kind="support").order_by("pk").first()
    if offer is None:
        offer, _created = Offer.objects.get_or_create(
            code="assistance",
            defaults={
                "name": "Assistance logiciels métiers et dématérialisation",
                "vat_mention": "TVA non applicable — article 256 B du CGI",
            },
        )
    return offer


def _periods(today: date, count: int):
    """(member, subscription, index, start, end) for the periods to invoice, oldest first."""
    produced = 0
    subscriptions = Subscription.objects.select_related("member").order_by("start", "pk")
    taken = set(
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, subscription__isnull=False).values_list(
            "subscription_id", "period_index"
        )
    )
    for subscription in subscriptions.iterator(chunk_size=2_000):
        n = 0
        while produced < count:
            start = period_start(subscription.start, n)
            if start > today:
                break
            if (subscription.pk, n) not in taken:
                yield (
                    subscription.member,
                    subscription,
                    n,
                    start,
                    period_end(subscription.start, n),
                )
                produced += 1
            n += 1
        if produced >= count:
            return
    # One-off invoices spread evenly over the last three years.
    members = list(Member.objects.order_by("pk")[:5_000])
    first_day, remaining = today - timedelta(days=3 * 365), count - produced
    for k in range(remaining if members else 0):
        day = first_day + timedelta(days=k * 3 * 365 // remaining)
        yield (members[k % len(members)], None, None, day, day + timedelta(days=364))


def generate(count: int) -> int:
    """Insert about `count` issued invoices with one line each; returns how many."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible benchmark data)
    today = timezone.localdate()
    offer = _offer()
    syndicate = settings.SYNDICATE
    rate = rules.late_interest_rate(
        settings.BILLING_ECB_RATE, settings.BILLING_LATE_INTEREST_POINTS
    )
    terms = payment_terms_text()
    counters = {seq.year: seq.last for seq in NumberSequence.objects.filter(series=INVOICE_SERIES)}
    rows = list(_periods(today, count))
    # Numbers must follow the issue dates: issue every invoice on its period's first day.
    rows.sort(key=lambda row: (row[3], row[0].pk))
    created = 0
    for first in range(0, len(rows), BATCH):
        invoices, lines, paid = [], [], []
        for member, subscription, index, start, end in rows[first : first + BATCH]:
            year = start.year
            counters[year] = counters.get(year, 0) + 1
            amount = AMOUNTS[member.pk % len(AMOUNTS)]
            due = rules.payment_due(start)
            fate = rng.random()
            invoice = Invoice(
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.ISSUED,
                number=f"{INVOICE_SERIES}-{year}-{counters[year]:0{NUMBER_WIDTH}d}",
                year=year,
                member=member,
                subscription=subscription,
                period_index=index,
                period_start=start,
                period_end=end,
                issue_date=start,
                seller_name=syndicate.get("legal_name") or syndicate["name"],
                seller_address=syndicate["address"],
                seller_siret=syndicate.get("siret", ""),
                buyer_name=member.name,
                buyer_address=f"{member.postal_code} {member.city}".strip(),
                buyer_siren=member.siren,
                buyer_siret=member.siret,
                service_code=member.chorus_service_code,
                payment_terms=terms,
                late_interest_rate=rate,
                recovery_indemnity=settings.BILLING_RECOVERY_INDEMNITY,
                vat_mention=offer.vat_mention,
                total_excl_vat=amount,
                total_vat=Decimal("0.00"),
                total_incl_vat=amount,
                received_on=start,
                due_date=due,
            )
            # Most invoices are paid within the month; some partly; recent ones are open
            # and a few old ones overdue.
            if due < today and fate < 0.9:
                invoice.amount_paid, invoice.settled_on = amount, due - timedelta(days=3)
                paid.append((invoice, amount, due - timedelta(days=3)))
            elif due < today and fate < 0.95:
                invoice.amount_paid = (amount / 2).quantize(Decimal("0.01"))
                paid.append((invoice, invoice.amount_paid, due - timedelta(days=1)))
            invoices.append(invoice)
            lines.append(
                InvoiceLine(
                    invoice=invoice,
                    offer=offer,
                    label=offer.name,
                    detail=f"Période du {start:%d/%m/%Y} au {end:%d/%m/%Y}",
                    unit_price=amount,
                    amount_excl_vat=amount,
                    vat_mention=offer.vat_mention or "TVA non applicable",
                )
            )
        with transaction.atomic():
            Invoice.objects.bulk_create(invoices)
            for line in lines:
                line.invoice_id = line.invoice.pk
            InvoiceLine.objects.bulk_create(lines)
            Payment.objects.bulk_create(
                Payment(
                    invoice=invoice,
                    mandate_number=f"M{invoice.year}-{invoice.pk}",
                    paid_on=paid_on,
                    amount=amount,
                    source=Payment.Source.IMPORT,
                )
                for invoice, amount, paid_on in paid
            )
        created += len(invoices)
    with transaction.atomic():
        for year, last in counters.items():
            NumberSequence.objects.update_or_create(
                series=INVOICE_SERIES, year=year, defaults={"last": last}
            )
    return created
