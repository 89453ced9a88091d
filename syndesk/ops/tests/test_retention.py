from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from syndesk.contracts.models import Subscription
from syndesk.desk.models import InboundEmail
from syndesk.members.models import Contact
from syndesk.ops import retention

TODAY = date(2026, 11, 27)


@given(st.dates(min_value=date(1910, 1, 1)), st.integers(min_value=0, max_value=100))
def test_years_before_is_the_same_day_or_the_28th_of_february(day, years):
    earlier = retention.years_before(day, years)
    assert earlier.year == day.year - years
    assert (earlier.month, earlier.day) == (day.month, day.day) or (
        (day.month, day.day) == (2, 29) and (earlier.month, earlier.day) == (2, 28)
    )


def test_years_before_examples():
    assert retention.years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert retention.years_before(TODAY, 3) == date(2023, 11, 27)


@pytest.mark.django_db
def test_finished_task_results_go_after_the_period_waiting_ones_stay(make_result):
    old = timezone.now() - timedelta(days=100)
    make_result("SUCCESSFUL", finished_at=old)
    make_result("FAILED", finished_at=old)
    recent = make_result("FAILED")
    waiting = make_result("READY")
    deleted = retention.purge_task_results(today=timezone.localdate(), days=90)
    from django_tasks_db.models import DBTaskResult

    assert deleted == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def _inbound(status, days_ago):
    inbound = InboundEmail(
        received_at=timezone.now() - timedelta(days=days_ago),
        from_address="x@example.org",
        subject="Bonjour",
        status=status,
    )
    inbound.raw.save("m.eml", ContentFile(b"Subject: x\n\nbody"), save=False)
    inbound.save()
    return inbound


@pytest.mark.django_db
def test_old_dismissed_triage_mail_goes_with_its_file(django_capture_on_commit_callbacks):
    old = _inbound(InboundEmail.Status.DISMISSED, 400)
    path = old.raw.path
    pending = _inbound(InboundEmail.Status.PENDING, 400)
    recent = _inbound(InboundEmail.Status.DISMISSED, 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_inbound_emails(today=timezone.localdate(), days=365) == 1
    assert set(InboundEmail.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    import os

    assert not os.path.exists(path)


@pytest.fixture
def gone(member_a):
    """Brécey left: its subscription ended more than three years ago."""
    Subscription.objects.create(
        member=member_a, start=date(2018, 1, 1), status="ended", ended_on=date(2023, 6, 30)
    )
    return Contact.objects.create(
        member=member_a,
        first_name="Jeanne",
        last_name="Martin",
        email="jm@brecey.example",
        phone="+33233000000",
        notes="préfère le matin",
        is_primary=True,
    )


@pytest.mark.django_db
def test_contacts_of_a_member_gone_for_three_years_are_anonymised(gone):
    assert retention.anonymise_contacts(today=TODAY, years=3) == 1
    gone.refresh_from_db()
    assert (gone.first_name, gone.last_name, gone.email, gone.phone, gone.notes) == (
        "",
        retention.ANONYMISED_NAME,
        "",
        "",
        "",
    )
    assert retention.anonymise_contacts(today=TODAY, years=3) == 0  # idempotent


@pytest.mark.django_db
def test_contacts_are_kept_within_the_period_or_while_a_subscription_runs(gone, member_b):
    assert retention.anonymise_contacts(today=date(2026, 6, 29), years=3) == 0
    Subscription.objects.create(member=gone.member, start=date(2025, 1, 1))
    assert retention.anonymise_contacts(today=TODAY, years=3) == 0
    # A member that never subscribed is a prospect, not a past member: kept.
    Contact.objects.create(member=member_b, last_name="Durand")
    assert retention.anonymise_contacts(today=TODAY, years=3) == 0
