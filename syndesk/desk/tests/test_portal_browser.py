"""The member's journey through Debian's Chromium: from the organisation page, submit a request
with a file, read the agent's answer, reply, then rate the resolution in one click."""

import re

import pytest
from playwright.sync_api import Page, expect

from syndesk.desk import services
from syndesk.desk.models import Channel, Satisfaction, Status, Ticket
from syndesk.desk.panels import register_panels

from .conftest import PDF

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{live_server.url}/portail/")


def test_a_member_submits_follows_replies_and_rates_a_request(
    page: Page, live_server, alice, subscription, emagnus, agent
):
    register_panels()
    log_in(page, live_server, alice.email)
    page.get_by_role("link", name="Mon organisation", exact=True).click()
    card = page.get_by_role("region", name="Mes demandes d'assistance")
    expect(card).to_contain_text("Aucune demande en cours.")
    card.get_by_role("link", name="Nouvelle demande").click()

    # The subscription's software comes first; a file goes with the request.
    page.get_by_label("Logiciel concerné").select_option(label="e.magnus")
    page.get_by_label("Type de demande").select_option(label="Anomalie")
    page.get_by_label("Objet").fill("Bordereau rejeté par la trésorerie")
    page.get_by_label("Description").fill("Le bordereau 12 revient avec l'erreur 42.")
    page.get_by_label("Pièces jointes").set_input_files(
        [{"name": "erreur.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer la demande").click()

    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/portail/demandes/{ticket.reference}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Votre demande {ticket.reference} est enregistrée."
    )
    expect(page.get_by_role("link", name="erreur.pdf")).to_be_visible()
    assert (ticket.channel, ticket.requester, ticket.software) == (Channel.PORTAL, alice, emagnus)

    # The agent asks a question; Alice answers from the page.
    services.add_reply(
        ticket=ticket,
        body="Pouvez-vous préciser le message affiché ?",
        by=agent,
        wait_for_member=True,
    )
    page.reload()
    expect(page.get_by_text("En attente de votre réponse")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text="préciser le message")).to_contain_text(
        "assistance"
    )
    page.get_by_label("Votre message").fill("« Erreur 42 : compte inconnu ».")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Votre message est envoyé")
    expect(page.get_by_role("article").filter(has_text="compte inconnu")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS

    # Resolved: one click on the thumbs-up button, labelled in words.
    services.resolve(ticket=ticket, by=agent)
    page.reload()
    page.get_by_label("Commentaire (facultatif)").fill("Merci, c'est réglé.")
    thumbs_up = page.get_by_role("button", name="Satisfait", exact=True)  # the emoji is hidden
    expect(thumbs_up).to_have_text(re.compile(r"^\s*👍\s+Satisfait\s*$"))
    expect(page.get_by_role("button", name="Pas satisfait", exact=True)).to_be_visible()
    thumbs_up.click()
    expect(page.get_by_role("status")).to_contain_text("Merci pour votre évaluation.")
    expect(page.get_by_role("region", name="Votre évaluation")).to_contain_text("Satisfait")
    ticket.refresh_from_db()
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (
        Satisfaction.SATISFIED,
        "Merci, c'est réglé.",
    )
