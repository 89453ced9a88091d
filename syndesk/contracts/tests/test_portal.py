"""The member's contract page in the portal, and the contract panels of the member pages.

Alice and Bob work for Brécey, Charlie for Avranches: each sees only their own organisation's
quotes (never drafts), annex, orders and subscription."""

import html
from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from syndesk.contracts import services
from syndesk.contracts.models import PurchaseOrder, Quote, Subscription, Termination
from syndesk.core.testing import assert_isolated, count_queries

from .test_views_helpers import (
    active_subscription,
    complete_order,
    draft_quote,
    frozen_today,
    pdf_upload,
    sent_quote,
    signed_quote,
)

pytestmark = pytest.mark.django_db
PORTAL = "contract-portal:home"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def brecey(member_a, billing, support):
    """Brécey: a subscription since 20 April 2026, a quote sent, a draft in progress."""
    subscription = active_subscription(member_a, billing, [support])  # DEV-2026-0001
    sent = sent_quote(member_a, billing, [support], day=date(2026, 10, 1))  # DEV-2026-0002
    draft = draft_quote(member_a, billing, [support], day=date(2026, 10, 2))  # DEV-2026-0003
    return {"subscription": subscription, "sent": sent, "draft": draft}


@pytest.fixture
def avranches(member_b, billing, support):
    quote = signed_quote(member_b, billing, [support], day=date(2026, 4, 1))  # DEV-2026-0004
    order = complete_order(quote, billing)
    return {"quote": quote, "order": order}


def test_the_member_sees_quotes_orders_and_subscription(client, alice, brecey):
    client.force_login(alice)
    with frozen_today(date(2026, 10, 15)):
        response = client.get(reverse(PORTAL))
    text = _text(response)
    assert response.status_code == 200
    assert [q.number for q in response.context["quotes"]] == ["DEV-2026-0002", "DEV-2026-0001"]
    assert "DEV-2026-0003" not in text  # drafts stay internal
    assert "Accepté" in text  # the order
    assert "20 avril 2027" in text  # next renewal
    assert (
        "Si votre lettre de résiliation nous parvenait aujourd'hui, le service prendrait fin le "
        "19 avril 2027 (préavis de deux mois à compter du 1er novembre 2026) ; la première année "
        "d'engagement court jusqu'au 19 avril 2027."
    ) in text
    assert reverse("contract-portal:quote-pdf", args=[brecey["sent"].pk]) in text
    assert reverse("contract-portal:annex") in text


def test_after_the_first_year_the_notice_alone_sets_the_end(client, alice, brecey):
    client.force_login(alice)
    with frozen_today(date(2027, 6, 15)):
        text = _text(client.get(reverse(PORTAL)))
    assert (
        "Si votre lettre de résiliation nous parvenait aujourd'hui, le service prendrait fin le "
        "31 août 2027 (préavis de deux mois à compter du 1er juillet 2027)."
    ) in text


def test_a_recorded_termination_is_shown_instead_of_the_simulation(client, alice, billing, brecey):
    services.record_termination(
        subscription=brecey["subscription"], received_on=date(2027, 3, 15), recorded_by=billing
    )
    client.force_login(alice)
    with frozen_today(date(2027, 3, 20)):
        response = client.get(reverse(PORTAL))
    assert response.context["simulation"] == ""
    assert (
        "Votre lettre de résiliation reçue le 15 mars 2027 a été enregistrée : le service "
        "prendra fin le 31 mai 2027."
    ) in _text(response)


def test_the_member_downloads_its_quote_and_annex(client, alice, brecey):
    client.force_login(alice)
    with mock.patch("syndesk.contracts.documents.quote_pdf", return_value=b"%PDF-quote") as pdf:
        response = client.get(reverse("contract-portal:quote-pdf", args=[brecey["sent"].pk]))
    assert response.content == b"%PDF-quote"
    assert pdf.call_args.args[0] == brecey["sent"]
    assert 'filename="DEV-2026-0002.pdf"' in response["Content-Disposition"]
    annex = client.get(reverse("contract-portal:quote-annex", args=[brecey["sent"].pk]))
    assert annex.content.startswith(b"%PDF-")
    assert client.get(reverse("contract-portal:annex")).content.startswith(b"%PDF-")


def test_a_member_user_cannot_reach_another_members_contract(client, alice, brecey, avranches):
    foreign, order = avranches["quote"], avranches["order"]
    assert_isolated(
        client,
        alice,
        list_urls=[reverse(PORTAL), reverse("member-portal:home"), reverse("web:portal")],
        hidden_text="DEV-2026-0004",
        object_urls=[
            reverse("contract-portal:quote-pdf", args=[foreign.pk]),
            reverse("contract-portal:quote-annex", args=[foreign.pk]),
            # Own draft: not published to the portal.
            reverse("contract-portal:quote-pdf", args=[brecey["draft"].pk]),
            # Back-office pages, even about Alice's own member.
            reverse("contracts:pipeline"),
            reverse("contracts:quote-detail", args=[foreign.pk]),
            reverse("contracts:quote-pdf", args=[brecey["sent"].pk]),
            reverse("contracts:order-detail", args=[order.pk]),
            reverse("contracts:order-file", args=[order.pk, "devis-signe"]),
            reverse("contracts:member-annex", args=[foreign.member.pk]),
            reverse("contracts:subscription-detail", args=[brecey["subscription"].pk]),
        ],
        post_urls=[
            (reverse("contracts:quote-refuse", args=[foreign.pk]), {}),
            (
                reverse("contracts:quote-sign", args=[brecey["sent"].pk]),
                {"signed_on": "2026-10-05"},
            ),
            (reverse("contracts:order-accept", args=[order.pk]), {"accepted_on": "2026-10-05"}),
            (
                reverse("contracts:termination-record", args=[brecey["subscription"].pk]),
                {"received_on": "2026-10-05", "letter": pdf_upload()},
            ),
        ],
        unchanged=lambda: (
            list(Quote.objects.order_by("pk").values_list("status", flat=True)),
            list(PurchaseOrder.objects.order_by("pk").values_list("status", flat=True)),
            Subscription.objects.count(),
            Termination.objects.count(),
        ),
    )


def test_charlie_sees_only_avranches(client, charlie, brecey, avranches):
    client.force_login(charlie)
    response = client.get(reverse(PORTAL))
    assert [q.number for q in response.context["quotes"]] == ["DEV-2026-0004"]
    assert response.context["subscription"] is None
    for quote in (brecey["sent"], brecey["subscription"].lines.get().order.quote):
        url = reverse("contract-portal:quote-pdf", args=[quote.pk])
        assert client.get(url).status_code == 404


def test_staff_without_a_member_get_the_no_member_page(client, billing):
    client.force_login(billing)
    assert client.get(reverse(PORTAL)).status_code == 403
    assert client.get(reverse("contract-portal:annex")).status_code == 404


def test_the_portal_page_runs_a_bounded_number_of_queries(client, alice, billing, brecey):
    client.force_login(alice)
    url = reverse(PORTAL)
    with frozen_today(date(2026, 10, 15)):
        first = count_queries(lambda: client.get(url))
        member = brecey["subscription"].member
        for day in (3, 4, 5):
            sent_quote(member, billing, [brecey["sent"].lines.get().offer], day=date(2026, 10, day))
        assert count_queries(lambda: client.get(url)) == first


# Panels -----------------------------------------------------------------------------------


def test_the_portal_member_page_links_to_the_contract(client, alice, brecey):
    client.force_login(alice)
    with frozen_today(date(2026, 10, 15)):
        text = _text(client.get(reverse("member-portal:home")))
    assert "Mon contrat" in text
    assert reverse(PORTAL) in text
    assert "Prochain renouvellement le 20 avril 2027." in text
    assert "1 devis en attente de votre signature." in text


def test_the_staff_member_page_shows_the_contract_history(client, agent, billing, brecey):
    member = brecey["subscription"].member
    services.record_request(
        member=member,
        received_on=date(2026, 9, 30),
        channel="email",
        summary="Ajout de l'option paie",
        created_by=billing,
    )
    client.force_login(agent)
    url = reverse("members:detail", args=[member.pk])
    with frozen_today(date(2026, 10, 15)):
        response = client.get(url)
        text = _text(response)
        first = count_queries(lambda: client.get(url))
        for day in (3, 4, 5):
            draft_quote(
                member, billing, [brecey["sent"].lines.get().offer], day=date(2026, 10, day)
            )
        assert count_queries(lambda: client.get(url)) == first
    for number in ("DEV-2026-0001", "DEV-2026-0002", "DEV-2026-0003"):
        assert number in text
    assert "Ajout de l'option paie" in text
    assert "prochain renouvellement le 20 avril 2027" in text
    assert reverse("contracts:subscription-detail", args=[brecey["subscription"].pk]) in text
    assert f"{reverse('contracts:request-create')}?member={member.pk}" in text  # agents may
    assert "?adherent=" not in text  # but do not quote
