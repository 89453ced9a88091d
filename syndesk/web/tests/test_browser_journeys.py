"""End-to-end journeys through Debian's Chromium: real clicks and typing, French labels."""

import re

import pytest
from playwright.sync_api import Page, expect
from stdnum.fr import siren as siren_check

from syndesk.core.testing import submit_login
from syndesk.members.demo import with_luhn
from syndesk.members.models import Membership

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
OPEN = "L'assistance est ouverte."
CLOSED = re.compile(r"^L'assistance est fermée\.\s+Réouverture le \w+ \d{1,2} \w+ à \d{2}h\d{2}\.$")


def field(page: Page, label: str):
    """A form control by its label, which Django suffixes with " :" in French."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)


def test_visitor_sees_desk_status_and_weekly_hours(page: Page, live_server, db):
    page.goto(live_server.url + "/")

    status = page.get_by_test_id("desk-status")
    expect(status).to_be_visible()
    text = " ".join(status.inner_text().split())
    assert text == OPEN or CLOSED.match(text), text

    hours = page.get_by_role("table", name="Horaires de la semaine")
    for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"):
        row = hours.get_by_role("row").filter(has=page.get_by_role("rowheader", name=day))
        expect(row).to_contain_text("08h30")


def test_member_user_logs_in_sees_her_organisation_but_not_the_back_office(
    page: Page, live_server, alice
):
    log_in(page, live_server, alice.email)

    expect(page).to_have_url(f"{live_server.url}/portail/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    expect(page.get_by_role("heading", name="Brécey")).to_be_visible()

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mon organisation"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/portail/organisation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Brécey")
    siren = page.locator("dl.facts dt", has_text=re.compile(r"^SIREN$"))
    expect(siren.locator("xpath=following-sibling::dd[1]")).to_have_text("215007402")

    response = page.goto(f"{live_server.url}/gestion/adherents/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")


def test_manager_creates_a_member_after_fixing_an_invalid_siren(page: Page, live_server, manager):
    siren = with_luhn("2150129", 9, siren_check)
    log_in(page, live_server, manager.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")

    page.get_by_role("link", name="Adhérents", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/gestion/adherents/")
    page.get_by_role("link", name="Nouvel adhérent").click()
    expect(page).to_have_url(f"{live_server.url}/gestion/adherents/nouveau/")

    field(page, "Nom").fill("Cherbourg-en-Cotentin")
    field(page, "SIREN").fill("123456789")
    field(page, "Code INSEE").fill("50129")
    field(page, "Population").fill("78258")
    field(page, "Millésime de la population").fill("2023")
    field(page, "Numéros de téléphone").fill("02 33 87 88 89")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    siren_field = field(page, "SIREN")
    expect(siren_field).to_have_accessible_description(re.compile("SIREN invalide"))
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error")).to_contain_text(
        "SIREN invalide : 9 chiffres dont le dernier est une clé de contrôle."
    )

    siren_field.fill(siren)
    page.get_by_role("button", name="Enregistrer").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/gestion/adherents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cherbourg-en-Cotentin")
    expect(page.get_by_role("status")).to_have_text("Fiche de Cherbourg-en-Cotentin enregistrée.")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(siren)
    expect(facts).to_contain_text("02 33 87 88 89")


def test_member_user_switches_organisation(page: Page, live_server, alice, member_b):
    Membership.objects.create(user=alice, member=member_b)
    log_in(page, live_server, alice.email)
    expect(page).to_have_url(f"{live_server.url}/portail/")

    switcher = page.get_by_label("Vous agissez pour")
    current = switcher.locator("option:checked").inner_text()
    other = {"Brécey": "Avranches", "Avranches": "Brécey"}[current]
    expect(page.get_by_role("heading", level=2, name=current)).to_be_visible()

    switcher.select_option(label=other)
    page.get_by_role("button", name="Changer").click()

    expect(page.get_by_role("status")).to_have_text(f"Vous agissez pour {other}.")
    expect(page.get_by_role("heading", level=2, name=other)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=current)).to_have_count(0)
    expect(page.locator("#switch-member option:checked")).to_have_text(other)
    page.get_by_role("link", name="Voir la fiche de mon organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(other)


def test_an_english_browser_gets_a_page_in_one_language(browser, live_server, db):
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        status = page.get_by_test_id("desk-status")
        expect(status).to_be_visible()
        lang = page.locator("html").get_attribute("lang")
        text = " ".join(status.inner_text().split())
        first_day = page.get_by_role("table").get_by_role("rowheader").first.inner_text()
        if lang == "fr":
            assert text == OPEN or CLOSED.match(text), text
            assert first_day == "Lundi"
        else:
            assert lang == "en"
            assert not text.startswith("L'assistance"), text
            assert first_day == "Monday"
    finally:
        context.close()
