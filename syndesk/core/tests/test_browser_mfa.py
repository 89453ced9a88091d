"""A new agent's first sign-in through Debian's Chromium: the two-factor enrolment comes
first, then every sign-in asks for the authenticator's code."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from syndesk.core.models import AuditEntry

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
STEP = 30


class Authenticator:
    """What the phone app does with the secret typed in by hand: one code per 30 s step,
    and never the same step twice (the server refuses a replayed code)."""

    def __init__(self, secret: str):
        self.key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
        self.last_step = -1

    def code(self) -> str:
        now = int(time.time()) // STEP
        ahead = max(0, self.last_step + 1 - now)  # at most one step: within the tolerance
        self.last_step = now + ahead
        return f"{totp(self.key, step=STEP, drift=ahead):06d}"


def enter_password(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_an_agent_enrols_then_signs_in_with_a_code(page: Page, live_server, agent):
    enter_password(page, live_server, agent.email)

    # No device yet: the enrolment page, and nothing else, until it is done.
    expect(page).to_have_url(f"{live_server.url}/compte/double-authentification/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Double authentification")
    expect(page.get_by_role("img", name="QR code à scanner")).to_be_visible()
    page.goto(f"{live_server.url}/gestion/assistance/")
    expect(page).to_have_url(f"{live_server.url}/compte/double-authentification/")

    app = Authenticator(page.locator("#mfa-secret").inner_text())
    page.get_by_label("Code à 6 chiffres").fill(app.code())
    page.get_by_role("button", name="Confirmer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Codes de secours")
    codes = page.get_by_role("list", name="Codes de secours").get_by_role("listitem")
    expect(codes).to_have_count(10)
    expect(page.get_by_text("La double authentification est activée.")).to_be_visible()
    page.get_by_role("link", name="J'ai conservé mes codes").click()
    expect(page.get_by_text(re.compile(r"Il vous reste 10 codes de secours"))).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()

    # From now on: password, then the app's code.
    enter_password(page, live_server, agent.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
    page.get_by_label("Code à 6 chiffres ou code de secours").fill(app.code())
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{live_server.url}/gestion/")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Assistance", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes d'assistance")
    assert AuditEntry.objects.filter(action="accounts.mfa.enabled", actor=agent).count() == 1
