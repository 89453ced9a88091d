"""The head of service's morning through Debian's Chromium: the dashboard says what waits,
and one click on a figure opens the list of those rows."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from syndesk.core.testing import submit_login
from syndesk.desk import services
from syndesk.desk.models import Channel

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def annex_reference_data(transactional_db):
    """The live server's tests flush the database after each test, data migrations
    included: seed the SLA targets again (the desk panel counts the breaching tickets)."""
    seed = importlib.import_module("syndesk.desk.migrations.0002_seed_exclusions_and_sla")
    seed.seed(apps, None)


def test_a_manager_sees_what_waits_and_opens_the_unassigned_queue(
    page: Page, live_server, manager, agent, member_a
):
    for subject in ("Mandat rejeté par le comptable", "Export Hélios en erreur"):
        services.open_ticket(
            member=member_a, channel=Channel.PHONE, subject=subject, opened_by=agent
        )
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(manager.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, manager.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")

    desk = page.get_by_role("region", name="Assistance", exact=True)
    # 0 is singular in French (the plural catalogue), plural in the source strings.
    expect(desk).to_contain_text(re.compile(r"0 demandes? qui (m'est|me sont) attribuées?"))
    billing = page.get_by_role("region", name="Facturation")
    expect(billing).to_contain_text(re.compile(r"0 factures? en brouillon à émettre"))

    desk.get_by_role("link", name="2 demandes non attribuées").click()
    expect(page).to_have_url(re.compile(r"/gestion/assistance/\?view=unassigned$"))
    expect(page.get_by_role("link", name="Non attribuées")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("Export Hélios en erreur")).to_be_visible()
    expect(page.get_by_text("Mandat rejeté par le comptable")).to_be_visible()
