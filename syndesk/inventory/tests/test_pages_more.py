"""Panels on other apps' pages, the reminder command, the outdated-versions action and
editing an installation without retyping its key."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from syndesk.inventory.models import Declaration, DeclarationStatus
from syndesk.news.models import Notice

from .conftest import KEY


def test_member_page_shows_the_inventory_panel(client, agent, installation, member_a):
    client.force_login(agent)
    page = client.get(reverse("members:detail", args=[member_a.pk])).content.decode()
    assert "Parc informatique" in page
    assert "1 poste non conforme" in page
    assert reverse("inventory:member", args=[member_a.pk]) in page
    assert KEY not in page


def test_portal_organisation_page_shows_the_inventory_card(client, alice, installation):
    client.force_login(alice)
    page = client.get(reverse("member-portal:home")).content.decode()
    assert "Notre parc informatique" in page
    assert "1 logiciel enregistré." in page


def test_reminder_command(member_a, alice, django_capture_on_commit_callbacks, mailoutbox):
    Declaration.objects.create(
        member=member_a,
        kind="hardware",
        workstation_name="Accueil",
        status=DeclarationStatus.NEEDS_DETAILS,
        reason="Quel disque ?",
        details_requested_at=timezone.now() - timedelta(days=10),
        submitted_by=alice,
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("inventory_reminders", stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
    assert mailoutbox[0].to == [alice.email]


def test_outdated_page_and_one_click_notice(client, manager, installation, v2025, v2026):
    installation.version = v2025
    installation.save()
    client.force_login(manager)
    page = client.get(reverse("inventory:outdated")).content.decode()
    assert "Brécey" in page
    assert "dernière version : 2026" in page
    response = client.post(
        reverse("inventory:outdated-notify"),
        {"software": v2026.software.pk, "channel": "notice"},
    )
    assert response.status_code == 302
    assert Notice.objects.get().is_published


def test_billing_cannot_publish_a_notice_from_the_report(client, billing, installation, v2025):
    installation.version = v2025
    installation.save()
    client.force_login(billing)
    response = client.post(
        reverse("inventory:outdated-notify"),
        {"software": v2025.software.pk, "channel": "notice"},
    )
    assert response.status_code == 403
    assert not Notice.objects.exists()


def test_editing_an_installation_keeps_the_key_when_left_blank(
    client, agent, installation, member_a, emagnus, v2026
):
    client.force_login(agent)
    url = reverse("inventory:installation-edit", args=[member_a.pk, installation.pk])
    page = client.get(url).content.decode()
    assert KEY not in page
    assert KEY[-4:] in page  # "Clé enregistrée : ••••4242"
    response = client.post(url, {"software": emagnus.pk, "version": v2026.pk, "seats": "5"})
    assert response.status_code == 302
    installation.refresh_from_db()
    assert installation.seats == 5
    assert installation.licence_key.reveal() == KEY


def test_software_declaration_from_the_portal(client, alice, emagnus, v2026):
    client.force_login(alice)
    response = client.post(
        reverse("inventory-portal:declare", args=["logiciel"]),
        {"software": emagnus.pk, "version": v2026.pk, "licence_key": KEY, "seats": "2"},
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.licence_key.reveal() == KEY
    page = client.get(response["Location"]).content.decode()
    assert KEY not in page
    assert KEY[-4:] in page
