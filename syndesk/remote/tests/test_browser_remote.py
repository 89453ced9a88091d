"""The whole remote-maintenance journey in Debian's Chromium with two browser contexts: the
agent asks from the ticket page, the member user follows the email link, accepts, stays
present (htmx beats), leaves (presence lost: the agent's live panel warns), comes back
(restored), the agent asks for the closing, the member ends the session; the agent reads
the trail and downloads the PDF proof."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from syndesk.core.testing import submit_login, watch_console
from syndesk.remote import services
from syndesk.remote.models import PresenceSpan, RemoteSession, Status

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_beats(transactional_db, settings):
    # The live server runs in this process: a one-second beat keeps the test short.
    settings.REMOTE_PRESENCE_BEAT_SECONDS = 1


def log_in(page: Page, live_server, email: str, *, start: str = "/connexion/") -> None:
    page.goto(f"{live_server.url}{start}")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)


def field(scope, label: str):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_remote_session_with_consent_presence_loss_and_closing_by_the_user(
    page: Page, browser, browser_context_args, live_server, agent, alice, ticket, tools
):
    # The agent, on the ticket page, asks for a session.
    log_in(page, live_server, agent.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")
    page.goto(f"{live_server.url}/gestion/assistance/{ticket.reference}/")
    panel = page.get_by_role("region", name="Télémaintenance")
    field(panel, "Outil").select_option(label="RustDesk")
    field(panel, "Identifiant de session de l'outil").fill("123 456 789")
    field(panel, "Motif").fill("Contrôler le paramétrage du bordereau")
    panel.get_by_role("button", name="Envoyer la demande à l'adhérent").click()
    session = RemoteSession.objects.get()
    expect(page).to_have_url(f"{live_server.url}/gestion/telemaintenance/{session.pk}/")
    expect(page.locator(".remote-live")).to_contain_text("En attente de l'accord")
    expect(page.get_by_role("link", name=re.compile("Se connecter avec"))).to_have_count(0)

    # The member user follows the email link: sign-in, then the consent page.
    member_context = browser.new_context(**browser_context_args)
    member = member_context.new_page()
    member_problems = watch_console(member)
    log_in(member, live_server, alice.email, start=f"/portail/telemaintenance/{session.token}/")
    expect(member).to_have_url(f"{live_server.url}/portail/telemaintenance/{session.token}/")
    expect(member.get_by_role("heading", name="Votre accord est demandé")).to_be_visible()
    expect(member.locator(".consent-text")).to_contain_text("n'est ouverte qu'après mon accord")
    member.get_by_role("button", name="J'accepte la télémaintenance").click()
    expect(member.get_by_role("status")).to_contain_text("la session est ouverte")
    expect(member.get_by_role("button", name="Terminer la session")).to_be_visible()

    # Presence beats arrive every second; the agent's panel shows the launch link.
    wait_for(lambda: PresenceSpan.objects.filter(session=session).first().beats >= 3)
    expect(page.get_by_role("link", name="Se connecter avec RustDesk")).to_have_attribute(
        "href", "rustdesk://123456789"
    )
    expect(page.locator(".remote-live")).to_contain_text("Présence confirmée")

    # The member leaves the page: the watch flags the silence, the agent is warned.
    member.goto(f"{live_server.url}/portail/telemaintenance/")
    time.sleep(1.5)  # a beat already on its way lands first
    result = services.remote_watch(timezone.now() + timedelta(seconds=120))
    assert result.presence_lost == 1
    expect(page.locator(".remote-live")).to_contain_text("Présence perdue", timeout=10_000)

    # Back on the page: presence restored on the agent's side.
    member.goto(f"{live_server.url}/portail/telemaintenance/{session.token}/")
    expect(page.locator(".remote-live")).to_contain_text("Présence confirmée", timeout=10_000)

    # The agent asks for the closing; the member sees it and ends the session.
    page.get_by_role("button", name="Demander la fermeture").click()
    expect(page.get_by_role("status")).to_contain_text("Fermeture demandée")
    expect(member.locator("#remote-presence")).to_contain_text(
        "L'agent a terminé son intervention", timeout=10_000
    )
    member.get_by_role("button", name="Terminer la session").click()
    expect(member.get_by_role("status")).to_contain_text("Session terminée")
    session.refresh_from_db()
    assert (session.status, session.closed_by) == (Status.CLOSED, alice)

    # The agent reads the whole trail and downloads the proof.
    page.reload()
    trail = page.locator("table.remote-trail")
    for label in (
        "Demande de session",
        "Accord de l'utilisateur",
        "Présence perdue",
        "Présence rétablie",
        "Fermeture demandée par l'agent",
        "Session fermée par l'utilisateur",
    ):
        expect(trail).to_contain_text(label)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la preuve (PDF)").click()
    path = download_info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    member_context.close()
    assert member_problems == []


def test_the_agent_finds_a_session_in_the_list_of_all_sessions(
    page: Page, live_server, agent, manager, ticket, open_ticket, tools
):
    from .test_staff_list import make_session

    now = timezone.now()
    refused = make_session(
        ticket=ticket,
        tool=tools["TeamViewer"],
        by=manager,
        at=now - timedelta(hours=2),
        status=Status.REFUSED,
        reason="Installer la mise à jour",
    )
    make_session(ticket=open_ticket(), tool=tools["RustDesk"], by=agent, at=now)

    log_in(page, live_server, agent.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")
    page.get_by_role("link", name="Télémaintenance", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/gestion/telemaintenance/")
    expect(page.get_by_role("heading", name="Sessions de télémaintenance")).to_be_visible()
    results = page.locator("#results")
    expect(results.locator("tbody tr")).to_have_count(2)

    # Filtering by status refreshes the results in place (htmx) and the address.
    field(page, "État").select_option(label="Refusée")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("Installer la mise à jour")
    expect(page).to_have_url(re.compile(r"status=refused"))

    results.locator("tbody tr").first.get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server.url}/gestion/telemaintenance/{refused.pk}/")
    expect(page.get_by_role("heading", name=f"Télémaintenance n° {refused.pk}")).to_be_visible()
