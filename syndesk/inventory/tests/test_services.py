"""Inventory services: declarations and their review, reminders, compliance, outdated
versions, licence reveal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from syndesk.core.models import AuditEntry
from syndesk.inventory import rules, services
from syndesk.inventory.forms import PlannedPurchaseForm, SoftwareDeclarationForm
from syndesk.inventory.models import (
    Declaration,
    DeclarationKind,
    DeclarationStatus,
    Installation,
    Workstation,
)
from syndesk.members.models import Contact

from .conftest import KEY


def _planned(member, user, version, **extra):
    data = {
        "workstation_name": "Accueil 2",
        "role": "workstation",
        "os": "Windows 11 Pro",
        "ram_gib": "16",
        "software": version.software.pk,
        "version": version.pk,
        **extra,
    }
    form = PlannedPurchaseForm(data=data, member=member)
    assert form.is_valid(), form.errors
    return services.submit_declaration(form=form, submitted_by=user)


def test_accepting_a_planned_purchase_adds_the_workstation_and_the_installation(
    member_a, alice, agent, v2026, django_capture_on_commit_callbacks
):
    declaration = _planned(member_a, alice, v2026)
    assert declaration.status == DeclarationStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_declaration(declaration=declaration, reviewed_by=agent)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.ACCEPTED
    workstation = Workstation.objects.get(member=member_a, name="Accueil 2")
    assert (workstation.os_family, workstation.os_version) == ("windows", "11")
    installation = Installation.objects.get(member=member_a, software=v2026.software)
    assert installation.version == v2026
    assert list(installation.workstations.all()) == [workstation]
    assert AuditEntry.objects.filter(action="inventory.declaration.accepted").exists()
    assert mail.outbox
    assert mail.outbox[0].to == [alice.email]


def test_a_software_declaration_keeps_the_licence_and_updates_the_existing_installation(
    member_a, alice, agent, installation, v2025
):
    form = SoftwareDeclarationForm(
        data={"software": v2025.software.pk, "version": v2025.pk, "licence_key": "NEW-KEY-0001"},
        member=member_a,
    )
    assert form.is_valid(), form.errors
    declaration = services.submit_declaration(form=form, submitted_by=alice)
    services.accept_declaration(declaration=declaration, reviewed_by=agent)
    installation.refresh_from_db()
    assert installation.version == v2025
    assert installation.licence_key.reveal() == "NEW-KEY-0001"
    assert Installation.objects.filter(member=member_a).count() == 1


def test_charlie_cannot_declare_for_another_member(member_a, charlie, v2026):
    form = PlannedPurchaseForm(
        data={"workstation_name": "X", "role": "workstation", "os": "Windows 11"}, member=member_a
    )
    assert form.is_valid()
    with pytest.raises(PermissionDenied):
        services.submit_declaration(form=form, submitted_by=charlie)
    assert not Declaration.objects.exists()


def test_reject_and_details_need_a_reason_and_a_reviewed_declaration_is_closed(
    member_a, alice, agent, v2026
):
    declaration = _planned(member_a, alice, v2026)
    with pytest.raises(ValidationError):
        services.reject_declaration(declaration=declaration, reviewed_by=agent, reason=" ")
    services.reject_declaration(declaration=declaration, reviewed_by=agent, reason="Doublon")
    with pytest.raises(ValidationError):
        services.accept_declaration(declaration=declaration, reviewed_by=agent)
    assert not Workstation.objects.filter(name="Accueil 2").exists()


def test_acceptance_is_all_or_nothing(member_a, alice, agent, v2026, monkeypatch):
    declaration = _planned(member_a, alice, v2026)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "log_action", broken)
    with pytest.raises(RuntimeError):
        services.accept_declaration(declaration=declaration, reviewed_by=agent)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert not Workstation.objects.filter(name="Accueil 2").exists()
    assert not Installation.objects.exists()


def test_reminders_for_declarations_waiting_for_details(
    member_a, alice, agent, v2026, settings, django_capture_on_commit_callbacks
):
    settings.INVENTORY_REMINDER_DAYS = 7
    settings.INVENTORY_REMINDER_MAX = 2
    declaration = _planned(member_a, alice, v2026)
    services.request_details(declaration=declaration, reviewed_by=agent, reason="Quel modèle ?")
    today = timezone.localdate()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.inventory_reminders(today + timedelta(days=6)) == 0
        assert services.inventory_reminders(today + timedelta(days=7)) == 1
        assert services.inventory_reminders(today + timedelta(days=7)) == 0  # once a period
        Declaration.objects.filter(pk=declaration.pk).update(
            last_reminder_at=timezone.now() - timedelta(days=8)
        )
        assert services.inventory_reminders(today + timedelta(days=14)) == 1
        Declaration.objects.filter(pk=declaration.pk).update(
            last_reminder_at=timezone.now() - timedelta(days=8)
        )
        assert services.inventory_reminders(today + timedelta(days=30)) == 0  # at most twice
    assert len(mail.outbox) == 2
    assert "Quel modèle ?" in mail.outbox[0].body


def test_member_completes_a_declaration_after_a_details_request(member_a, alice, agent, v2026):
    declaration = _planned(member_a, alice, v2026)
    services.request_details(declaration=declaration, reviewed_by=agent, reason="RAM ?")
    declaration.refresh_from_db()
    form = PlannedPurchaseForm(
        data={
            "workstation_name": "Accueil 2",
            "role": "workstation",
            "os": "Windows 11",
            "ram_gib": "32",
        },
        instance=declaration,
        member=member_a,
    )
    assert form.is_valid(), form.errors
    services.complete_declaration(form=form, completed_by=alice)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.ram_gib == Decimal("32")


def test_compliance_report_lists_failing_workstations(member_a, member_b, installation, agent):
    Workstation.objects.create(member=member_b, name="OK", os_family="windows", os_version="11")
    report = services.compliance_report(user=agent)
    assert [m.member for m in report] == [member_a]
    failing = report[0].failing[0]
    assert failing.workstation.name == "Accueil"
    assert any("8 Go demandés" in c.reason for c in failing.failures)


def test_planned_purchase_is_checked_against_every_version_the_member_uses(member_a, installation):
    spec = rules.Spec(os_family="windows", os_version="7", ram_gib=Decimal(16))
    checks = services.check_spec_for_member(member=member_a, spec=spec)
    assert rules.overall(checks) == rules.FAIL
    assert {c.source for c in checks} == {"e.magnus 2026"}


def test_outdated_report_and_email(
    member_a, installation, v2025, v2026, agent, django_capture_on_commit_callbacks
):
    installation.version = v2025
    installation.save()
    v2025.end_of_support = date(2026, 3, 31)
    v2025.save()
    Contact.objects.create(member=member_a, last_name="Durand", email="mairie@brecey.example")
    groups = services.outdated_report(user=agent, today=date(2026, 6, 1))
    assert groups[0].latest == v2026
    row = groups[0].rows[0]
    assert row.state.older
    assert row.state.past_end_of_support
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.notify_outdated(
            software=v2026.software, channel="email", notified_by=agent, today=date(2026, 6, 1)
        )
    assert sent == 1
    assert mail.outbox[0].to == ["mairie@brecey.example"]
    assert "2026" in mail.outbox[0].body


def test_outdated_notice_publishes_a_news_item(member_a, installation, v2025, v2026, agent):
    from syndesk.news.models import Notice

    installation.version = v2025
    installation.save()
    services.notify_outdated(
        software=v2026.software, channel="notice", notified_by=agent, today=date(2026, 6, 1)
    )
    notice = Notice.objects.get()
    assert notice.is_published
    assert "2026" in notice.title


def test_reveal_is_logged_and_refused_to_billing(installation, agent, billing):
    assert services.reveal_licence(installation=installation, revealed_by=agent) == KEY
    entry = AuditEntry.objects.get(action="inventory.licence.revealed")
    assert entry.actor == agent
    assert KEY not in str(entry.data)
    assert KEY not in entry.target_repr
    with pytest.raises(PermissionDenied):
        services.reveal_licence(installation=installation, revealed_by=billing)


def test_declaration_kinds_are_known():
    assert set(DeclarationKind.values) == {"software", "hardware", "planned"}
