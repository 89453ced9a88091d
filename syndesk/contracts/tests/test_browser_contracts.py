"""The ordering chain in Debian's Chromium, through the web pages only: a billing officer
takes Brécey from its first request to an active subscription, re-issues an expired quote,
then Alice (Brécey) finds every document in the portal.

Dates are computed from the server's "today" (timezone.localdate(), what the views use), so
the test never ages: the tariff grid is in force since a year, the expired quote is 45 days
old."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Browser, Locator, Page, expect

from syndesk.catalog.models import Deliberation, Offer, TariffGrid
from syndesk.contracts import rules, services
from syndesk.core.formats import long_date
from syndesk.core.testing import submit_login, watch_console

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SIGNED_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SUPPORT = "Assistance logiciels métiers et dématérialisation"
SUPPORT_CHOICE = f"{SUPPORT} — assistance (abonnement annuel)"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fr(day) -> str:
    """A date as the templates write it (``|date:"j F Y"``)."""
    with translation.override("fr"):
        return dateformat.format(day, "j F Y")


def fr_long(day) -> str:
    with translation.override("fr"):
        return long_date(day)


def field(page: Page, label: str) -> Locator:
    """A form control by its label, which Django suffixes with " :" in French."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name, exact=True
    )


def download_pdf(page: Page, link: Locator) -> bytes:
    """Click a download link: the browser saves a PDF; the same URL, fetched with the
    page's cookies, is served as application/pdf (a download fires no "response" event and
    escapes page.route() in Chromium, hence the second request for the headers)."""
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    content = Path(download.path()).read_bytes()
    assert download.suggested_filename.endswith(".pdf")
    assert content.startswith(b"%PDF")
    response = page.request.get(download.url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    return content


def fact(page: Page, term: str) -> Locator:
    """The <dd> that follows the <dt> `term` in a facts list."""
    dt = page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$"))
    return dt.locator("xpath=following-sibling::dd[1]")


@pytest.fixture
def catalogue(db):
    """The support offer, priced flat by a deliberation in force for a year."""
    day = timezone.localdate()
    deliberation = Deliberation.objects.create(
        number="CS-TEST-12",
        date=day - timedelta(days=400),
        subject="Tarifs de l'assistance",
        enforceable_on=day - timedelta(days=390),
    )
    offer = Offer.objects.create(
        code="assistance",
        name=SUPPORT,
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


def test_billing_officer_takes_a_member_from_request_to_subscription_and_member_sees_it(
    page: Page,
    browser: Browser,
    browser_context_args,
    live_server,
    billing,
    alice,
    member_a,
    catalogue,
):
    day = timezone.localdate()
    # An older quote, sent 45 days ago and never signed: past its one-month validity.
    stale_day = day - timedelta(days=45)
    stale = services.create_quote(
        member=member_a, quote_date=stale_day, offers=[catalogue], created_by=billing
    )
    services.send_quote(quote=stale, sent_on=stale_day, sent_by=billing)

    # -- The billing officer ---------------------------------------------------------------
    log_in(page, live_server, billing.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")
    nav(page, "Contrats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Contrats : demandes, devis, commandes"
    )
    expect(nav(page, "Contrats")).to_have_attribute("aria-current", "page")  # one link, current

    # 1. The request.
    page.get_by_role("link", name="Enregistrer une demande").click()
    field(page, "Adhérent").select_option(label="Brécey")
    expect(field(page, "Reçue le")).to_have_value(day.isoformat())
    field(page, "Canal").select_option(label="Courriel")
    field(page, "Objet").fill("Adhésion à l'assistance")
    field(page, "Besoins exprimés").fill("e.magnus sur 3 postes, télétransmission S²LOW.")
    page.get_by_label(SUPPORT_CHOICE).check()
    page.get_by_role("button", name="Enregistrer la demande").click()
    expect(page.get_by_role("status")).to_have_text("Demande enregistrée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande : Adhésion à l'assistance")

    # 2. The quote, from the request (its offers are ticked already).
    page.get_by_role("link", name="Établir un devis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau devis pour Brécey")
    expect(page.get_by_label(SUPPORT_CHOICE)).to_be_checked()
    expect(field(page, "Date du devis")).to_have_value(day.isoformat())
    page.get_by_role("button", name="Établir le devis").click()
    expect(page.get_by_role("status")).to_contain_text("établi (brouillon)")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Brouillon")
    number = re.search(r"DEV-\d{4}-\d{4}", heading.inner_text()).group()
    expect(fact(page, "Valable jusqu'au")).to_have_text(fr(rules.quote_valid_until(day)))
    lines = page.get_by_role("table", name="Lignes du devis, prix et calcul")
    expect(lines.get_by_role("rowheader", name=SUPPORT)).to_be_visible()
    expect(lines).to_contain_text("850,00")

    # 3. Sent, then its documents downloaded.
    expect(field(page, "Envoyé le")).to_have_value(day.isoformat())
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(f"Devis {number} envoyé.")
    expect(heading).to_contain_text("Envoyé")
    download_pdf(page, page.get_by_role("link", name="Devis (PDF)"))
    download_pdf(page, page.get_by_role("link", name=re.compile("^Annexe des conditions")))

    # 4. Signed today.
    field(page, "Signé le").fill(day.isoformat())
    page.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.get_by_role("status")).to_have_text(f"Signature du devis {number} enregistrée.")
    expect(heading).to_contain_text("Signé")

    # 5. The purchase order, the signed annex still missing.
    page.get_by_role("link", name="Enregistrer le bon de commande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bon de commande du devis {number}")
    expect(field(page, "Bon de commande reçu le")).to_have_value(day.isoformat())
    field(page, "Référence du bon de commande").fill("BC-117")
    field(page, "Numéro d'engagement").fill("ENG-2026-0042")
    field(page, "Devis signé").set_input_files(
        files=[{"name": "devis-signe.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF}]
    )
    field(page, "Deux originaux papier de l'annexe reçus le").fill(day.isoformat())
    page.get_by_role("button", name="Enregistrer le bon de commande").click()
    expect(page.get_by_role("status")).to_have_text("Bon de commande enregistré.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bon de commande — Brécey")
    expect(page.get_by_role("link", name="Devis signé", exact=True)).to_be_visible()

    # 6. "Accepter" with the annex missing: refused, with the French list of what is missing.
    page.get_by_role("button", name="Accepter la commande").click()
    expect(page.get_by_role("alert").filter(has_text="ne peut être accepté")).to_have_text(
        "Le bon de commande ne peut être accepté ; il manque : "
        "l'annexe des conditions particulières signée."
    )
    expect(page.locator("#missing")).to_contain_text("Pour accepter la commande, il manque :")
    expect(page.locator("#missing li")).to_have_text(
        ["l'annexe des conditions particulières signée"]
    )

    # 7. The signed annex arrives: completed, then accepted.
    field(page, "Annexe des conditions particulières signée").set_input_files(
        files=[{"name": "annexe-signee.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF}]
    )
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Bon de commande complété.")
    expect(
        page.get_by_text("Toutes les pièces sont là : la commande peut être acceptée.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Annexe signée", exact=True)).to_be_visible()
    expect(field(page, "Acceptée le")).to_have_value(day.isoformat())
    page.get_by_role("button", name="Accepter la commande").click()

    # 8. The subscription page: start date and next renewal.
    expect(page.get_by_role("status")).to_have_text(
        "Commande acceptée : l'assistance est ouverte à l'adhérent."
    )
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(live_server.url)}/gestion/contrats/abonnements/\d+/$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnement — Brécey Active")
    renewal = rules.next_renewal(day, day)
    expect(fact(page, "Début (première commande)")).to_have_text(fr(day))
    expect(fact(page, "Prochain renouvellement")).to_have_text(fr(renewal))
    expect(fact(page, "Engagement minimal")).to_have_text(
        f"jusqu'au {fr(rules.minimum_term_end(day))}"
    )
    expect(page.get_by_role("heading", name="Offres souscrites")).to_be_visible()
    expect(page.get_by_text(f"{SUPPORT} — depuis le {fr(day)} (devis {number})")).to_be_visible()

    # 9. The older quote: a signature today is refused, then the quote is re-issued.
    nav(page, "Contrats").click()
    quotes = page.get_by_role("table", name=re.compile("^Devis en brouillon ou envoyés"))
    expect(quotes.get_by_role("row")).to_have_count(2)  # header + the stale quote only
    expect(quotes).to_contain_text("expiré")
    quotes.get_by_role("link", name=stale.number).click()
    field(page, "Signé le").fill(day.isoformat())
    page.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.locator(".field.has-error")).to_contain_text(
        f"Le devis {stale.number} était valable jusqu'au {fr_long(stale.valid_until)} : une "
        f"signature du {fr_long(day)} ne peut être acceptée. Réémettez le devis à la date du jour."
    )
    expect(page.get_by_role("heading", name="Devis expiré")).to_be_visible()
    page.get_by_role("button", name="Réémettre le devis à la date du jour").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"émis le {fr_long(day)} ; il remplace le devis {stale.number}."
    )
    new_heading = page.get_by_role("heading", level=1)
    expect(new_heading).to_contain_text("Brouillon")
    new_number = re.search(r"DEV-\d{4}-\d{4}", new_heading.inner_text()).group()
    assert new_number not in (number, stale.number)
    expect(fact(page, "Remplace")).to_have_text(stale.number)
    expect(fact(page, "Date du devis")).to_have_text(fr(day))

    # -- Alice, in her own browser ----------------------------------------------------------
    context = browser.new_context(**browser_context_args)
    try:
        portal = context.new_page()
        problems = watch_console(portal)
        log_in(portal, live_server, alice.email)
        expect(portal).to_have_url(f"{live_server.url}/portail/")
        nav(portal, "Mon contrat").click()
        expect(portal.get_by_role("heading", level=1)).to_have_text("Contrat d'assistance — Brécey")

        table = portal.get_by_role("table", name="Devis adressés à votre organisation")
        signed_row = table.get_by_role("row").filter(
            has=portal.get_by_role("rowheader", name=number)
        )
        expect(signed_row).to_contain_text("Signé")
        expect(table.get_by_role("row").filter(has_text=stale.number)).to_contain_text("Expiré")
        expect(table).not_to_contain_text(new_number)  # the new draft stays internal
        download_pdf(portal, signed_row.get_by_role("link", name=f"Devis (PDF) {number}"))
        download_pdf(portal, signed_row.get_by_role("link", name=f"Annexe (PDF) {number}"))

        orders = portal.get_by_role("table", name="Bons de commande reçus par le syndicat")
        order_row = orders.get_by_role("row").filter(has_text=number)
        expect(order_row.get_by_role("cell")).to_have_text(
            [fr(day), "BC-117", number, f"Accepté — {fr(day)}"]
        )

        expect(fact(portal, "État")).to_have_text("Active")
        expect(fact(portal, "Depuis le")).to_have_text(fr(day))
        expect(fact(portal, "Prochain renouvellement")).to_have_text(
            f"{fr(renewal)} (par tacite reconduction)"
        )
        explanation = rules.termination_explanation(day, day)
        expected = (
            "Si votre lettre de résiliation nous parvenait aujourd'hui, le service prendrait fin "
            f"le {fr_long(explanation.last_day)} (préavis de deux mois à compter du "
            f"{fr_long(explanation.notice_start)})"
        )
        expect(portal.get_by_text(expected)).to_be_visible()
        assert problems == []
    finally:
        context.close()
