"""The inventory journey through Debian's Chromium: a town-hall secretary declares a
planned purchase and sees the prerequisite check at once; the agent accepts it; the next
call from the town hall shows the software, its version and the masked licence."""

import re

import pytest
from playwright.sync_api import Page, expect

from syndesk.conftest import make_user
from syndesk.core import roles
from syndesk.core.testing import submit_login
from syndesk.inventory.models import Installation
from syndesk.members.models import MemberPhone

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, email)


def nav(page: Page, name: str):
    return page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name, exact=True
    )


@pytest.fixture
def desk_agent(transactional_db):
    return make_user("agnes@syndicat.example", role=roles.AGENT)


def test_member_declares_a_planned_purchase_and_the_agent_sees_it_on_the_call_screen(
    page: Page, live_server, alice, desk_agent, member_a, v2026
):
    MemberPhone.objects.create(member=member_a, number="+33233480100")

    # -- Alice checks a planned purchase, then declares it -----------------------------------
    log_in(page, live_server, alice.email)
    expect(page).to_have_url(f"{live_server.url}/portail/")
    nav(page, "Parc").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notre parc informatique")
    page.get_by_role("link", name="Vérifier un achat prévu").first.click()
    field(page, "Nom du poste ou serveur").fill("Accueil 2")
    field(page, "Système d'exploitation").fill("Windows 11 Pro")
    field(page, "Mémoire vive (Go)").fill("4")
    field(page, "Pour le logiciel").select_option(label="e.magnus")
    field(page, "Version prévue").select_option(label="e.magnus 2026")
    page.get_by_role("button", name="Vérifier les prérequis").click()
    check = page.get_by_role("region", name=re.compile("Vérification des prérequis"))
    expect(check).to_contain_text("non conforme")
    expect(check).to_contain_text("4 Go seulement, 8 Go demandés.")
    expect(check).to_contain_text("Windows 11 convient.")
    # She chooses a machine with more memory and sends the declaration.
    field(page, "Mémoire vive (Go)").fill("16")
    page.get_by_role("button", name="Transmettre la déclaration").click()
    expect(page.get_by_role("status")).to_contain_text("Déclaration transmise au syndicat.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Achat de matériel prévu — e.magnus")
    expect(page.get_by_role("region", name=re.compile("Vérification"))).to_contain_text("conforme")
    page.context.clear_cookies()

    # -- The agent accepts it ---------------------------------------------------------------
    log_in(page, live_server, desk_agent.email)
    nav(page, "Parc").click()
    page.get_by_role("link", name="Achat de matériel prévu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Achat de matériel prévu — e.magnus")
    page.get_by_role("button", name="Accepter et mettre à jour l'inventaire").click()
    expect(page.get_by_role("status")).to_contain_text("l'inventaire est à jour")
    installation = Installation.objects.get(member=member_a)
    Installation.objects.filter(pk=installation.pk).update(licence_key="EMAG-7H2K-99QX-4242")

    # -- The town hall calls: the call screen shows the software and the masked licence ----
    page.goto(f"{live_server.url}/gestion/assistance/appel/")
    number_field = field(page, "Numéro de l'appelant")
    number_field.fill("02 33 48 01 00")
    number_field.press("Enter")
    installed = page.get_by_role("region", name="Logiciels installés")
    expect(installed).to_contain_text("e.magnus")
    expect(installed).to_contain_text("2026")
    expect(installed).to_contain_text("4242")
    expect(installed).not_to_contain_text("EMAG-7H2K")
    expect(installed).to_contain_text("Accueil 2")
    installed.get_by_role("button", name=re.compile("Afficher")).click()
    expect(installed).to_contain_text("EMAG-7H2K-99QX-4242")
