"""A practical sheet at work, through Debian's Chromium: Alice types a request in the portal,
sees a matching sheet, opens it and says it helped; the agent links it to her request and
resolves the request by the sheet; the sheet's resolved count rises."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from syndesk.core.testing import submit_login
from syndesk.desk.models import Outcome, Ticket
from syndesk.kb.models import Sheet, SheetVote

from .conftest import make_sheet

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def annex_reference_data(transactional_db):
    """The live server's tests flush the database, data migrations included: seed the
    desk's exclusions and SLA targets again (as the desk's browser tests do)."""
    seed = importlib.import_module("syndesk.desk.migrations.0002_seed_exclusions_and_sla")
    seed.seed(apps, None)


def log_in(page: Page, live_server, email: str, landing: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)
    expect(page).to_have_url(f"{live_server.url}{landing}")


def test_a_sheet_answers_a_request_from_typing_to_resolution(
    page: Page, live_server, alice, agent, subscription, emagnus
):
    sheet = make_sheet(
        agent,
        title="Télétransmission des flux PES refusée",
        summary="Que faire quand Hélios refuse un bordereau.",
        body="1. Ouvrez l'accusé de réception.\n2. Corrigez puis renvoyez.",
        software=[emagnus],
    )
    make_sheet(agent, title="Télétransmission : note interne", visibility=Sheet.Visibility.STAFF)

    # Alice describes her problem: the sheet appears while she types.
    log_in(page, live_server, alice.email, "/portail/")
    page.goto(f"{live_server.url}/portail/demandes/nouvelle/")
    page.get_by_label("Objet").press_sequentially("Télétransmission refusée")
    suggestion = page.get_by_role("link", name=sheet.title)
    expect(suggestion).to_be_visible()
    expect(page.get_by_text("note interne")).to_have_count(0)

    # She opens it (a new tab, her form stays) and says it helped.
    with page.context.expect_page() as opened:
        suggestion.click()
    tab = opened.value
    expect(tab.get_by_role("heading", level=1)).to_have_text(sheet.title)
    tab.get_by_role("region", name="Cette fiche vous a-t-elle aidé ?").get_by_role(
        "button", name="Oui"
    ).click()
    expect(tab.get_by_text("Merci pour votre avis.")).to_be_visible()
    tab.close()
    assert SheetVote.objects.get(sheet=sheet, user=alice).helpful

    # She still sends the request.
    page.get_by_label("Description").fill("Le bordereau 12 est refusé par Hélios.")
    page.get_by_role("button", name="Envoyer la demande").click()
    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/portail/demandes/{ticket.reference}/")

    # The agent links the suggested sheet and resolves the request by it.
    page.context.clear_cookies()
    log_in(page, live_server, agent.email, "/gestion/")
    page.goto(f"{live_server.url}/gestion/assistance/{ticket.reference}/")
    panel = page.get_by_role("region", name="Fiches pratiques")
    expect(panel).to_contain_text("Fiches suggérées")
    panel.get_by_role("button", name="Lier").first.click()
    expect(page.get_by_text(f"Fiche « {sheet.title} » liée à la demande.")).to_be_visible()
    page.get_by_role("region", name="Fiches pratiques").get_by_role(
        "button", name="Résoudre par fiche"
    ).click()
    expect(page.get_by_text("l'adhérent a reçu son lien")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.outcome == Outcome.BY_SHEET

    # The sheet's page counts the request.
    page.goto(f"{live_server.url}/gestion/fiches/{sheet.pk}/")
    expect(page.get_by_text(re.compile(r"A résolu 1 demande"))).to_be_visible()

    # Alice sees the sheet on her request.
    page.context.clear_cookies()
    log_in(page, live_server, alice.email, "/portail/")
    page.goto(f"{live_server.url}/portail/demandes/{ticket.reference}/")
    expect(page.get_by_role("region", name="Fiches pratiques")).to_contain_text(sheet.title)
