from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from syndesk.contracts.models import Subscription
from syndesk.core.models import AuditEntry
from syndesk.ops import jobs
from syndesk.ops.notices import RENEWAL, send_contract_notices

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)


@pytest.fixture
def ending(member_a):
    """A subscription whose overall end date has passed: today's run ends it."""
    return Subscription.objects.create(
        member=member_a, start=date(2024, 1, 15), end_date=TODAY - timedelta(days=2)
    )


@pytest.fixture
def renewing(member_b):
    """A tacit subscription whose anniversary falls within the notice period."""
    return Subscription.objects.create(member=member_b, start=date(2025, 12, 20))


def _counts(report):
    return {job.code: job.counts for job in report.jobs}


def test_it_runs_every_job_and_reports_counts(
    ending, renewing, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs.run_daily(today=TODAY)
    counts = _counts(report)
    assert report.ok
    assert counts["contracts.subscriptions"] == {"subscriptions_ended": 1}
    assert counts["contracts.notices"] == {"renewals_announced": 1, "terminations_announced": 0}
    assert set(counts) >= {"contracts.quotes", "desk.sla", "desk.auto_close", "ops.retention"}
    ending.refresh_from_db()
    assert ending.status == Subscription.Status.ENDED
    assert [m.to for m in mail.outbox] == [[billing.email]]
    assert "Avranches" in mail.outbox[0].body


def test_it_writes_its_report_in_the_audit_log(ending):
    jobs.run_daily(today=TODAY)
    entry = AuditEntry.objects.get(action="ops.daily.run")
    assert entry.data["date"] == "2026-11-27"
    assert entry.data["jobs"]["contracts.subscriptions"]["counts"] == {"subscriptions_ended": 1}


def test_a_second_run_the_same_day_does_nothing(
    ending, renewing, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.run_daily(today=TODAY)
        second = jobs.run_daily(today=TODAY)
    counts = _counts(second)
    assert counts["contracts.subscriptions"] == {"subscriptions_ended": 0}
    assert counts["contracts.notices"] == {"renewals_announced": 0, "terminations_announced": 0}
    assert len(mail.outbox) == 1


def test_a_dry_run_reports_but_saves_nothing_and_sends_nothing(
    ending, renewing, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs.run_daily(today=TODAY, dry_run=True)
    assert _counts(report)["contracts.subscriptions"] == {"subscriptions_ended": 1}
    ending.refresh_from_db()
    assert ending.status == Subscription.Status.ACTIVE
    assert not AuditEntry.objects.filter(action=RENEWAL).exists()
    assert mail.outbox == []


def test_a_failing_job_does_not_stop_the_others(ending):
    def boom(today, now):
        raise RuntimeError("disk full")

    report = jobs.run_daily(today=TODAY, jobs=[jobs.Job("broken", boom), *jobs.default_jobs()])
    assert not report.ok
    assert report.jobs[0].error == "RuntimeError: disk full"
    assert _counts(report)["contracts.subscriptions"] == {"subscriptions_ended": 1}


def test_the_command_prints_the_report(ending, capsys):
    call_command("run_daily", "--date", "2026-11-27")
    out = capsys.readouterr().out
    assert "contracts.subscriptions: ok (subscriptions_ended=1)" in out


def test_the_command_exits_non_zero_when_a_job_fails(monkeypatch, db):
    def broken():
        return [jobs.Job("broken", lambda today, now: 1 / 0)]

    monkeypatch.setattr(jobs, "default_jobs", broken)
    with pytest.raises(CommandError, match="broken"):
        call_command("run_daily", "--date", "2026-11-27")


def test_terminations_are_announced_before_the_last_day(
    member_a, manager, django_capture_on_commit_callbacks
):
    from syndesk.contracts.models import Termination

    sub = Subscription.objects.create(member=member_a, start=date(2024, 1, 15))
    Termination.objects.create(
        subscription=sub, received_on=date(2026, 10, 15), last_day=date(2026, 12, 31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = send_contract_notices(today=TODAY, days=60)
    assert counts["terminations_announced"] == 1
    assert "31 décembre 2026" in mail.outbox[0].body


def test_a_replayed_day_stands_at_its_end():
    moment = jobs.moment_of(date(2026, 3, 1))
    assert (moment.hour, moment.minute) == (23, 59)
