"""The member portal's invoices: their own issued invoices only, with status, due date,
amount and the PDF / Factur-X downloads; never another member's, never a draft."""

import pytest
from django.urls import reverse

from syndesk.core.testing import assert_isolated, count_queries

from .test_views_helpers import (
    LATE_DAY,
    draft_for,
    frozen_today,
    issued_for,
    other_member_invoice,
    text,
)

pytestmark = pytest.mark.django_db


def purl(name: str, *args) -> str:
    return reverse(f"billing-portal:{name}", args=args)


def test_a_member_user_sees_their_invoices_and_downloads_them(client, alice, subscription, billing):
    invoice = issued_for(subscription, billing)
    client.force_login(alice)
    with frozen_today(LATE_DAY):
        response = client.get(purl("list"))
    page = text(response)
    assert invoice.number in page
    assert "15/04/2026" in page  # due date
    assert "850,00" in page
    assert "En retard" in page
    pdf = client.get(purl("pdf", invoice.pk))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    facturx = client.get(purl("facturx", invoice.pk))
    assert facturx.content.startswith(b"%PDF")


def test_drafts_are_never_shown_to_members(client, alice, subscription):
    draft = draft_for(subscription)
    client.force_login(alice)
    assert "Aucune facture pour le moment." in text(client.get(purl("list")))
    assert client.get(purl("pdf", draft.pk)).status_code == 404


def test_members_are_isolated(client, bob, charlie, subscription, member_b, support, billing):
    mine = issued_for(subscription, billing)
    theirs = other_member_invoice(member_b, support, billing)
    assert_isolated(
        client,
        bob,
        list_urls=[purl("list"), reverse("member-portal:home")],
        hidden_text=theirs.number,
        object_urls=[purl("pdf", theirs.pk), purl("facturx", theirs.pk)],
    )
    assert_isolated(
        client,
        charlie,
        list_urls=[purl("list"), reverse("member-portal:home")],
        hidden_text=mine.number,
        object_urls=[purl("pdf", mine.pk), purl("facturx", mine.pk)],
    )


def test_anonymous_users_are_sent_to_log_in(client, subscription, billing):
    invoice = issued_for(subscription, billing)
    for target in (purl("list"), purl("pdf", invoice.pk)):
        response = client.get(target)
        assert response.status_code == 302
        assert "/connexion/" in response["Location"]


def test_a_user_without_member_gets_the_no_member_page(client, agent):
    client.force_login(agent)
    assert client.get(purl("list")).status_code == 403


def test_the_portal_page_shows_the_invoices_card(client, alice, subscription, billing):
    issued_for(subscription, billing)
    client.force_login(alice)
    with frozen_today(LATE_DAY):
        page = text(client.get(reverse("member-portal:home")))
    assert "Mes factures" in page
    assert "1 facture à régler." in page
    assert "1 en retard de paiement." in page


def test_the_portal_list_runs_a_bounded_number_of_queries(client, alice, subscription, billing):
    issued_for(subscription, billing)
    client.force_login(alice)
    assert count_queries(lambda: client.get(purl("list"))) <= 12
