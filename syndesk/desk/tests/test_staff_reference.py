"""Managers' reference data: the annex's exclusions and the SLA targets."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from syndesk.core.models import AuditEntry
from syndesk.desk import services
from syndesk.desk.models import Exclusion, Priority, SLATarget

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


EXCLUSION = {
    "title": "Sauvegardes des postes",
    "keywords": "sauvegarde du poste\nclé usb",
    "answer": "Bonjour,\n\nLes sauvegardes relèvent de votre prestataire.",
    "position": 70,
    "is_active": "on",
}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("billing", 200), ("manager", 200), ("alice", 403), (None, 302)],
)
def test_everyone_on_the_staff_reads_the_lists(client, persona, status, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("desk:exclusions")).status_code == status
    assert client.get(reverse("desk:sla-targets")).status_code == status


def test_the_list_counts_redirected_tickets(client, manager, open_ticket, agent):
    training = Exclusion.objects.get(title="Formation du personnel")
    services.redirect_out_of_scope(ticket=open_ticket(), exclusion=training, by=agent)
    client.force_login(manager)
    response = client.get(reverse("desk:exclusions"))
    counts = {e.title: e.redirected for e in response.context["exclusions"]}
    assert counts["Formation du personnel"] == 1
    assert counts["Interventions sur site"] == 0


def test_a_manager_adds_an_exclusion_that_is_then_suggested(client, manager):
    client.force_login(manager)
    response = client.post(reverse("desk:exclusion-create"), EXCLUSION)
    assert response.status_code == 302
    exclusion = Exclusion.objects.get(title="Sauvegardes des postes")
    assert AuditEntry.objects.filter(action="desk.exclusion.created", actor=manager).exists()
    suggested = services.suggest_exclusions("Comment faire la sauvegarde du poste ?")
    assert [m.exclusion for m in suggested] == [exclusion]


def test_a_manager_edits_and_deactivates(client, manager):
    client.force_login(manager)
    exclusion = Exclusion.objects.get(title="Interventions sur site")
    response = client.post(
        reverse("desk:exclusion-edit", args=[exclusion.pk]),
        {**EXCLUSION, "title": "Interventions sur site (déplacements)"},
    )
    assert response.status_code == 302
    exclusion.refresh_from_db()
    assert exclusion.title == "Interventions sur site (déplacements)"
    response = client.post(
        reverse("desk:exclusion-toggle", args=[exclusion.pk]), {"active": "0"}, follow=True
    )
    assert "désactivée" in text(response)
    exclusion.refresh_from_db()
    assert not exclusion.is_active
    assert exclusion not in [m.exclusion for m in services.suggest_exclusions("sur site")]
    client.post(reverse("desk:exclusion-toggle", args=[exclusion.pk]), {"active": "1"})
    exclusion.refresh_from_db()
    assert exclusion.is_active
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"desk.exclusion.changed", "desk.exclusion.deactivated"} <= actions


def test_an_exclusion_needs_a_title_and_an_answer(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("desk:exclusion-create"), {**EXCLUSION, "title": "", "answer": ""}
    )
    assert set(response.context["form"].errors) == {"title", "answer"}


def test_agents_cannot_edit_exclusions(client, agent):
    client.force_login(agent)
    exclusion = Exclusion.objects.first()
    assert client.get(reverse("desk:exclusion-create")).status_code == 403
    assert (
        client.post(reverse("desk:exclusion-edit", args=[exclusion.pk]), EXCLUSION).status_code
        == 403
    )
    assert (
        client.post(
            reverse("desk:exclusion-toggle", args=[exclusion.pk]), {"active": "0"}
        ).status_code
        == 403
    )
    assert Exclusion.objects.get(pk=exclusion.pk).is_active


def test_a_manager_edits_an_sla_target_in_business_hours(client, manager):
    client.force_login(manager)
    page = client.get(reverse("desk:sla-target-edit", args=[Priority.URGENT]))
    assert page.context["form"].initial == {"first_response": 1, "resolution": 4}
    response = client.post(
        reverse("desk:sla-target-edit", args=[Priority.URGENT]),
        {"first_response": "0.5", "resolution": "3"},
    )
    assert response.status_code == 302
    target = SLATarget.objects.get(priority=Priority.URGENT)
    assert (target.first_response, target.resolution) == (
        timedelta(minutes=30),
        timedelta(hours=3),
    )
    entry = AuditEntry.objects.get(action="desk.sla_target.changed")
    assert entry.data["after"] == {"first_response": 1800, "resolution": 10800}
    assert "30 min" in text(client.get(reverse("desk:sla-targets")))


def test_resolution_cannot_come_before_first_response(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("desk:sla-target-edit", args=[Priority.LOW]),
        {"first_response": "8", "resolution": "2"},
    )
    assert response.status_code == 200
    assert "resolution" in response.context["form"].errors
    assert SLATarget.objects.get(priority=Priority.LOW).resolution == timedelta(hours=40)


@pytest.mark.parametrize("values", [("0", "1"), ("x", "2"), ("", "")])
def test_bad_sla_values(client, manager, values):
    client.force_login(manager)
    response = client.post(
        reverse("desk:sla-target-edit", args=[Priority.LOW]),
        {"first_response": values[0], "resolution": values[1]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_an_unknown_priority_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("desk:sla-target-edit", args=[9])).status_code == 404


def test_agents_cannot_edit_sla_targets(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("desk:sla-target-edit", args=[Priority.LOW]),
        {"first_response": "1", "resolution": "2"},
    )
    assert response.status_code == 403
