"""Purchase orders: recorded on a signed quote with the signed documents, completed later,
accepted only when complete; uploaded files are served only through an authorised view."""

import html
from datetime import date

import pytest
from django.urls import reverse

from syndesk.contracts.models import PurchaseOrder, Subscription
from syndesk.members.models import Member

from .test_views_helpers import (
    PDF_BYTES,
    complete_order,
    fake_pdf_upload,
    frozen_today,
    huge_pdf_upload,
    pdf_upload,
    png_upload,
    sent_quote,
    signed_quote,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 4, 24)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def quote(member_a, billing, support):
    Member.objects.filter(pk=member_a.pk).update(chorus_service_code="SERVICE-FIN")
    return signed_quote(member_a, billing, [support])


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _order_data(**overrides):
    data = {
        "received_on": "2026-04-20",
        "member_reference": "BC-2026-17",
        "commitment_number": "EJ 4500012",
        "chorus_service_code": "SERVICE-FIN",
        "signed_quote": pdf_upload(),
        "signed_annex": png_upload(),
        "originals_received_on": "2026-04-22",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_form_prefills_the_chorus_service_code_of_the_member(client, billing, quote):
    client.force_login(billing)
    with frozen_today(TODAY):
        form = client.get(reverse("contracts:order-create", args=[quote.pk])).context["form"]
    assert form["chorus_service_code"].value() == "SERVICE-FIN"
    assert form["received_on"].value() == TODAY


def test_billing_records_a_complete_order_and_accepts_it(client, billing, quote, support):
    client.force_login(billing)
    with frozen_today(TODAY):
        response = client.post(reverse("contracts:order-create", args=[quote.pk]), _order_data())
        order = PurchaseOrder.objects.get()
        assert response["Location"] == reverse("contracts:order-detail", args=[order.pk])
        page = client.get(response["Location"])
        assert page.context["missing"] == []
        assert [ok for _label, ok, _detail in page.context["checklist"]] == [True] * 4
        assert "Toutes les pièces sont là" in _text(page)
        response = client.post(
            reverse("contracts:order-accept", args=[order.pk]), {"accepted_on": "2026-04-24"}
        )
    subscription = Subscription.objects.get()
    assert response["Location"] == reverse("contracts:subscription-detail", args=[subscription.pk])
    assert subscription.start == date(2026, 4, 20)
    assert list(subscription.lines.values_list("offer", flat=True)) == [support.pk]
    order.refresh_from_db()
    assert (order.status, order.member_reference, order.commitment_number) == (
        PurchaseOrder.Status.ACCEPTED,
        "BC-2026-17",
        "EJ 4500012",
    )


def test_accepting_an_incomplete_order_lists_what_is_missing(client, billing, quote):
    client.force_login(billing)
    with frozen_today(TODAY):
        client.post(
            reverse("contracts:order-create", args=[quote.pk]),
            _order_data(signed_annex=None, originals_received_on=""),
        )
        order = PurchaseOrder.objects.get()
        response = client.post(
            reverse("contracts:order-accept", args=[order.pk]), {"accepted_on": "2026-04-24"}
        )
    assert response.status_code == 200
    [error] = response.context["accept_form"].non_field_errors()
    assert error == (
        "Le bon de commande ne peut être accepté ; il manque : l'annexe des conditions "
        "particulières signée ; les deux originaux papier de l'annexe."
    )
    text = _text(response)
    assert "Pour accepter la commande, il manque" in text
    assert "✘" in text
    assert "✔" in text
    assert not Subscription.objects.exists()
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED


def test_missing_documents_are_added_later_then_the_order_is_accepted(
    client, billing, quote, member_a
):
    order = complete_order(quote, billing, signed_annex=None, originals_received_on=None)
    client.force_login(billing)
    with frozen_today(TODAY):
        response = client.post(
            reverse("contracts:order-complete", args=[order.pk]),
            {
                "member_reference": order.member_reference,
                "commitment_number": "",
                "chorus_service_code": order.chorus_service_code,
                "originals_received_on": "2026-04-23",
                "signed_annex": pdf_upload("annexe.pdf"),
            },
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.signed_annex
        assert order.signed_quote
        assert order.originals_received_on == date(2026, 4, 23)
        client.post(
            reverse("contracts:order-accept", args=[order.pk]), {"accepted_on": "2026-04-24"}
        )
    assert Subscription.objects.filter(member=member_a).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (fake_pdf_upload, "JPEG / PDF / PNG"),
        (huge_pdf_upload, "dépasse la taille maximale de 10,0"),
    ],
)
def test_uploads_must_really_be_pdf_png_or_jpeg_within_10_mb(
    client, billing, quote, upload, message
):
    client.force_login(billing)
    with frozen_today(TODAY):
        response = client.post(
            reverse("contracts:order-create", args=[quote.pk]),
            _order_data(signed_quote=upload()),
        )
    assert response.status_code == 200
    [error] = response.context["form"].errors["signed_quote"]
    assert message in error
    assert not PurchaseOrder.objects.exists()


def test_an_order_needs_a_signed_quote(client, billing, member_a, support):
    quote = sent_quote(member_a, billing, [support])
    client.force_login(billing)
    with frozen_today(TODAY):
        page = client.get(reverse("contracts:order-create", args=[quote.pk]))
        assert "Enregistrez d'abord la signature du devis" in _text(page)
        response = client.post(reverse("contracts:order-create", args=[quote.pk]), _order_data())
    [error] = response.context["form"].non_field_errors()
    assert "devis signé" in error
    assert "DEV-2026-0001" in error
    assert not PurchaseOrder.objects.exists()


def test_agents_read_orders_but_do_not_record_or_accept_them(client, agent, billing, quote):
    order = complete_order(quote, billing)
    client.force_login(agent)
    assert client.get(reverse("contracts:order-detail", args=[order.pk])).status_code == 200
    assert client.get(reverse("contracts:order-create", args=[quote.pk])).status_code == 403
    response = client.post(
        reverse("contracts:order-accept", args=[order.pk]), {"accepted_on": "2026-04-24"}
    )
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_signed_documents_are_served_through_an_authorised_view_only(client, billing, alice, quote):
    order = complete_order(quote, billing)
    client.force_login(billing)
    page = _text(client.get(reverse("contracts:order-detail", args=[order.pk])))
    assert "/media/" not in page
    url = reverse("contracts:order-file", args=[order.pk, "devis-signe"])
    assert url in page
    response = client.get(url)
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert client.get(reverse("contracts:order-file", args=[order.pk, "autre"])).status_code == 404
    client.force_login(alice)  # a user of the very member: still not a back-office page
    assert client.get(url).status_code == 403
