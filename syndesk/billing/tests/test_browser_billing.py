"""The billing journey in Debian's Chromium, through the web pages only: a billing officer
runs the invoicing, issues the draft, downloads its Factur-X, records a mandate payment and
reminds a member whose invoice is late; then Alice (Brécey) finds the invoice in the portal.

Dates are computed from the server's "today" (what the views use), so the test never ages."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from facturx import get_xml_from_pdf
from playwright.sync_api import Browser, Locator, Page, expect

from syndesk.billing import services
from syndesk.billing.models import Invoice, Payment, Reminder
from syndesk.billing.tests.conftest import subscribe
from syndesk.catalog.models import Deliberation, Offer, TariffGrid
from syndesk.core.testing import submit_login, watch_console

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name, exact=True
    )


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def download(page: Page, link: Locator) -> bytes:
    with page.expect_download() as info:
        link.click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    return content


@pytest.fixture
def catalogue(db):
    day = timezone.localdate()
    deliberation = Deliberation.objects.create(
        number="CS-TEST-12",
        date=day - timedelta(days=400),
        subject="Tarifs de l'assistance",
        enforceable_on=day - timedelta(days=390),
    )
    offer = Offer.objects.create(
        code="assistance",
        name="Assistance logiciels métiers et dématérialisation",
        vat_mention="TVA non applicable — article 256 B du CGI",
    )
    TariffGrid.objects.create(
        deliberation=deliberation,
        offer=offer,
        method="flat",
        effective_from=day - timedelta(days=380),
        amount=Decimal("850.00"),
    )
    return offer


def test_billing_officer_invoices_issues_collects_and_reminds_and_member_sees_it(
    page: Page,
    browser: Browser,
    browser_context_args,
    live_server,
    billing,
    alice,
    member_a,
    member_b,
    catalogue,
):
    day = timezone.localdate()
    # Brécey subscribed ten days ago: its first period waits for the invoicing run.
    subscribe(member_a, [catalogue], start=day - timedelta(days=10), commitment_number="EJ-77")
    # Avranches was invoiced seventy days ago and has not paid: 40 days late.
    late_sub = subscribe(member_b, [catalogue], start=day - timedelta(days=70), number="DEV-2")
    services.run_invoicing(as_of=late_sub.start)
    late = services.issue_invoice(
        invoice=Invoice.objects.get(subscription=late_sub),
        issued_by=billing,
        issue_date=late_sub.start,
    )

    # -- The billing officer ------------------------------------------------------------------
    log_in(page, live_server, billing.email)
    nav(page, "Facturation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factures et avoirs")
    expect(nav(page, "Facturation")).to_have_attribute("aria-current", "page")

    # 1. The invoicing run: preview, then launch.
    page.get_by_role("link", name="Facturation annuelle").click()
    expect(
        page.get_by_text("1 période à facturer (1 adhérent(s), dont 0 au prorata).")
    ).to_be_visible()
    page.get_by_role("button", name=re.compile("^Lancer la facturation au")).click()
    expect(page.get_by_role("heading", name=re.compile("terminée$"))).to_be_visible()
    expect(page.get_by_text("1 brouillon créé")).to_be_visible()
    page.get_by_role("table", name="Brouillons créés").get_by_role("link", name="Brécey").click()

    # 2. Issue the draft (its commitment number came from the purchase order).
    expect(page.get_by_role("heading", level=1)).to_contain_text("brouillon")
    expect(field(page, "Numéro d'engagement")).to_have_value("EJ-77")
    page.get_by_role("button", name="Émettre la facture").click()
    expect(page.get_by_role("status")).to_contain_text("Facture FA-")
    heading = page.get_by_role("heading", level=1)
    number = re.search(r"FA-\d{4}-\d{5}", heading.inner_text()).group()
    expect(page.get_by_role("heading", name="Mentions figées à l'émission")).to_be_visible()

    # 3. Its Factur-X: a PDF carrying the EN 16931 XML.
    content = download(page, page.get_by_role("link", name="Télécharger le Factur-X"))
    name, xml = get_xml_from_pdf(content, check_xsd=False)
    assert name == "factur-x.xml"
    assert number.encode() in xml

    # 4. A partial mandate payment; then one larger than the rest, refused at the field.
    field(page, "Numéro de mandat").fill("M-2026-0153")
    field(page, "Montant payé (€)").fill("400,00")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.get_by_role("status")).to_have_text(
        "Paiement par le mandat M-2026-0153 enregistré."
    )
    expect(page.get_by_role("table", name="Paiements reçus")).to_contain_text("M-2026-0153")
    field(page, "Numéro de mandat").fill("M-2026-0154")
    field(page, "Montant payé (€)").fill("900")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.locator(".has-error")).to_contain_text("dépasse le reste dû")
    assert Payment.objects.count() == 1

    # 5. The late invoice of Avranches, reminded by letter from the overdue list.
    page.get_by_role("link", name="Impayés et relances").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=late.number))
    expect(row).to_contain_text("Avranches")
    expect(row).to_contain_text("40,00")
    row.get_by_role("button", name="Relancer").click()
    expect(page.get_by_role("status")).to_contain_text("Lettre de relance prête")
    assert Reminder.objects.filter(invoice=late).count() == 1

    # -- Alice, in her own browser -----------------------------------------------------------
    context = browser.new_context(**browser_context_args)
    try:
        portal = context.new_page()
        problems = watch_console(portal)
        log_in(portal, live_server, alice.email)
        expect(portal).to_have_url(f"{live_server.url}/portail/")
        nav(portal, "Factures").click()
        expect(portal.get_by_role("heading", level=1)).to_have_text("Mes factures")
        row = portal.get_by_role("row").filter(has=portal.get_by_role("rowheader", name=number))
        expect(row).to_contain_text("450,00")
        expect(row).to_contain_text("Partiellement payée")
        expect(portal.get_by_role("table")).not_to_contain_text(late.number)
        download(portal, row.get_by_role("link", name=f"Factur-X {number}"))
        assert problems == []
    finally:
        context.close()
