"""The staff invoice list and invoice page: filters, issuing (and its refusals), references,
receipt, mandate payments, credit notes, reminders, downloads, permissions and isolation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf

from syndesk.billing import services
from syndesk.billing.models import Invoice, Payment, Reminder
from syndesk.core.testing import assert_isolated, count_queries

from .conftest import subscribe
from .test_views_helpers import (
    ISSUED_ON,
    LATE_DAY,
    START,
    draft_for,
    frozen_today,
    issued_for,
    more_members,
    other_member_invoice,
    text,
    url,
)

pytestmark = pytest.mark.django_db


# List ----------------------------------------------------------------------------------------


def test_the_list_shows_invoices_and_filters_them(client, billing, subscription, member_b, support):
    mine = issued_for(subscription, billing)
    other = other_member_invoice(member_b, support, billing)
    client.force_login(billing)
    with frozen_today(LATE_DAY):
        page = text(client.get(url("list")))
        assert mine.number in page
        assert other.number in page
        assert "En retard" in page
        by_member = text(client.get(url("list"), {"member": member_b.pk}))
        assert other.number in by_member
        assert mine.number not in by_member
        searched = text(client.get(url("list"), {"q": "Brécey"}))
        assert mine.number in searched
        assert other.number not in searched
        assert other.number not in text(client.get(url("list"), {"year": "2025"}))
        services.record_payment(
            invoice=other,
            mandate_number="M-1",
            paid_on=LATE_DAY,
            amount=other.total_incl_vat,
            entered_by=billing,
        )
        overdue = text(client.get(url("list"), {"overdue": "on"}))
        assert mine.number in overdue
        assert other.number not in overdue
        drafts = text(client.get(url("list"), {"status": "draft"}))
        assert mine.number not in drafts


def test_the_list_shows_the_invoices_falling_due_within_some_days(client, billing, subscription):
    mine = issued_for(subscription, billing)
    client.force_login(billing)
    due = mine.due_date
    with frozen_today(due - timedelta(days=10)):
        assert mine.number in text(client.get(url("list"), {"due_within": "10"}))
        assert mine.number not in text(client.get(url("list"), {"due_within": "9"}))
        # Not a number of days (a hand-edited link): the filter is dropped, the list shown.
        for junk in ("abc", "-1", "400", "1e9"):
            response = client.get(url("list"), {"due_within": junk})
            assert response.status_code == 200
            assert mine.number in text(response)


def test_the_list_answers_htmx_with_the_results_only(client, billing, subscription):
    issued_for(subscription, billing)
    client.force_login(billing)
    response = client.get(url("list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="results"' in response.content


def test_the_list_runs_a_bounded_number_of_queries(client, billing, subscription, support):
    client.force_login(billing)
    services.run_invoicing(as_of=ISSUED_ON)
    few = count_queries(lambda: client.get(url("list")))
    more_members(10, support)
    services.run_invoicing(as_of=ISSUED_ON)
    services.issue_drafts(issued_by=billing, issue_date=ISSUED_ON)
    many = count_queries(lambda: client.get(url("list")))
    assert many == few
    assert many <= 12


# Permissions and isolation -------------------------------------------------------------------


def test_member_users_cannot_reach_staff_pages(client, alice, subscription, billing):
    invoice = issued_for(subscription, billing)
    client.force_login(alice)
    for name, args in [
        ("list", ()),
        ("detail", (invoice.pk,)),
        ("pdf", (invoice.pk,)),
        ("facturx", (invoice.pk,)),
        ("run", ()),
        ("overdue", ()),
        ("exports", ()),
        ("dashboard", ()),
        ("payment-import", ()),
    ]:
        assert client.get(url(name, *args)).status_code == 403, name
    response = client.post(
        url("payment", invoice.pk),
        {"mandate_number": "M-1", "paid_on": "2026-04-01", "amount": "850"},
    )
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(url("list"))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_an_agent_reads_but_cannot_issue_or_record(client, agent, subscription):
    draft = draft_for(subscription)
    client.force_login(agent)
    page = text(client.get(url("detail", draft.pk)))
    assert "Émettre la facture" not in page
    response = client.post(url("issue", draft.pk), {"issue_date": "2026-03-16"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == Invoice.Status.DRAFT
    assert client.get(url("run")).status_code == 403
    assert client.post(url("run"), {"as_of": "2026-03-16"}).status_code == 403
    assert client.get(url("dashboard")).status_code == 403


def test_member_users_are_isolated_from_staff_pages(
    client, bob, charlie, subscription, member_b, support, billing
):
    theirs = other_member_invoice(member_b, support, billing)
    assert_isolated(
        client,
        bob,
        object_urls=[url("detail", theirs.pk), url("pdf", theirs.pk)],
        post_urls=[
            (
                url("payment", theirs.pk),
                {"mandate_number": "M", "paid_on": "2026-04-01", "amount": "1"},
            ),
            (url("credit-note", theirs.pk), {"reason": "x"}),
        ],
        unchanged=lambda: (Payment.objects.count(), Invoice.objects.count()),
    )


# Issuing and drafts ---------------------------------------------------------------------------


def test_issue_a_draft(client, billing, subscription):
    draft = draft_for(subscription)
    client.force_login(billing)
    page = text(client.get(url("detail", draft.pk)))
    assert "Brouillon" in page
    assert "EJ-2026-17" in page
    response = client.post(url("issue", draft.pk), {"issue_date": "2026-03-16"}, follow=True)
    draft.refresh_from_db()
    assert draft.number == "FA-2026-00001"
    assert "Facture FA-2026-00001 émise ; échéance le 15/04/2026." in text(response)
    assert "Mentions figées à l'émission" in text(response)
    assert "billing.invoice.issued" in text(response)


def test_issue_without_the_required_commitment_number_is_refused(
    client, billing, member_a, support
):
    member_a.commitment_number_required = True
    member_a.save()
    subscription = subscribe(member_a, [support], start=START)
    draft = draft_for(subscription)
    client.force_login(billing)
    response = client.post(url("issue", draft.pk), {"issue_date": "2026-03-16"})
    assert response.status_code == 200
    assert "exige un numéro d'engagement" in text(response)
    draft.refresh_from_db()
    assert draft.status == Invoice.Status.DRAFT
    assert draft.number is None
    # Set on the draft, then issued.
    response = client.post(
        url("draft-references", draft.pk),
        {"commitment_number": " EJ-99 ", "service_code": "FACTURES"},
    )
    assert response.status_code == 302
    client.post(url("issue", draft.pk), {"issue_date": "2026-03-16"})
    draft.refresh_from_db()
    assert (draft.status, draft.commitment_number) == (Invoice.Status.ISSUED, "EJ-99")


def test_bad_issue_date_is_shown_at_the_field(client, billing, subscription):
    draft = draft_for(subscription)
    client.force_login(billing)
    response = client.post(url("issue", draft.pk), {"issue_date": "16/13/2026"})
    assert response.status_code == 200
    assert response.context["issue_form"].errors["issue_date"]
    draft.refresh_from_db()
    assert draft.status == Invoice.Status.DRAFT


def test_an_issued_invoice_cannot_be_edited_or_deleted(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    response = client.post(
        url("draft-references", invoice.pk), {"commitment_number": "CHANGED", "service_code": ""}
    )
    assert response.status_code == 200
    assert "ne peut plus être modifiée" in text(response)
    response = client.post(url("discard", invoice.pk), {"confirm": "on"})
    assert response.status_code == 200
    assert "ne peut plus être modifiée" in text(response)
    invoice.refresh_from_db()
    assert invoice.commitment_number == "EJ-2026-17"
    assert Invoice.objects.filter(pk=invoice.pk, status=Invoice.Status.ISSUED).exists()


def test_discard_a_draft(client, billing, subscription):
    draft = draft_for(subscription)
    client.force_login(billing)
    assert client.post(url("discard", draft.pk), {}).status_code == 200  # not confirmed
    assert Invoice.objects.filter(pk=draft.pk).exists()
    response = client.post(url("discard", draft.pk), {"confirm": "on"})
    assert response.status_code == 302
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_issue_all_drafts_reports_those_refused(client, billing, member_a, member_b, support):
    subscribe(member_a, [support], start=START, commitment_number="EJ-1")
    member_b.commitment_number_required = True
    member_b.save()
    subscribe(member_b, [support], start=START, number="DEV-2")
    services.run_invoicing(as_of=ISSUED_ON)
    client.force_login(billing)
    response = client.post(url("issue-drafts"), {"issue_date": "2026-03-16"})
    page = text(response)
    assert "1 facture émise." in page
    assert "Avranches" in page
    assert "exige un numéro d'engagement" in page
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).count() == 1


# Receipt, payments, credit notes, reminders ---------------------------------------------------


def test_record_the_receipt_date(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    response = client.post(url("receipt", invoice.pk), {"received_on": "2026-03-20"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.due_date == date(2026, 4, 19)
    response = client.post(url("receipt", invoice.pk), {"received_on": "2026-03-01"})
    assert "reçue avant son émission" in text(response)
    assert response.context["receipt_form"].errors["received_on"]


def test_partial_payment_then_one_too_large_refused_at_the_field(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    response = client.post(
        url("payment", invoice.pk),
        {"mandate_number": "M-2026-1", "paid_on": "2026-04-01", "amount": "300,00"},
        follow=True,
    )
    assert "Paiement par le mandat M-2026-1 enregistré." in text(response)
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("550.00")
    response = client.post(
        url("payment", invoice.pk),
        {"mandate_number": "M-2026-2", "paid_on": "2026-04-02", "amount": "1 000,00"},
    )
    assert response.status_code == 200
    errors = response.context["payment_form"].errors
    assert "dépasse le reste dû" in errors["amount"][0]
    assert Payment.objects.count() == 1
    response = client.post(
        url("payment", invoice.pk),
        {"mandate_number": "M-2026-3", "paid_on": "2026-04-02", "amount": "abc"},
    )
    assert response.context["payment_form"].errors["amount"]
    assert Payment.objects.count() == 1


def test_credit_note(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    response = client.post(url("credit-note", invoice.pk), {"reason": "", "amount": ""})
    assert response.context["credit_form"].errors["reason"]
    response = client.post(
        url("credit-note", invoice.pk), {"reason": "Erreur de tarif", "amount": "9000"}
    )
    assert "dépasse ce qui reste à créditer" in response.context["credit_form"].errors["amount"][0]
    response = client.post(
        url("credit-note", invoice.pk), {"reason": "Erreur de tarif", "amount": "100"}, follow=True
    )
    credit = Invoice.objects.credit_notes().get()
    assert credit.number == "AV-2026-00001"
    assert f"Avoir {credit.number} émis." in text(response)
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("750.00")


def test_an_agent_cannot_issue_a_credit_note(client, agent, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(agent)
    response = client.post(url("credit-note", invoice.pk), {"reason": "x"})
    assert response.status_code == 403
    assert not Invoice.objects.credit_notes().exists()


def test_reminder_with_interest_then_a_waived_one(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    with frozen_today(LATE_DAY):
        page = text(client.get(url("detail", invoice.pk)))
        assert "En retard de 35 jours" in page
        response = client.post(url("reminder", invoice.pk), {"kind": "letter"}, follow=True)
        assert "Lettre de relance prête" in text(response)
        reminder = Reminder.objects.get()
        assert reminder.indemnity == Decimal("40.00")
        assert reminder.interest > 0
        letter = client.get(url("reminder-letter", reminder.pk))
        assert letter["Content-Type"] == "application/pdf"
        assert letter.content.startswith(b"%PDF")
        response = client.post(url("reminder", invoice.pk), {"kind": "email", "waive": "on"})
        assert response.context["reminder_form"].errors["waiver_reason"]
        client.post(
            url("reminder", invoice.pk),
            {"kind": "email", "waive": "on", "waiver_reason": "Retard du comptable public"},
        )
    waived = Reminder.objects.get(waived=True)
    assert (waived.interest, waived.indemnity, waived.recipient) == (
        Decimal("0.00"),
        Decimal("0.00"),
        "mairie@brecey.example",
    )


def test_reminder_of_an_invoice_not_late_is_refused(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    with frozen_today(date(2026, 4, 1)):
        response = client.post(url("reminder", invoice.pk), {"kind": "letter"})
    assert "n'est pas en retard" in text(response)
    assert not Reminder.objects.exists()


def test_the_invoice_page_runs_a_bounded_number_of_queries(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    for n in range(3):
        services.record_payment(
            invoice=invoice,
            mandate_number=f"M-{n}",
            paid_on=date(2026, 4, 1),
            amount=Decimal("10"),
            entered_by=billing,
        )
    assert count_queries(lambda: client.get(url("detail", invoice.pk))) <= 25


# Downloads ----------------------------------------------------------------------------------------


def test_pdf_and_facturx_downloads(client, billing, subscription):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    pdf = client.get(url("pdf", invoice.pk))
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="FA-2026-00001.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")
    facturx = client.get(url("facturx", invoice.pk))
    assert facturx.content.startswith(b"%PDF")
    name, xml = get_xml_from_pdf(facturx.content, check_xsd=False)
    assert name == "factur-x.xml"
    assert b"FA-2026-00001" in xml


def test_a_draft_has_no_document(client, billing, subscription):
    draft = draft_for(subscription)
    client.force_login(billing)
    assert client.get(url("pdf", draft.pk)).status_code == 404
    assert client.get(url("facturx", draft.pk)).status_code == 404


# Member page panel ------------------------------------------------------------------------------


def test_the_staff_member_page_lists_the_members_invoices(client, billing, subscription, member_a):
    invoice = issued_for(subscription, billing)
    client.force_login(billing)
    from django.urls import reverse

    page = text(client.get(reverse("members:detail", args=[member_a.pk])))
    assert "Factures" in page
    assert invoice.number in page
