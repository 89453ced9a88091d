"""Billing fixtures: Brécey's subscription to the flat-priced support offer (850 € HT, not
subject to VAT) since 15 March 2026, from an accepted order with a commitment number."""

from datetime import date

import pytest

from syndesk.contracts.models import PurchaseOrder, Quote, Subscription, SubscriptionLine
from syndesk.contracts.tests.conftest import (  # noqa: F401 (fixtures)
    deliberation,
    emagnus,
    payroll_option,
    support,
)


def subscribe(member, offers, *, start: date, commitment_number: str = "", number="DEV-1"):
    """An accepted order opening a subscription on `start` with `offers`."""
    quote = Quote.objects.create(
        number=number,
        member=member,
        date=start,
        valid_until=start,
        status=Quote.Status.SIGNED,
        signed_on=start,
    )
    order = PurchaseOrder.objects.create(
        member=member,
        quote=quote,
        received_on=start,
        commitment_number=commitment_number,
        status=PurchaseOrder.Status.ACCEPTED,
        accepted_on=start,
    )
    subscription = Subscription.objects.create(member=member, start=start)
    for offer in offers:
        SubscriptionLine.objects.create(
            subscription=subscription, offer=offer, order=order, added_on=start
        )
    return subscription


@pytest.fixture
def member_a(member_a):
    member_a.siret = "21500740200013"
    member_a.address = "1 place de la Mairie"
    member_a.chorus_service_code = "FACTURES"
    member_a.email = "mairie@brecey.example"
    member_a.save()
    return member_a


@pytest.fixture
def member_b(member_b):
    member_b.siret = "21500250200015"
    member_b.address = "Place Littré"
    member_b.save()
    return member_b


@pytest.fixture
def subscription(member_a, support):  # noqa: F811
    return subscribe(member_a, [support], start=date(2026, 3, 15), commitment_number="EJ-2026-17")


@pytest.fixture
def vat_number(settings):
    settings.SYNDICATE = {**settings.SYNDICATE, "vat_number": "FR16255001232"}
