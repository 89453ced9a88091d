"""Quote pages: built from the catalogue, edited in draft with a reason, sent, signed within
its one-month validity (or re-issued), refused; PDFs of the quote and the annex."""

import html
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from syndesk.catalog.models import Offer
from syndesk.contracts import services
from syndesk.contracts.models import NeedRequest, Quote
from syndesk.core.models import AuditEntry, NumberSequence
from syndesk.core.testing import count_queries

from .test_views_helpers import QUOTE_DAY, draft_quote, frozen_today, sent_quote

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _detail(quote):
    return reverse("contracts:quote-detail", args=[quote.pk])


def _line_data(line, **values):
    data = {"unit_price": line.unit_price, "quantity": line.quantity, "override_reason": ""}
    data.update(values)
    return {f"ligne-{line.pk}-{key}": value for key, value in data.items()}


# Creating ---------------------------------------------------------------------------------


def test_billing_quotes_a_request_with_its_offers(client, billing, member_a, support):
    need = services.record_request(
        member=member_a,
        received_on=date(2026, 3, 30),
        channel="phone",
        summary="Adhésion",
        offers=[support],
        created_by=billing,
    )
    client.force_login(billing)
    url = reverse("contracts:quote-create") + f"?demande={need.pk}"
    with frozen_today(QUOTE_DAY):
        form = client.get(url).context["form"]
        assert "member" not in form.fields
        assert list(form["offers"].value()) == [support.pk]
        assert form["quote_date"].value() == QUOTE_DAY
        response = client.post(url, {"quote_date": "2026-03-31", "offers": [support.pk]})
    quote = Quote.objects.get()
    assert response["Location"] == _detail(quote)
    assert (quote.member, quote.request, quote.number) == (member_a, need, "DEV-2026-0001")
    assert quote.valid_until == date(2026, 4, 30)
    need.refresh_from_db()
    assert need.status == NeedRequest.Status.QUOTED


def test_billing_quotes_from_the_member_page_or_picks_the_member(
    client, billing, member_a, member_b, support
):
    client.force_login(billing)
    url = reverse("contracts:quote-create")
    client.post(
        f"{url}?adherent={member_b.pk}", {"quote_date": "2026-03-31", "offers": [support.pk]}
    )
    client.post(url, {"member": member_a.pk, "quote_date": "2026-03-31", "offers": [support.pk]})
    assert list(Quote.objects.order_by("number").values_list("member__name", flat=True)) == [
        "Avranches",
        "Brécey",
    ]


def test_an_offer_without_a_tariff_is_refused_at_the_field(client, billing, member_a, support):
    unpriced = Offer.objects.create(code="formation", name="Formation", vat_mention="Non soumis")
    client.force_login(billing)
    response = client.post(
        reverse("contracts:quote-create") + f"?adherent={member_a.pk}",
        {"quote_date": "2026-03-31", "offers": [support.pk, unpriced.pk]},
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["offers"]
    assert "Aucune grille tarifaire exécutoire pour « Formation »" in error
    assert not Quote.objects.exists()
    # The number was not consumed: numbering stays gapless.
    assert not NumberSequence.objects.filter(series="DEV", last__gt=0).exists()


def test_agents_cannot_create_or_change_quotes(client, agent, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    line = quote.lines.get()
    client.force_login(agent)
    assert client.get(_detail(quote)).status_code == 200
    assert client.get(reverse("contracts:quote-create")).status_code == 403
    url = reverse("contracts:quote-line-change", args=[quote.pk, line.pk])
    assert client.post(url, _line_data(line, unit_price="1.00")).status_code == 403
    assert client.post(reverse("contracts:quote-send", args=[quote.pk])).status_code == 403
    line.refresh_from_db()
    assert line.unit_price == Decimal("850.00")


# The page ---------------------------------------------------------------------------------


def test_the_page_explains_prices_and_totals(client, billing, member_a, support, payroll_option):
    quote = draft_quote(member_a, billing, [support, payroll_option])
    client.force_login(billing)
    with frozen_today(date(2026, 4, 1)):
        response = client.get(_detail(quote))
    text = _text(response)
    assert "Devis DEV-2026-0001" in text
    assert "Brouillon" in text
    assert "30 avril 2026" in text  # valid until
    assert "délibération n° 2025-38" in text  # each line's explanation
    assert "TVA non applicable — article 256 B du CGI" in text
    # 850 (not subject to VAT) + 120 with 20 % VAT
    assert "970,00\xa0€" in text
    assert "24,00\xa0€" in text
    assert "994,00\xa0€" in text
    assert "contracts.quote.created" in text  # history
    assert 'href="/gestion/contrats/devis/' in text
    assert "/pdf/" in text


def test_the_page_runs_a_bounded_number_of_queries(
    client, billing, member_a, support, payroll_option
):
    Offer.objects.create(code="formation", name="Formation", vat_mention="Non soumis")
    quote = draft_quote(member_a, billing, [support])
    client.force_login(billing)
    first = count_queries(lambda: client.get(_detail(quote)))
    services.add_quote_line(quote=quote, offer=payroll_option, added_by=billing)
    assert count_queries(lambda: client.get(_detail(quote))) == first


# Editing a draft --------------------------------------------------------------------------


def test_a_price_off_the_grid_needs_a_reason_shown_at_the_field(client, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    line = quote.lines.get()
    client.force_login(billing)
    url = reverse("contracts:quote-line-change", args=[quote.pk, line.pk])
    response = client.post(url, _line_data(line, unit_price="800.00"))
    assert response.status_code == 200
    [(_line, form)] = [row for row in response.context["line_rows"] if row[0].pk == line.pk]
    assert form.errors["override_reason"] == [
        "Indiquez pourquoi le prix diffère de la grille (850.00 € HT)."
    ]
    assert "<details open>" in response.content.decode()
    line.refresh_from_db()
    assert line.unit_price == Decimal("850.00")


def test_a_price_off_the_grid_with_a_reason_is_kept_and_shown(client, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    line = quote.lines.get()
    client.force_login(billing)
    url = reverse("contracts:quote-line-change", args=[quote.pk, line.pk])
    response = client.post(
        url, _line_data(line, unit_price="800.00", override_reason="Remise de première année")
    )
    assert response["Location"] == _detail(quote)
    line.refresh_from_db()
    assert (line.unit_price, line.override_reason) == (
        Decimal("800.00"),
        "Remise de première année",
    )
    text = _text(client.get(_detail(quote)))
    assert "Remise de première année" in text
    assert "grille : 850,00\xa0€" in text


def test_lines_are_added_and_removed_in_draft(client, billing, member_a, support, payroll_option):
    quote = draft_quote(member_a, billing, [support])
    client.force_login(billing)
    add = reverse("contracts:quote-line-add", args=[quote.pk])
    client.post(add, {"offer": payroll_option.pk})
    assert quote.lines.count() == 2
    # Already on the quote: no longer offered in the list, so refused at the field.
    response = client.post(add, {"offer": support.pk})
    assert "offer" in response.context["add_form"].errors
    line = quote.lines.get(offer=payroll_option)
    client.post(reverse("contracts:quote-line-remove", args=[quote.pk, line.pk]))
    assert list(quote.lines.values_list("offer", flat=True)) == [support.pk]


def test_a_sent_quote_can_no_longer_be_edited(client, billing, member_a, support):
    quote = sent_quote(member_a, billing, [support])
    line = quote.lines.get()
    client.force_login(billing)
    response = client.post(
        reverse("contracts:quote-line-remove", args=[quote.pk, line.pk]), follow=True
    )
    assert "Seul un devis en brouillon peut être modifié." in _text(response)
    assert quote.lines.exists()


def test_a_line_of_another_quote_is_not_found(client, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    other = draft_quote(member_a, billing, [support])
    client.force_login(billing)
    url = reverse("contracts:quote-line-remove", args=[quote.pk, other.lines.get().pk])
    assert client.post(url).status_code == 404


# Sending, signing, refusing, re-issuing ---------------------------------------------------


def test_billing_sends_then_records_the_signature(client, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    client.force_login(billing)
    with frozen_today(date(2026, 5, 2)):
        client.post(reverse("contracts:quote-send", args=[quote.pk]), {"sent_on": "2026-03-31"})
        quote.refresh_from_db()
        assert (quote.status, quote.sent_on) == (Quote.Status.SENT, date(2026, 3, 31))
        page = _text(client.get(_detail(quote)))
        assert "Enregistrer la signature" in page
        response = client.post(
            reverse("contracts:quote-sign", args=[quote.pk]), {"signed_on": "2026-04-30"}
        )
    assert response["Location"] == _detail(quote)
    quote.refresh_from_db()
    assert (quote.status, quote.signed_on) == (Quote.Status.SIGNED, date(2026, 4, 30))
    assert "Enregistrer le bon de commande" in _text(client.get(_detail(quote)))


def test_signing_an_expired_quote_explains_and_offers_to_reissue(
    client, billing, member_a, support
):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    with frozen_today(date(2026, 5, 4)):
        response = client.post(
            reverse("contracts:quote-sign", args=[quote.pk]), {"signed_on": "2026-05-02"}
        )
    assert response.status_code == 200
    assert response.context["sign_form"].errors["signed_on"] == [
        "Le devis DEV-2026-0001 était valable jusqu'au 30 avril 2026 : une signature du "
        "2 mai 2026 ne peut être acceptée. Réémettez le devis à la date du jour."
    ]
    assert "Réémettre le devis à la date du jour" in _text(response)
    quote.refresh_from_db()
    assert (quote.status, quote.signed_on) == (Quote.Status.SENT, None)
    assert not AuditEntry.objects.filter(action="contracts.quote.signed").exists()


def test_reissuing_prices_a_new_quote_at_today(client, billing, member_a, support):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    with frozen_today(date(2026, 5, 4)):
        response = client.post(reverse("contracts:quote-reissue", args=[quote.pk]), follow=True)
    new = Quote.objects.get(replaces=quote)
    assert response.redirect_chain[-1][0] == _detail(new)
    assert (new.number, new.date, new.valid_until) == (
        "DEV-2026-0002",
        date(2026, 5, 4),
        date(2026, 6, 4),
    )
    assert new.status == Quote.Status.DRAFT
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert "il remplace le devis DEV-2026-0001" in _text(response)
    with frozen_today(date(2026, 5, 4)):
        old_page = _text(client.get(_detail(quote)))
    assert "Remplacé par" in old_page
    assert "Réémettre le devis à la date du jour" not in old_page


def test_a_signature_before_the_quote_date_is_refused_at_the_field(
    client, billing, member_a, support
):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    response = client.post(
        reverse("contracts:quote-sign", args=[quote.pk]), {"signed_on": "2026-03-01"}
    )
    assert (
        "ne peut précéder la date du devis" in response.context["sign_form"].errors["signed_on"][0]
    )
    assert not response.context["expired_signature"]


def test_the_member_refuses_the_quote(client, billing, member_a, support):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    client.post(reverse("contracts:quote-refuse", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.REFUSED
    response = client.post(reverse("contracts:quote-refuse", args=[quote.pk]))
    assert "Ce devis est déjà refusé." in _text(response)


# Documents --------------------------------------------------------------------------------


def test_staff_download_the_quote_and_its_annex_as_pdf(client, agent, billing, member_a, support):
    quote = draft_quote(member_a, billing, [support])
    client.force_login(agent)
    response = client.get(reverse("contracts:quote-pdf", args=[quote.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="DEV-2026-0001.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    annex = client.get(reverse("contracts:quote-annex", args=[quote.pk]))
    assert annex.content.startswith(b"%PDF-")
    blank = client.get(reverse("contracts:member-annex", args=[member_a.pk]))
    assert blank.content.startswith(b"%PDF-")


def test_a_signature_dated_in_the_future_is_refused(client, billing, member_a, support):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    with frozen_today(date(2026, 4, 10)):
        response = client.post(
            reverse("contracts:quote-sign", args=[quote.pk]), {"signed_on": "2026-04-11"}
        )
    assert response.context["sign_form"].errors["signed_on"] == [
        "La date de signature ne peut être dans le futur."
    ]
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
