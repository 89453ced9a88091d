"""The demo contracts: built through the services on the demo members and catalogue,
idempotent, never dated after "today", and visible to the demo portal account."""

import html
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from syndesk.catalog.demo import EFFECTIVE, load_catalog_demo
from syndesk.contracts import rules, services
from syndesk.contracts.demo import SUBSCRIBERS, demo_pdf, load_contracts_demo
from syndesk.contracts.models import (
    NeedRequest,
    PurchaseOrder,
    Quote,
    QuoteLine,
    Subscription,
    SubscriptionLine,
    Termination,
)
from syndesk.core.models import AuditEntry
from syndesk.members.demo import load_demo
from syndesk.members.models import LegalCategory

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo_base():
    load_demo()
    load_catalog_demo()


def snapshot():
    return (
        list(NeedRequest.objects.order_by("pk").values_list("pk", "member", "status")),
        list(Quote.objects.order_by("pk").values_list("pk", "number", "date", "status")),
        QuoteLine.objects.count(),
        list(PurchaseOrder.objects.order_by("pk").values_list("pk", "status", "signed_quote")),
        list(Subscription.objects.order_by("pk").values_list("pk", "member", "start", "status")),
        SubscriptionLine.objects.count(),
        list(Termination.objects.values_list("pk", "received_on", "last_day")),
        AuditEntry.objects.count(),
    )


def test_the_demo_contracts_are_complete_and_idempotent(demo_base):
    first = load_contracts_demo(today=DAY)
    before = snapshot()
    assert load_contracts_demo(today=DAY) == first
    assert snapshot() == before
    assert first == {
        "requests": SUBSCRIBERS + 1 + 5,  # one per subscriber, the option added, prospects
        "open_requests": 2,
        "quotes": SUBSCRIBERS + 1 + 3,
        "orders": SUBSCRIBERS + 1 + 1,
        "subscriptions": SUBSCRIBERS,
        "terminations": 1,
    }

    subscriptions = Subscription.objects.all()
    assert {s.member.legal_category for s in subscriptions} == {LegalCategory.COMMUNE}
    assert subscriptions.filter(status="active").count() == SUBSCRIBERS - 1
    assert subscriptions.filter(software__isnull=False).distinct().count() >= 5
    assert all(s.lines.filter(offer__code="assistance").exists() for s in subscriptions)
    # One subscription grew by a second order; every order but one was accepted.
    assert SubscriptionLine.objects.values("order").distinct().count() == SUBSCRIBERS + 1
    # Gapless numbers in the order of the quote dates.
    numbers = list(Quote.objects.order_by("date", "number").values_list("number", flat=True))
    assert numbers == [f"DEV-2026-{n:04d}" for n in range(1, len(numbers) + 1)]


def test_the_demo_has_work_in_progress_and_signed_scans(demo_base):
    load_contracts_demo(today=DAY)
    assert sorted(Quote.objects.order_by().values_list("status", flat=True).distinct()) == [
        "draft",
        "sent",
        "signed",
    ]
    assert Quote.objects.filter(status="draft").count() == 1
    sent = Quote.objects.get(status="sent")
    assert sent.is_valid_on(DAY)
    waiting = PurchaseOrder.objects.get(status="received")
    assert services.missing_for_acceptance(waiting) == ["les deux originaux papier de l'annexe"]
    assert NeedRequest.objects.filter(status="open").count() == 2

    termination = Termination.objects.get()
    subscription = termination.subscription
    assert subscription.status == "terminating"
    assert termination.last_day == rules.termination_last_day(
        subscription.start, termination.received_on
    )
    assert termination.letter.read().startswith(b"%PDF-")
    upcoming = services.upcoming(today=DAY)
    assert [t[1] for t in upcoming["terminations"]] == [subscription]
    assert upcoming["renewals"]  # the January and February 2027 anniversaries

    # The "signed" scans: tiny real PDFs naming the quote and the member.
    order = PurchaseOrder.objects.select_related("quote", "member").order_by("pk").first()
    for field in (order.signed_quote, order.signed_annex):
        with field.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-1.4")
        assert len(content) < 2048
        text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
        assert order.quote.number in text
        assert order.member.name in text


def test_demo_dates_are_in_2026_after_the_tariffs_and_never_after_today(demo_base):
    today = date(2026, 3, 4)  # the demo loaded early in the year: later dates wait for today
    load_contracts_demo(today=today)
    assert Subscription.objects.count() == SUBSCRIBERS
    dates = [
        *Quote.objects.values_list("date", flat=True),
        *Quote.objects.exclude(signed_on=None).values_list("signed_on", flat=True),
        *PurchaseOrder.objects.values_list("received_on", flat=True),
        *PurchaseOrder.objects.exclude(accepted_on=None).values_list("accepted_on", flat=True),
        *Subscription.objects.values_list("start", flat=True),
        *Termination.objects.values_list("received_on", flat=True),
    ]
    assert min(dates) >= EFFECTIVE
    assert max(dates) <= today
    assert NeedRequest.objects.filter(received_on__gt=today).count() == 0
    for quote in Quote.objects.exclude(signed_on=None):
        assert quote.signed_on <= quote.valid_until


def test_nothing_is_created_before_the_demo_tariffs_apply(demo_base):
    assert load_contracts_demo(today=date(2025, 12, 15))["quotes"] == 0


def test_demo_pdf_writes_french_text():
    reader = PdfReader(io.BytesIO(demo_pdf(["Saint-Hilaire-du-Harcouët — signé (DEV)"])))
    assert reader.pages[0].extract_text() == "Saint-Hilaire-du-Harcouët — signé (DEV)"


def test_the_demo_portal_account_sees_its_subscription_and_documents(client, demo_base):
    load_contracts_demo()  # today: the portal computes the next renewal from today too
    user = get_user_model().objects.get(email="mairie@saint-hilaire.demo")
    client.force_login(user)

    response = client.get(reverse("contract-portal:home"))

    assert response.status_code == 200
    subscription = response.context["subscription"]
    assert subscription.member.name == "Saint-Hilaire-du-Harcouët"
    assert subscription.status == "active"
    assert set(subscription.software.values_list("name", flat=True)) == {"S²LOW", "i-Parapheur"}
    assert response.context["next_renewal"] > timezone.localdate()
    text = html.unescape(response.content.decode())
    assert "Si votre lettre de résiliation nous parvenait aujourd'hui" in text
    quote = response.context["quotes"][0]
    assert quote.status == "signed"
    for name in ("contract-portal:quote-pdf", "contract-portal:quote-annex"):
        pdf = client.get(reverse(name, args=[quote.pk]))
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


def test_load_demo_loads_the_contracts_and_can_run_twice():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert f"{SUBSCRIBERS} subscriptions" in out.getvalue()
    before = snapshot()
    call_command("load_demo", stdout=io.StringIO())
    assert snapshot() == before
