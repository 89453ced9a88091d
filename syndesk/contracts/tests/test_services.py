"""The ordering chain through its services, on the real database."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from syndesk.contracts import services
from syndesk.contracts.models import PurchaseOrder, Quote, Subscription
from syndesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%signed\n"


def pdf(name="signe.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def quote(member_a, billing, support):
    return services.create_quote(
        member=member_a, quote_date=date(2026, 3, 31), offers=[support], created_by=billing
    )


@pytest.fixture
def signed(quote, billing):
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    return services.sign_quote(quote=quote, signed_on=date(2026, 4, 15), recorded_by=billing)


def complete_order(quote, billing, **overrides):
    fields = {
        "received_on": date(2026, 4, 20),
        "signed_quote": pdf(),
        "signed_annex": pdf(),
        "originals_received_on": date(2026, 4, 22),
        **overrides,
    }
    return services.record_order(quote=quote, recorded_by=billing, **fields)


def test_a_quote_is_numbered_dated_and_priced_by_the_grid(quote, member_a):
    assert quote.number == "DEV-2026-0001"
    assert quote.valid_until == date(2026, 4, 30)
    line = quote.lines.get()
    assert line.unit_price == line.computed_price == Decimal("850.00")
    assert "délibération n° 2025-38" in line.explanation
    assert quote.total_excl_vat == Decimal("850.00")
    assert quote.total_vat == Decimal("0.00")


def test_numbers_follow_each_other_without_gaps(member_a, billing, support):
    numbers = [
        services.create_quote(
            member=member_a, quote_date=date(2026, 5, d), offers=[support], created_by=billing
        ).number
        for d in (1, 2, 3)
    ]
    assert numbers == ["DEV-2026-0001", "DEV-2026-0002", "DEV-2026-0003"]


def test_a_failed_quote_gives_its_number_back(member_a, billing, support, payroll_option):
    member_a.population = None
    with pytest.raises(ValidationError):
        services.create_quote(
            member=member_a,
            quote_date=date(2025, 6, 1),  # no grid yet
            offers=[support],
            created_by=billing,
        )
    assert not Quote.objects.exists()
    ok = services.create_quote(
        member=member_a, quote_date=date(2026, 6, 1), offers=[support], created_by=billing
    )
    assert ok.number == "DEV-2026-0001"


def test_quotes_are_never_deleted(quote):
    with pytest.raises(RuntimeError):
        quote.delete()


def test_a_price_change_needs_a_reason(quote, billing):
    line = quote.lines.get()
    with pytest.raises(ValidationError) as exc:
        services.change_quote_line(
            line=line,
            unit_price=Decimal("700"),
            quantity=Decimal(1),
            override_reason=" ",
            changed_by=billing,
        )
    assert "override_reason" in exc.value.message_dict
    services.change_quote_line(
        line=line,
        unit_price=Decimal("700"),
        quantity=Decimal(1),
        override_reason="Remise de première adhésion",
        changed_by=billing,
    )
    line.refresh_from_db()
    assert line.unit_price == Decimal("700.00")
    assert line.computed_price == Decimal("850.00")
    assert AuditEntry.objects.filter(action="contracts.quote.line_changed").exists()


def test_a_sent_quote_can_no_longer_be_edited(quote, billing, payroll_option):
    services.send_quote(quote=quote, sent_on=date(2026, 4, 1), sent_by=billing)
    with pytest.raises(ValidationError):
        services.add_quote_line(quote=quote, offer=payroll_option, added_by=billing)


def test_signing_on_the_last_valid_day_is_accepted(quote, billing):
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    services.sign_quote(quote=quote, signed_on=date(2026, 4, 30), recorded_by=billing)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SIGNED


def test_signing_after_the_validity_is_refused_with_the_dates(quote, billing):
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    with pytest.raises(services.QuoteExpired) as exc:
        services.sign_quote(quote=quote, signed_on=date(2026, 5, 1), recorded_by=billing)
    message = exc.value.message_dict["signed_on"][0]
    assert "valable jusqu'au 30 avril 2026" in message
    assert "Réémettez" in message
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT


def test_reissuing_prices_at_the_new_date_and_expires_the_old_quote(quote, billing):
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    new = services.reissue_quote(quote=quote, quote_date=date(2026, 5, 4), created_by=billing)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert new.replaces == quote
    assert new.valid_until == date(2026, 6, 4)
    assert [line.offer for line in new.lines.all()] == [line.offer for line in quote.lines.all()]


def test_the_daily_job_expires_unsigned_quotes(quote, billing):
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    assert services.expire_quotes(today=date(2026, 4, 30)) == 0
    assert services.expire_quotes(today=date(2026, 5, 1)) == 1
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED


def test_an_order_needs_every_document_before_acceptance(signed, billing, member_a):
    member_a.commitment_number_required = True
    member_a.save()
    order = services.record_order(quote=signed, received_on=date(2026, 4, 20), recorded_by=billing)
    missing = services.missing_for_acceptance(order)
    assert len(missing) == 4
    with pytest.raises(ValidationError) as exc:
        services.accept_order(order=order, accepted_on=date(2026, 4, 23), accepted_by=billing)
    assert "le devis signé" in exc.value.messages[0]
    assert "numéro d'engagement" in exc.value.messages[0]
    assert not Subscription.objects.exists()
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED


def test_an_order_needs_a_signed_quote(quote, billing):
    with pytest.raises(ValidationError):
        complete_order(quote, billing)


def test_accepting_a_complete_order_opens_the_subscription_at_the_order_date(
    signed, billing, member_a
):
    order = complete_order(signed, billing)
    subscription = services.accept_order(
        order=order, accepted_on=date(2026, 4, 23), accepted_by=billing
    )
    assert subscription.start == date(2026, 4, 20)
    assert subscription.status == Subscription.Status.ACTIVE
    assert [line.offer.code for line in subscription.lines.all()] == ["assistance"]
    assert services.is_entitled(member_a, date(2026, 4, 20))
    assert not services.is_entitled(member_a, date(2026, 4, 19))
    assert subscription.next_renewal(date(2026, 4, 23)) == date(2027, 4, 20)
    assert AuditEntry.objects.filter(action="contracts.subscription.opened").exists()


def test_a_second_order_adds_options_to_the_open_subscription(
    signed, billing, member_a, payroll_option, emagnus
):
    first = services.accept_order(
        order=complete_order(signed, billing), accepted_on=date(2026, 4, 23), accepted_by=billing
    )
    option_quote = services.create_quote(
        member=member_a, quote_date=date(2026, 9, 1), offers=[payroll_option], created_by=billing
    )
    services.send_quote(quote=option_quote, sent_on=date(2026, 9, 1), sent_by=billing)
    services.sign_quote(quote=option_quote, signed_on=date(2026, 9, 10), recorded_by=billing)
    order = complete_order(option_quote, billing, received_on=date(2026, 9, 12))
    second = services.accept_order(order=order, accepted_on=date(2026, 9, 15), accepted_by=billing)
    assert second == first
    assert second.start == date(2026, 4, 20)  # still the first order's date
    assert {line.offer.code for line in second.lines.all()} == {"assistance", "paie-emagnus"}
    assert list(second.software.all()) == [emagnus]


@pytest.fixture
def subscription(signed, billing):
    return services.accept_order(
        order=complete_order(signed, billing), accepted_on=date(2026, 4, 23), accepted_by=billing
    )


def test_a_termination_ends_service_two_months_after_the_next_first(
    subscription, billing, member_a
):
    termination = services.record_termination(
        subscription=subscription, received_on=date(2027, 9, 15), recorded_by=billing
    )
    assert termination.last_day == date(2027, 11, 30)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.TERMINATING
    assert services.is_entitled(member_a, date(2027, 11, 30))
    assert not services.is_entitled(member_a, date(2027, 12, 1))
    assert services.end_subscriptions(today=date(2027, 11, 30)) == 0
    assert services.end_subscriptions(today=date(2027, 12, 1)) == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ENDED
    assert subscription.ended_on == date(2027, 11, 30)


def test_a_termination_in_the_first_year_waits_for_its_end(subscription, billing):
    termination = services.record_termination(
        subscription=subscription, received_on=date(2026, 5, 10), recorded_by=billing
    )
    assert termination.last_day == date(2027, 4, 19)
    assert termination.explanation.floored_by_minimum_term


def test_a_termination_before_the_start_is_refused(subscription, billing):
    with pytest.raises(ValidationError) as exc:
        services.record_termination(
            subscription=subscription, received_on=date(2026, 4, 1), recorded_by=billing
        )
    assert "avant le début de l'abonnement" in exc.value.message_dict["received_on"][0]
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_a_withdrawn_termination_restores_tacit_renewal(subscription, billing, member_a):
    termination = services.record_termination(
        subscription=subscription, received_on=date(2027, 9, 15), recorded_by=billing
    )
    services.withdraw_termination(
        termination=termination, withdrawn_on=date(2027, 10, 1), withdrawn_by=billing
    )
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert services.is_entitled(member_a, date(2030, 1, 1))
    again = services.record_termination(
        subscription=subscription, received_on=date(2028, 1, 3), recorded_by=billing
    )
    assert again.last_day == date(2028, 3, 31)


def test_renewal_by_decision_covers_only_decided_years(subscription, billing, member_a):
    services.change_subscription(
        subscription=subscription,
        renewal="decision",
        end_date=None,
        software=[],
        changed_by=billing,
    )
    assert services.is_entitled(member_a, date(2027, 4, 19))
    assert not services.is_entitled(member_a, date(2027, 4, 20))
    services.renew_by_decision(subscription=subscription, decided_by=billing)
    assert services.is_entitled(member_a, date(2028, 4, 19))


def test_an_overall_end_date_caps_the_subscription(subscription, billing, member_a):
    services.change_subscription(
        subscription=subscription,
        renewal="tacit",
        end_date=date(2029, 4, 19),
        software=[],
        changed_by=billing,
    )
    assert subscription.next_renewal(date(2028, 5, 1)) is None
    assert not services.is_entitled(member_a, date(2029, 4, 20))


def test_upcoming_lists_renewals_and_terminations(subscription, billing, member_b, support):
    soon = services.upcoming(today=date(2027, 2, 1))
    assert [(d, s) for d, s in soon["renewals"]] == [(date(2027, 4, 20), subscription)]
    services.record_termination(
        subscription=subscription, received_on=date(2027, 9, 15), recorded_by=billing
    )
    later = services.upcoming(today=date(2027, 10, 1))
    assert [item[0] for item in later["terminations"]] == [date(2027, 11, 30)]
    assert later["renewals"] == []


def test_the_daily_command_runs_both_jobs(subscription, billing, member_a, support):
    from io import StringIO

    from django.core.management import call_command

    services.record_termination(
        subscription=subscription, received_on=date(2027, 9, 15), recorded_by=billing
    )
    late = services.create_quote(
        member=member_a, quote_date=date(2027, 10, 1), offers=[support], created_by=billing
    )
    out = StringIO()
    call_command("contracts_daily", "--date", "2027-12-01", stdout=out)
    assert "1 quote(s) expired, 1 subscription(s) ended" in out.getvalue()
    late.refresh_from_db()
    assert late.status == Quote.Status.EXPIRED


def test_the_daily_task_runs_through_the_task_framework(subscription):
    from syndesk.contracts.tasks import run_daily_contract_jobs

    result = run_daily_contract_jobs.enqueue()
    assert result.return_value == {"quotes_expired": 0, "subscriptions_ended": 0}


def test_dates_out_of_order_are_refused(quote, billing, member_a, support):
    with pytest.raises(ValidationError) as exc:
        services.send_quote(quote=quote, sent_on=date(2026, 3, 30), sent_by=billing)
    assert "sent_on" in exc.value.message_dict
    services.send_quote(quote=quote, sent_on=date(2026, 3, 31), sent_by=billing)
    services.sign_quote(quote=quote, signed_on=date(2026, 4, 15), recorded_by=billing)
    with pytest.raises(ValidationError) as exc:
        complete_order(quote, billing, received_on=date(2026, 4, 14))
    assert "avant la signature du devis (15 avril 2026)" in exc.value.message_dict["received_on"][0]
    order = complete_order(quote, billing, received_on=date(2026, 4, 15))
    subscription = services.accept_order(
        order=order, accepted_on=date(2026, 4, 16), accepted_by=billing
    )
    termination = services.record_termination(
        subscription=subscription, received_on=date(2027, 9, 15), recorded_by=billing
    )
    for too_early_or_late in (date(2027, 9, 14), date(2027, 12, 1)):
        with pytest.raises(ValidationError) as exc:
            services.withdraw_termination(
                termination=termination, withdrawn_on=too_early_or_late, withdrawn_by=billing
            )
        assert "withdrawn_on" in exc.value.message_dict


def test_a_request_is_closed_once(member_a, agent, billing, support):
    request = services.record_request(
        member=member_a,
        received_on=date(2026, 3, 2),
        channel="phone",
        summary="Adhésion",
        created_by=agent,
    )
    services.close_request(request=request, closed_by=billing)
    with pytest.raises(ValidationError):
        services.close_request(request=request, closed_by=billing)


def test_dates_are_written_the_french_way(member_a, billing, support):
    quote = services.create_quote(
        member=member_a, quote_date=date(2026, 4, 1), offers=[support], created_by=billing
    )
    services.send_quote(quote=quote, sent_on=date(2026, 4, 1), sent_by=billing)
    with pytest.raises(services.QuoteExpired) as exc:
        services.sign_quote(quote=quote, signed_on=date(2026, 5, 2), recorded_by=billing)
    assert "valable jusqu'au 1er mai 2026" in exc.value.message_dict["signed_on"][0]
