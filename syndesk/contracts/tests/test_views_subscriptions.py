"""The subscription page: periods, renewal, covered software, entitlement, and termination
with its computed last day explained step by step (and a simulation)."""

import html
from datetime import date

import pytest
from django.urls import reverse

from syndesk.contracts import services
from syndesk.contracts.models import Subscription, Termination
from syndesk.core.testing import count_queries

from .test_views_helpers import (
    active_subscription,
    fake_pdf_upload,
    frozen_today,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def subscription(member_a, billing, support, payroll_option):
    return active_subscription(member_a, billing, [support, payroll_option])  # 20 April 2026


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _detail(subscription):
    return reverse("contracts:subscription-detail", args=[subscription.pk])


def test_the_page_shows_periods_renewal_offers_and_entitlement(client, agent, subscription):
    client.force_login(agent)
    with frozen_today(date(2027, 6, 1)):
        response = client.get(_detail(subscription))
    text = _text(response)
    assert response.context["period"] == {
        "number": 2,
        "start": date(2027, 4, 20),
        "end": date(2028, 4, 19),
    }
    assert response.context["next_renewal"] == date(2028, 4, 20)
    assert "Assistance ouverte" in text
    assert "Assistance ouverte jusqu'au" not in text  # tacit renewal: no known end
    assert "Tacite reconduction" in text
    assert "Option paie e.magnus" in text
    assert [s.name for s in response.context["software"]] == ["e.magnus"]
    assert "contracts.subscription.opened" in text
    # Agents read: no termination or change forms.
    assert "Enregistrer la résiliation" not in text
    assert "Modifier l'abonnement" not in text


def test_the_page_runs_a_bounded_number_of_queries(client, billing, subscription):
    client.force_login(billing)
    url = _detail(subscription)
    with frozen_today(date(2027, 6, 1)):
        first = count_queries(lambda: client.get(url))
        for received in (date(2027, 1, 5), date(2027, 2, 5)):
            termination = services.record_termination(
                subscription=subscription, received_on=received, recorded_by=billing
            )
            services.withdraw_termination(
                termination=termination, withdrawn_on=received, withdrawn_by=billing
            )
        assert count_queries(lambda: client.get(url)) == first
    assert first <= 16


def test_a_termination_is_recorded_with_its_explanation(client, billing, subscription):
    client.force_login(billing)
    with frozen_today(date(2027, 3, 20)):
        response = client.post(
            reverse("contracts:termination-record", args=[subscription.pk]),
            {"received_on": "2027-03-15", "letter": pdf_upload("resiliation.pdf")},
            follow=True,
        )
    termination = Termination.objects.get()
    assert termination.last_day == date(2027, 5, 31)
    assert termination.letter.name.endswith(".pdf")
    sentence = (
        "Lettre reçue le 15 mars 2027 ; préavis de deux mois à compter du 1er avril 2027 ; "
        "dernier jour de service le 31 mai 2027"
    )
    assert response.context["pending_sentence"] == sentence
    text = _text(response)
    assert sentence in text
    assert "Résiliation en cours" in text
    assert reverse("contracts:termination-letter", args=[subscription.pk, termination.pk]) in text


def test_the_first_year_floors_the_last_day_and_the_page_says_so(client, billing, subscription):
    client.force_login(billing)
    with frozen_today(date(2026, 9, 20)):
        response = client.post(
            reverse("contracts:termination-record", args=[subscription.pk]),
            {"received_on": "2026-09-15", "letter": pdf_upload()},
            follow=True,
        )
    assert response.context["pending_sentence"] == (
        "Lettre reçue le 15 septembre 2026 ; préavis de deux mois à compter du "
        "1er octobre 2026 ; dernier jour de service le 19 avril 2027 "
        "(la première année d'engagement court jusqu'au 19 avril 2027)"
    )


def test_a_letter_received_before_the_start_is_refused_and_nothing_is_saved(
    client, billing, subscription
):
    client.force_login(billing)
    with frozen_today(date(2026, 9, 20)):
        response = client.post(
            reverse("contracts:termination-record", args=[subscription.pk]),
            {"received_on": "2026-04-01", "letter": pdf_upload()},
        )
    assert response.status_code == 200
    assert response.context["termination_form"].errors["received_on"] == [
        "La lettre ne peut avoir été reçue avant le début de l'abonnement (20 avril 2026)."
    ]
    assert not Termination.objects.exists()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_a_letter_that_is_not_a_document_is_refused(client, billing, subscription):
    client.force_login(billing)
    response = client.post(
        reverse("contracts:termination-record", args=[subscription.pk]),
        {"received_on": "2026-09-15", "letter": fake_pdf_upload("lettre.pdf")},
    )
    [error] = response.context["termination_form"].errors["letter"]
    assert "PDF" in error
    assert not Termination.objects.exists()


def test_a_termination_is_withdrawn(client, billing, subscription):
    termination = services.record_termination(
        subscription=subscription, received_on=date(2027, 3, 15), recorded_by=billing
    )
    client.force_login(billing)
    with frozen_today(date(2027, 4, 2)):
        client.post(
            reverse("contracts:termination-withdraw", args=[subscription.pk, termination.pk]),
            {"withdrawn_on": "2027-04-02"},
        )
        response = client.get(_detail(subscription))
    termination.refresh_from_db()
    assert termination.withdrawn_on == date(2027, 4, 2)
    assert response.context["pending"] is None
    assert response.context["next_renewal"] == date(2027, 4, 20)
    assert "retirée le 2 avril 2027" in _text(response)


def test_after_the_last_day_the_member_is_no_longer_covered(client, billing, subscription):
    services.record_termination(
        subscription=subscription, received_on=date(2027, 3, 15), recorded_by=billing
    )
    client.force_login(billing)
    with frozen_today(date(2027, 6, 3)):
        response = client.get(_detail(subscription))
    assert "Plus couvert depuis le 1er juin 2027" in _text(response)
    assert response.context["next_renewal"] is None


def test_the_simulation_explains_a_letter_arriving_on_a_given_day(client, agent, subscription):
    client.force_login(agent)
    with frozen_today(date(2027, 1, 5)):
        response = client.get(_detail(subscription), {"lettre": "2027-03-15"})
        assert (
            "Si une lettre de résiliation arrivait le 15 mars 2027 : préavis de deux mois à "
            "compter du 1er avril 2027 ; dernier jour de service le 31 mai 2027."
        ) in _text(response)
        early = client.get(_detail(subscription), {"lettre": "2026-01-01"})
    assert "avant le début de l'abonnement" in early.context["simulation_form"].errors["lettre"][0]
    assert not Termination.objects.exists()


def test_billing_changes_covered_software_and_end_date(client, billing, subscription, emagnus):
    client.force_login(billing)
    url = reverse("contracts:subscription-change", args=[subscription.pk])
    response = client.post(url, {"renewal": "tacit", "end_date": "2026-01-01", "software": []})
    assert response.context["change_form"].errors["end_date"] == [
        "La date de fin précède le début de l'abonnement."
    ]
    assert list(subscription.software.all()) == [emagnus]
    client.post(url, {"renewal": "decision", "end_date": "2029-12-31", "software": []})
    subscription.refresh_from_db()
    assert (subscription.renewal, subscription.end_date) == ("decision", date(2029, 12, 31))
    assert not subscription.software.exists()


def test_agents_cannot_terminate(client, agent, subscription):
    client.force_login(agent)
    response = client.post(
        reverse("contracts:termination-record", args=[subscription.pk]),
        {"received_on": "2026-09-15", "letter": pdf_upload()},
    )
    assert response.status_code == 403
    assert not Termination.objects.exists()
