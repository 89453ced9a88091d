"""The agents' journeys through Debian's Chromium: a call from a known number becomes a
ticket that is answered and resolved; an out-of-scope request is redirected in one click."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from syndesk.conftest import make_user
from syndesk.core import roles
from syndesk.core.testing import submit_login
from syndesk.desk.models import Outcome, Status, Ticket, TicketMessage
from syndesk.members.models import MemberPhone

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def annex_reference_data(transactional_db):
    """The live server's tests flush the database after each test, data migrations
    included: seed the annex's exclusions and the SLA targets again."""
    seed = importlib.import_module("syndesk.desk.migrations.0002_seed_exclusions_and_sla")
    seed.seed(apps, None)


@pytest.fixture
def desk_agent(db):
    return make_user("agnes@syndicat.example", role=roles.AGENT)


@pytest.fixture
def town_hall(member_a, subscription):
    """Brécey's town-hall number, known to Syndesk; its subscription covers e.magnus."""
    return MemberPhone.objects.create(member=member_a, number="+33233480100")


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")


def take_call(page: Page, live_server, number: str) -> None:
    page.goto(f"{live_server.url}/gestion/assistance/appel/")
    number_field = field(page, "Numéro de l'appelant")
    expect(number_field).to_be_focused()
    number_field.fill(number)
    number_field.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Appel du 02 33 48 01 00$")
    )


def test_agent_takes_a_call_creates_answers_and_resolves_a_ticket(
    page: Page, live_server, desk_agent, town_hall, emagnus
):
    log_in(page, live_server, desk_agent.email)
    take_call(page, live_server, "02 33 48 01 00")

    caller = page.get_by_role("region", name="Appelant")
    expect(caller).to_contain_text("Brécey")
    expect(page.locator(".entitlement")).to_have_text(re.compile(r"Couvert : Abonnement actif\."))
    expect(page.get_by_role("region", name="Abonnement")).to_contain_text("e.magnus")
    expect(page.get_by_role("region", name="Logiciels installés")).to_contain_text(
        "pas encore disponible"
    )

    # A few keystrokes: the subject has the focus, the software says it is covered, Enter.
    subject = field(page, "Objet")
    expect(subject).to_be_focused()
    page.keyboard.type("Mandat rejeté par le comptable")
    field(page, "Logiciel").select_option(label="e.magnus")
    expect(page.locator("#live-entitlement")).to_contain_text(
        "Couvert : Abonnement actif couvrant e.magnus."
    )
    subject.press("Enter")

    # The page reaches the new ticket before the database is read (no race with the server).
    expect(page).to_have_url(re.compile(r"/gestion/assistance/AS-\d{4}-\d+/$"))
    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/gestion/assistance/{ticket.reference}/")
    expect(page.get_by_role("status")).to_have_text(f"Demande {ticket.reference} créée.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{ticket.reference} — Mandat rejeté par le comptable"
    )
    expect(page.get_by_text("Appel en cours avec le 02 33 48 01 00")).to_be_visible()

    field(page, "Message").fill("Relancez le bordereau 12 après avoir corrigé l'IBAN.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée à l'adhérent.")
    reply = page.locator("article.msg-staff")
    expect(reply).to_contain_text("Réponse du syndicat")
    expect(reply).to_contain_text("Relancez le bordereau 12")

    page.get_by_role("button", name="Résoudre la demande").click()
    expect(page.get_by_role("status")).to_have_text("Demande résolue ; l'adhérent en est informé.")
    expect(page.locator("dl.facts")).to_contain_text("Résolue — Résolue")

    page.get_by_role("button", name="Terminer l'appel").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"Appel terminé \(\d+ (min \d+ )?s\)\.")
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.entitled) == (
        Status.RESOLVED,
        Outcome.SOLVED,
        True,
    )
    call = ticket.calls.get()
    assert call.ended_at is not None
    assert call.agent == desk_agent
    assert ticket.messages.filter(kind=TicketMessage.Kind.PUBLIC, from_staff=True).exists()


def test_an_out_of_scope_request_is_redirected_in_one_click(
    page: Page, live_server, desk_agent, town_hall
):
    log_in(page, live_server, desk_agent.email)
    take_call(page, live_server, "0233480100")

    page.keyboard.type("Formation au logiciel de paie")
    suggestion = page.locator("#call-suggestions")
    expect(suggestion).to_contain_text("Hors périmètre ? Formation du personnel")
    field(page, "Objet").press("Enter")

    expect(page).to_have_url(re.compile(r"/gestion/assistance/AS-\d{4}-\d+/$"))
    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/gestion/assistance/{ticket.reference}/")
    page.get_by_role("button", name="Hors périmètre : Formation du personnel").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Demande réorientée (Formation du personnel)"
    )
    expect(page.locator("dl.facts")).to_contain_text("Close — Réorientée (hors périmètre)")
    expect(page.locator("article.msg-staff")).to_contain_text(
        "fournisseurs et interlocuteurs habituels"
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome, ticket.exclusion.title) == (
        Status.CLOSED,
        Outcome.REDIRECTED,
        "Formation du personnel",
    )
