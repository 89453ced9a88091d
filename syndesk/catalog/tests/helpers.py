"""Helpers shared by the catalogue tests (fixtures are in conftest.py)."""

import html
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from syndesk.catalog import rules
from syndesk.catalog.models import Deliberation, TariffGrid
from syndesk.catalog.services import save_tariff_grid

NOT_SUBJECT = "TVA non applicable — article 256 B du CGI"
BRACKETS = [
    rules.Bracket(0, 499, Decimal("350.00")),
    rules.Bracket(500, 1999, Decimal("650.00")),
    rules.Bracket(2000, 4999, Decimal("1100.00")),
    rules.Bracket(5000, None, Decimal("1800.00")),
]


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def make_deliberation(number: str, *, session: int, enforceable: int, **extra) -> Deliberation:
    """A deliberation whose session and enforceability are `session`/`enforceable` days
    from today."""
    return Deliberation.objects.create(
        number=number,
        date=days(session),
        enforceable_on=days(enforceable),
        subject=extra.pop("subject", f"Tarifs {number}"),
        **extra,
    )


def record_grid(deliberation, offer, *, effective: int, method=rules.FLAT, brackets=(), **terms):
    """A grid recorded through the service, effective `effective` days from today."""
    if method == rules.FLAT:
        terms.setdefault("amount", Decimal("500.00"))
    return save_tariff_grid(
        grid=TariffGrid(
            deliberation=deliberation,
            offer=offer,
            effective_from=days(effective),
            method=method,
            **terms,
        ),
        brackets=list(brackets),
        saved_by=None,
    )


def text_of(response) -> str:
    """The page as text: entities decoded, (non-breaking) spaces collapsed."""
    body = html.unescape(response.content.decode())
    return " ".join(body.replace("\u202f", " ").replace("\xa0", " ").split())
