"""Billing operations on the database: the run, issuing, credit notes, payments, reminders."""

from datetime import date
from decimal import Decimal, InvalidOperation

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from syndesk.billing import services
from syndesk.billing.models import FrozenInvoice, Invoice, Payment, Reminder
from syndesk.contracts.models import Termination
from syndesk.core.models import AuditEntry

from .conftest import subscribe

pytestmark = pytest.mark.django_db


def run(as_of, **kwargs):
    return services.run_invoicing(as_of=as_of, **kwargs)


def issued(subscription, billing, on=date(2026, 3, 16)):
    run(on)
    draft = Invoice.objects.get(subscription=subscription, period_index=0)
    return services.issue_invoice(invoice=draft, issued_by=billing, issue_date=on)


# The run -------------------------------------------------------------------------------------


def test_run_drafts_one_invoice_per_started_period(subscription, billing):
    report = run(date(2027, 3, 15), issued_by=billing)
    assert len(report.created) == 2
    first, second = sorted(report.created, key=lambda i: i.period_index)
    assert (first.period_start, first.period_end) == (date(2026, 3, 15), date(2027, 3, 14))
    assert second.period_start == date(2027, 3, 15)
    assert first.status == Invoice.Status.DRAFT
    assert first.number is None
    assert first.total_incl_vat == Decimal("850.00")
    assert first.total_vat == Decimal("0.00")
    assert first.commitment_number == "EJ-2026-17"
    assert first.service_code == "FACTURES"
    assert "2025-38" in first.deliberation_ref
    line = first.lines.get()
    assert line.vat_rate is None
    assert "256 B" in line.vat_mention
    assert AuditEntry.objects.filter(action="billing.invoice.drafted").count() == 2


def test_run_before_the_start_drafts_nothing(subscription):
    assert run(date(2026, 3, 14)).created == []


def test_rerun_never_duplicates(subscription):
    run(date(2026, 6, 1))
    entries = AuditEntry.objects.count()
    again = run(date(2026, 6, 1))
    assert again.created == []
    assert Invoice.objects.count() == 1
    assert AuditEntry.objects.count() == entries  # a no-op leaves no trace


def test_run_completes_after_a_crash(member_a, member_b, support, monkeypatch):
    subscribe(member_a, [support], start=date(2026, 3, 15), number="DEV-1")
    subscribe(member_b, [support], start=date(2026, 4, 1), number="DEV-2")
    original = services._save_drafts
    calls = []

    def crash_on_second(drafts, *args):
        calls.append(drafts)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return original(drafts, *args)

    monkeypatch.setattr(services, "_save_drafts", crash_on_second)
    with pytest.raises(RuntimeError):
        run(date(2026, 6, 1), batch_size=1)
    assert Invoice.objects.count() == 1  # the first invoice's batch was committed
    monkeypatch.setattr(services, "_save_drafts", original)
    report = run(date(2026, 6, 1))
    assert len(report.created) == 1
    assert Invoice.objects.count() == 2


def test_a_crash_in_a_batch_rolls_the_batch_back(subscription, monkeypatch):
    def crash(*args):
        raise RuntimeError("power cut")

    monkeypatch.setattr(services, "_save_drafts", crash)
    with pytest.raises(RuntimeError):
        run(date(2026, 6, 1))
    monkeypatch.undo()
    assert not Invoice.objects.exists()
    assert len(run(date(2026, 6, 1)).created) == 1


def test_the_database_refuses_a_second_invoice_for_a_period(subscription):
    run(date(2026, 6, 1))
    invoice = Invoice.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(member=invoice.member, subscription=subscription, period_index=0)


def test_run_since_leaves_older_periods_alone(subscription):
    report = run(date(2028, 4, 1), since=date(2027, 1, 1))
    assert sorted(i.period_index for i in report.created) == [1, 2]


def test_run_uses_the_tariff_in_force_on_the_period_start(subscription, deliberation, support):
    from syndesk.catalog.models import Deliberation, TariffGrid

    newer = Deliberation.objects.create(
        number="2026-40",
        date=date(2026, 11, 1),
        subject="Tarifs 2027",
        enforceable_on=date(2026, 11, 20),
    )
    TariffGrid.objects.create(
        deliberation=newer,
        offer=support,
        method="flat",
        effective_from=date(2027, 1, 1),
        amount=Decimal("900.00"),
    )
    report = run(date(2027, 3, 15))
    totals = {i.period_index: i.total_excl_vat for i in report.created}
    assert totals == {0: Decimal("850.00"), 1: Decimal("900.00")}


def test_final_period_is_prorated(subscription, billing):
    Termination.objects.create(
        subscription=subscription, received_on=date(2027, 4, 10), last_day=date(2027, 6, 30)
    )
    report = run(date(2027, 5, 1))
    final = next(i for i in report.created if i.period_index == 1)
    assert final.prorated
    assert final.period_end == date(2027, 6, 30)
    # 15 March → 30 June 2027: 108 days of 366 (the period contains 29 February 2028).
    assert final.total_excl_vat == Decimal("250.82")
    assert "prorata temporis" in final.lines.get().detail


def test_a_draft_cut_short_by_a_later_termination_is_drafted_again(subscription):
    run(date(2027, 3, 20))
    Termination.objects.create(
        subscription=subscription, received_on=date(2027, 4, 10), last_day=date(2027, 6, 30)
    )
    report = run(date(2027, 3, 20))
    assert report.refreshed == 1
    final = Invoice.objects.get(period_index=1)
    assert final.prorated
    assert final.period_end == date(2027, 6, 30)
    assert Invoice.objects.get(period_index=0).total_excl_vat == Decimal("850.00")


def test_a_stale_draft_is_not_issued(subscription, billing):
    run(date(2027, 3, 20))
    Termination.objects.create(
        subscription=subscription, received_on=date(2027, 4, 10), last_day=date(2027, 6, 30)
    )
    with pytest.raises(ValidationError, match="relancez la facturation"):
        services.issue_invoice(invoice=Invoice.objects.get(period_index=1), issued_by=billing)


def test_invoices_are_scoped_to_the_member(subscription, member_b, support, alice, charlie):
    subscribe(member_b, [support], start=date(2026, 3, 20), number="DEV-2")
    run(date(2026, 4, 1))
    assert {i.member for i in Invoice.objects.visible_to(alice)} == {subscription.member}
    assert {i.member for i in Invoice.objects.visible_to(charlie)} == {member_b}
    assert Payment.objects.visible_to(charlie).count() == 0


def test_run_reports_an_offer_without_tariff(member_a, support):
    from syndesk.catalog.models import Offer

    orphan = Offer.objects.create(code="orphan", name="Sans grille", vat_mention="Non soumis")
    subscribe(member_a, [orphan], start=date(2026, 3, 15))
    report = run(date(2026, 4, 1))
    assert report.created == []
    assert "Aucune grille" in report.errors[0][1]


def test_pending_periods_writes_nothing(subscription):
    pending = services.pending_periods(as_of=date(2027, 3, 15))
    assert [p.index for p in pending] == [0, 1]
    assert not Invoice.objects.exists()


def test_upcoming_invoices(subscription):
    run(date(2026, 3, 15))
    upcoming = services.upcoming_invoices(today=date(2027, 2, 1))
    assert [p.start for p in upcoming] == [date(2027, 3, 15)]


# Issuing -------------------------------------------------------------------------------------


def test_issue_numbers_freezes_and_dates(subscription, billing):
    invoice = issued(subscription, billing)
    assert invoice.number == "FA-2026-00001"
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.buyer_name == "Brécey"
    assert invoice.buyer_siret == "21500740200013"
    assert invoice.seller_siret
    assert "Manche Numérique" in invoice.seller_name
    assert invoice.received_on == date(2026, 3, 16)
    assert invoice.due_date == date(2026, 4, 15)
    assert invoice.late_interest_rate == Decimal("10.15")
    assert invoice.recovery_indemnity == Decimal("40.00")
    assert "mandat administratif" in invoice.payment_terms
    assert AuditEntry.objects.filter(action="billing.invoice.issued").exists()


def test_numbers_follow_each_other_per_year(member_a, member_b, support, billing):
    subscribe(member_a, [support], start=date(2026, 3, 15), number="DEV-1")
    subscribe(member_b, [support], start=date(2026, 3, 20), number="DEV-2")
    run(date(2026, 4, 1))
    report = services.issue_drafts(issued_by=billing, issue_date=date(2026, 4, 1))
    assert sorted(i.number for i in report.issued) == ["FA-2026-00001", "FA-2026-00002"]


def test_issue_refuses_a_missing_commitment_number(subscription, member_a, billing):
    member_a.commitment_number_required = True
    member_a.save()
    run(date(2026, 4, 1))
    draft = Invoice.objects.get()
    services.update_draft(invoice=draft, changed_by=billing, commitment_number="")
    with pytest.raises(ValidationError) as exc:
        services.issue_invoice(invoice=draft, issued_by=billing)
    assert "commitment_number" in exc.value.message_dict
    assert "numéro d'engagement" in exc.value.message_dict["commitment_number"][0]
    draft.refresh_from_db()
    assert draft.number is None
    assert draft.status == Invoice.Status.DRAFT
    services.update_draft(invoice=draft, changed_by=billing, commitment_number="EJ-9")
    assert services.issue_invoice(invoice=draft, issued_by=billing).number == "FA-2026-00001"


def test_issue_refuses_a_member_without_siret(subscription, member_a, billing):
    member_a.siret = ""
    member_a.save()
    run(date(2026, 4, 1))
    with pytest.raises(ValidationError, match="SIRET"):
        services.issue_invoice(invoice=Invoice.objects.get(), issued_by=billing)


def test_issue_refuses_vat_without_the_syndicate_vat_number(member_a, payroll_option, billing):
    subscribe(member_a, [payroll_option], start=date(2026, 3, 15))
    run(date(2026, 4, 1))
    with pytest.raises(ValidationError, match="TVA intracommunautaire"):
        services.issue_invoice(invoice=Invoice.objects.get(), issued_by=billing)


def test_vat_invoice_totals(member_a, support, payroll_option, billing, vat_number):
    subscribe(member_a, [support, payroll_option], start=date(2026, 3, 15))
    run(date(2026, 4, 1))
    invoice = services.issue_invoice(invoice=Invoice.objects.get(), issued_by=billing)
    assert invoice.total_excl_vat == Decimal("970.00")
    assert invoice.total_vat == Decimal("24.00")
    assert invoice.total_incl_vat == Decimal("994.00")


def test_a_refused_issue_gives_its_number_back(subscription, member_b, support, billing):
    subscribe(member_b, [support], start=date(2026, 3, 20), number="DEV-2")
    run(date(2026, 4, 1))
    first, second = Invoice.objects.order_by("pk")
    member_b.siret = ""
    member_b.save()
    with pytest.raises(ValidationError):
        services.issue_invoice(invoice=second, issued_by=billing, issue_date=date(2026, 4, 1))
    assert services.issue_invoice(invoice=first, issued_by=billing).number == "FA-2026-00001"


def test_issue_date_cannot_go_back_in_the_series(member_a, member_b, support, billing):
    subscribe(member_a, [support], start=date(2026, 3, 15), number="DEV-1")
    subscribe(member_b, [support], start=date(2026, 3, 20), number="DEV-2")
    run(date(2026, 4, 1))
    first, second = Invoice.objects.order_by("pk")
    services.issue_invoice(invoice=first, issued_by=billing, issue_date=date(2026, 4, 10))
    with pytest.raises(ValidationError) as exc:
        services.issue_invoice(invoice=second, issued_by=billing, issue_date=date(2026, 4, 9))
    assert "issue_date" in exc.value.message_dict
    second = services.issue_invoice(invoice=second, issued_by=billing, issue_date=date(2026, 4, 10))
    assert second.number == "FA-2026-00002"


def test_an_issued_invoice_cannot_be_issued_again(subscription, billing):
    invoice = issued(subscription, billing)
    with pytest.raises(ValidationError, match="émise"):
        services.issue_invoice(invoice=invoice, issued_by=billing)


def test_an_issued_invoice_cannot_be_changed_or_deleted(subscription, billing):
    invoice = issued(subscription, billing)
    invoice.buyer_name = "Autre"
    with pytest.raises(FrozenInvoice):
        invoice.save()
    with pytest.raises(FrozenInvoice):
        invoice.delete()
    with pytest.raises(FrozenInvoice):
        Invoice.objects.all().delete()
    line = invoice.lines.get()
    line.unit_price = Decimal(1)
    with pytest.raises(FrozenInvoice):
        line.save()
    with pytest.raises(ValidationError):
        services.update_draft(invoice=invoice, changed_by=billing, commitment_number="X")
    assert Invoice.objects.get(pk=invoice.pk).buyer_name == "Brécey"


def test_a_draft_can_be_discarded_and_is_drafted_again(subscription, billing):
    run(date(2026, 4, 1))
    services.discard_draft(invoice=Invoice.objects.get(), discarded_by=billing)
    assert not Invoice.objects.exists()
    assert len(run(date(2026, 4, 1)).created) == 1


# Credit notes -------------------------------------------------------------------------------


def test_full_credit_note(subscription, billing):
    invoice = issued(subscription, billing)
    credit = services.create_credit_note(
        invoice=invoice, reason="Erreur de tarif", issued_by=billing, issue_date=date(2026, 3, 20)
    )
    assert credit.number == "AV-2026-00001"
    assert credit.kind == Invoice.Kind.CREDIT_NOTE
    assert credit.credited_invoice == invoice
    assert credit.total_incl_vat == Decimal("850.00")
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("850.00")
    assert invoice.amount_due == 0
    assert invoice.settled_on == date(2026, 3, 20)


def test_partial_credit_notes_and_their_limit(subscription, billing):
    invoice = issued(subscription, billing)
    services.create_credit_note(
        invoice=invoice, reason="Geste", issued_by=billing, amount=Decimal("100")
    )
    with pytest.raises(ValidationError) as exc:
        services.create_credit_note(
            invoice=invoice, reason="Trop", issued_by=billing, amount=Decimal("750.01")
        )
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_credit_note(invoice=invoice, reason="Tout", issued_by=billing)
    with pytest.raises(ValidationError) as exc:
        services.create_credit_note(invoice=invoice, reason=" ", issued_by=billing)
    assert "reason" in exc.value.message_dict
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("750.00")


def test_credit_note_on_termination_only_when_the_setting_asks(subscription, billing, settings):
    issued(subscription, billing)
    Termination.objects.create(
        subscription=subscription, received_on=date(2026, 10, 10), last_day=date(2027, 3, 14)
    )
    # The minimum first year: nothing to credit.
    settings.BILLING_CREDIT_ON_TERMINATION = True
    assert run(date(2026, 11, 1)).credit_notes == []


def test_termination_credit_note(member_a, support, billing, settings):
    subscription = subscribe(member_a, [support], start=date(2025, 3, 15))
    run(date(2026, 3, 15), since=date(2026, 1, 1))
    invoice = services.issue_invoice(
        invoice=Invoice.objects.get(), issued_by=billing, issue_date=date(2026, 3, 16)
    )
    Termination.objects.create(
        subscription=subscription, received_on=date(2026, 4, 10), last_day=date(2026, 6, 30)
    )
    amount, first, last = services.termination_credit_amount(invoice)
    assert (first, last) == (date(2026, 7, 1), date(2027, 3, 14))
    assert amount == Decimal("598.49")  # 257 days of 365
    assert run(date(2026, 7, 1), since=date(2026, 1, 1)).credit_notes == []
    settings.BILLING_CREDIT_ON_TERMINATION = True
    notes = run(date(2026, 7, 1), since=date(2026, 1, 1)).credit_notes
    assert [n.total_excl_vat for n in notes] == [Decimal("598.49")]
    assert run(date(2026, 7, 2), since=date(2026, 1, 1)).credit_notes == []  # once


# Receipt and payments -----------------------------------------------------------------------


def test_record_receipt_moves_the_due_date(subscription, billing):
    invoice = issued(subscription, billing)
    invoice = services.record_receipt(
        invoice=invoice, received_on=date(2026, 3, 20), recorded_by=billing
    )
    assert invoice.due_date == date(2026, 4, 19)
    with pytest.raises(ValidationError) as exc:
        services.record_receipt(invoice=invoice, received_on=date(2026, 3, 1), recorded_by=billing)
    assert "received_on" in exc.value.message_dict


def test_partial_then_full_payment(subscription, billing):
    invoice = issued(subscription, billing)
    services.record_payment(
        invoice=invoice,
        mandate_number="M-12",
        paid_on=date(2026, 4, 1),
        amount=Decimal("300"),
        entered_by=billing,
    )
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("550.00")
    assert invoice.settled_on is None
    services.record_payment(
        invoice=invoice,
        mandate_number="M-13",
        paid_on=date(2026, 4, 10),
        amount=Decimal("550.00"),
        entered_by=billing,
    )
    invoice.refresh_from_db()
    assert invoice.amount_due == 0
    assert invoice.settled_on == date(2026, 4, 10)


def test_payment_larger_than_the_amount_due_is_refused(subscription, billing):
    invoice = issued(subscription, billing)
    with pytest.raises(ValidationError) as exc:
        services.record_payment(
            invoice=invoice,
            mandate_number="M-1",
            paid_on=date(2026, 4, 1),
            amount=Decimal("850.01"),
            entered_by=billing,
        )
    assert "reste dû" in exc.value.message_dict["amount"][0]
    assert not Payment.objects.exists()


def test_payment_checks_mandate_and_date(subscription, billing):
    invoice = issued(subscription, billing)
    services.record_payment(
        invoice=invoice,
        mandate_number="M-1",
        paid_on=date(2026, 4, 1),
        amount=Decimal("10"),
        entered_by=billing,
    )
    with pytest.raises(ValidationError) as exc:
        services.record_payment(
            invoice=invoice,
            mandate_number="M-1",
            paid_on=date(2026, 3, 1),
            amount=Decimal("0"),
            entered_by=billing,
        )
    assert set(exc.value.message_dict) == {"mandate_number", "paid_on", "amount"}


def test_payment_on_a_draft_is_refused(subscription, billing):
    run(date(2026, 4, 1))
    with pytest.raises(ValidationError):
        services.record_payment(
            invoice=Invoice.objects.get(),
            mandate_number="M",
            paid_on=date(2026, 4, 1),
            amount=Decimal(1),
            entered_by=billing,
        )


def test_import_payments(subscription, billing):
    invoice = issued(subscription, billing)
    content = (
        "facture;mandat;date;montant\n"
        f"{invoice.number};M-100;02/04/2026;500,00\n"
        f"{invoice.number};M-101;2026-04-05;350\n"
    ).encode()
    report = services.import_payments(content=content, entered_by=billing)
    assert report.ok, report.errors
    assert len(report.payments) == 2
    invoice.refresh_from_db()
    assert invoice.settled_on == date(2026, 4, 5)
    assert set(Payment.objects.values_list("source", flat=True)) == {"import"}


def test_a_bad_import_applies_nothing_and_reports_each_line(subscription, billing):
    invoice = issued(subscription, billing)
    content = (
        "Facture;Mandat;Date;Montant\n"
        f"{invoice.number};M-100;02/04/2026;500,00\n"
        "FA-2026-99999;M-101;02/04/2026;10,00\n"
        f"{invoice.number};M-102;02/04/2026;dix euros\n"
        f"{invoice.number};M-103;31/02/2026;1,00\n"
        f"{invoice.number};M-104;02/04/2026;400,00\n"
    ).encode("cp1252")
    report = services.import_payments(content=content, entered_by=billing)
    assert not report.ok
    lines = dict(report.errors)
    assert "inconnue" in lines[3]
    assert "montant illisible" in lines[4]
    assert "date illisible" in lines[5]
    assert "reste dû" in lines[6]
    assert 2 not in lines
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0


def test_import_refuses_a_file_without_the_columns(billing):
    report = services.import_payments(content=b"a;b\n1;2\n", entered_by=billing)
    assert not report.ok
    assert report.errors[0][0] == 1


def test_parse_amount():
    assert services.parse_amount("1 234,56") == Decimal("1234.56")
    assert services.parse_amount("1234.5") == Decimal("1234.5")
    assert services.parse_amount("1\u202f234,56 €") == Decimal("1234.56")
    for bad in ("", "abc", "1,234", "12,3456"):
        with pytest.raises(InvalidOperation):
            services.parse_amount(bad)


# Late invoices ------------------------------------------------------------------------------


def test_overdue_and_reminders_due(subscription, billing, settings):
    invoice = issued(subscription, billing)  # due 15 April 2026
    assert list(services.overdue_invoices(date(2026, 4, 15))) == []
    assert list(services.overdue_invoices(date(2026, 4, 16))) == [invoice]
    assert services.reminders_due(date(2026, 4, 30)) == []
    assert services.reminders_due(date(2026, 5, 1)) == [invoice]
    services.send_reminder(invoice=invoice, kind="letter", sent_by=billing, as_of=date(2026, 5, 1))
    assert services.reminders_due(date(2026, 5, 30)) == []
    assert services.reminders_due(date(2026, 5, 31)) == [invoice]
    services.record_payment(
        invoice=invoice,
        mandate_number="M",
        paid_on=date(2026, 6, 1),
        amount=Decimal(850),
        entered_by=billing,
    )
    assert list(services.overdue_invoices(date(2026, 6, 2))) == []


def test_send_reminder_computes_interest_and_indemnity(subscription, billing):
    invoice = issued(subscription, billing)
    reminder = services.send_reminder(
        invoice=invoice, kind="email", sent_by=billing, as_of=date(2026, 6, 29)
    )
    assert reminder.days_late == 75
    assert reminder.interest == Decimal("17.73")  # 850 × 10.15 % × 75 / 365
    assert reminder.indemnity == Decimal("40.00")
    assert reminder.recipient == "mairie@brecey.example"
    assert reminder.total_claimed == Decimal("907.73")


def test_waived_reminder_needs_a_reason(subscription, billing):
    invoice = issued(subscription, billing)
    with pytest.raises(ValidationError) as exc:
        services.send_reminder(
            invoice=invoice, kind="letter", sent_by=billing, as_of=date(2026, 6, 1), waive=True
        )
    assert "waiver_reason" in exc.value.message_dict
    reminder = services.send_reminder(
        invoice=invoice,
        kind="letter",
        sent_by=billing,
        as_of=date(2026, 6, 1),
        waive=True,
        waiver_reason="Retard du comptable public",
    )
    assert reminder.interest == 0
    assert reminder.indemnity == 0
    assert reminder.waived


def test_reminder_refusals(subscription, billing, member_a):
    invoice = issued(subscription, billing)
    with pytest.raises(ValidationError, match="pas en retard"):
        services.send_reminder(
            invoice=invoice, kind="letter", sent_by=billing, as_of=date(2026, 4, 1)
        )
    member_a.email = ""
    member_a.save()
    with pytest.raises(ValidationError) as exc:
        services.send_reminder(
            invoice=invoice, kind="email", sent_by=billing, as_of=date(2026, 6, 1)
        )
    assert "kind" in exc.value.message_dict
    assert not Reminder.objects.exists()


def test_reminders_are_delivered_after_commit(
    subscription, billing, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = issued(subscription, billing)
    with django_capture_on_commit_callbacks(execute=True):
        email = services.send_reminder(
            invoice=invoice, kind="email", sent_by=billing, as_of=date(2026, 6, 1)
        )
        letter = services.send_reminder(
            invoice=invoice, kind="letter", sent_by=billing, as_of=date(2026, 6, 2)
        )
    assert len(mailoutbox) == 1
    assert invoice.number in mailoutbox[0].subject
    assert "intérêts moratoires" in mailoutbox[0].body
    letter.refresh_from_db()
    assert letter.document.read(4) == b"%PDF"
    assert email.recipient == mailoutbox[0].to[0]


def test_daily_billing(subscription, billing):
    issued(subscription, billing)
    result = services.daily_billing(date(2026, 5, 1))
    assert result["reminders"] == 1
    assert services.daily_billing(date(2026, 5, 2))["reminders"] == 0
