"""Shared helpers of the billing page tests (no tests here): a frozen "today" and invoices
built through the services, never by writing models directly. The fixtures (`subscription`
for Brécey since 15 March 2026 with commitment number EJ-2026-17, `member_a`, `member_b`)
come from this folder's conftest."""

from datetime import date

from django.urls import reverse

from syndesk.billing import services
from syndesk.billing.models import Invoice
from syndesk.contracts.tests.test_views_helpers import frozen_today  # noqa: F401

from .conftest import subscribe

START = date(2026, 3, 15)
ISSUED_ON = date(2026, 3, 16)  # due 15 April 2026
LATE_DAY = date(2026, 5, 20)  # 35 days after the due date


def draft_for(subscription, *, as_of=ISSUED_ON) -> Invoice:
    services.run_invoicing(as_of=as_of)
    return Invoice.objects.get(subscription=subscription, period_index=0)


def issued_for(subscription, by, *, on=ISSUED_ON) -> Invoice:
    draft = draft_for(subscription, as_of=on)
    return services.issue_invoice(invoice=draft, issued_by=by, issue_date=on)


def other_member_invoice(member_b, offer, by, *, on=ISSUED_ON) -> Invoice:
    """Avranches' issued invoice (the one Brécey's users must never reach)."""
    subscription = subscribe(member_b, [offer], start=START, number="DEV-2")
    return issued_for(subscription, by, on=on)


def more_members(count: int, offer, *, start=START) -> list:
    """`count` more communes, each subscribed to `offer` since `start`."""
    from syndesk.members.models import LegalCategory, Member

    members = []
    for n in range(count):
        member = Member.objects.create(
            name=f"Commune {n:03d}",
            legal_category=LegalCategory.COMMUNE,
            siren=f"2{n:08d}",
            siret=f"2{n:08d}00012",
            address="Mairie",
        )
        subscribe(member, [offer], start=start, commitment_number=f"EJ-{n}", number=f"DEV-X{n}")
        members.append(member)
    return members


def url(name: str, *args) -> str:
    return reverse(f"billing:{name}", args=args)


def text(response) -> str:
    import html

    return html.unescape(response.content.decode())
