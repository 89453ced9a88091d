"""The public site's static pages: how to order (the annex's five steps), legal notice,
privacy (GDPR) and accessibility statement (RGAA). No query, cacheable for visitors."""

import html
import re

import pytest
from django.urls import reverse

from syndesk.core.testing import count_queries

pytestmark = pytest.mark.django_db

PAGES = ["site:how-to-order", "site:legal-notice", "site:privacy", "site:accessibility"]


def text(client, name) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.mark.parametrize("name", PAGES)
def test_each_page_is_public_cheap_and_cacheable(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "max-age=600" in response["Cache-Control"]
    assert count_queries(lambda: client.get(reverse(name))) == 0
    body = response.content.decode()
    assert body.count("<h1>") == 1
    assert '<main id="contenu"' in body


@pytest.mark.parametrize("name", PAGES)
def test_signed_in_users_do_not_get_a_shared_cache_header(client, alice, name):
    client.force_login(alice)
    assert "max-age" not in client.get(reverse(name)).get("Cache-Control", "")


def test_how_to_order_gives_the_five_steps_and_the_documents(client):
    page = text(client, "site:how-to-order")
    steps = re.findall(r"<h2>(\d)\. ", page)
    assert steps == ["1", "2", "3", "4", "5"]
    assert "Vous qualifiez vos besoins" in page
    assert "devis signé" in page
    assert "deux exemplaires avec signature manuscrite" in page
    assert "valable un mois" in page
    assert "mandat administratif" in page
    assert f'href="{reverse("tariffs:index")}"' in page


def test_the_legal_notice_names_the_publisher(client, settings):
    page = text(client, "site:legal-notice")
    assert settings.SYNDICATE["legal_name"] in page
    assert "Directeur de la publication" in page
    assert settings.SYNDICATE["president"] in page


def test_the_privacy_page_names_controller_dpo_and_retention(client, settings):
    settings.SYNDICATE = {**settings.SYNDICATE, "dpo_email": "dpo@syndicat.example"}
    page = text(client, "site:privacy")
    assert "Responsable du traitement" in page
    assert "dpo@syndicat.example" in page
    for period in ("puis 3 ans", "10 ans", "6 mois au plus", "1 an"):
        assert period in page
    assert "article 28" in page
    assert "CNIL" in page


def test_the_accessibility_statement_is_partially_compliant_with_a_contact(client, settings):
    page = text(client, "site:accessibility")
    assert "partiellement conforme" in page
    assert "RGAA), version 4.1" in page
    assert "Retour d'information et contact" in page
    assert settings.SYNDICATE["email"] in page
    assert "Défenseur des droits" in page


def test_the_annex_specimen_is_a_pdf_anyone_can_read(client, db):
    from io import BytesIO

    from pypdf import PdfReader

    response = client.get(reverse("site:annex-specimen"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Assistance sur les logiciels métiers et la dématérialisation" in text
    assert "préavis de deux mois" in text
    assert reverse("site:annex-specimen") in client.get(reverse("site:how-to-order")).text
