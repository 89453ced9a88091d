"""Inventory pages: staff and portal, permissions, isolation, bad input, query bounds,
and the licence key kept out of pages, logs and error pages."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.core.models import AuditEntry
from syndesk.core.testing import assert_isolated, count_queries
from syndesk.inventory.models import Declaration, DeclarationStatus, Installation, Workstation

from .conftest import KEY


@pytest.fixture
def b_workstation(member_b):
    return Workstation.objects.create(member=member_b, name="Mairie-Avranches-01")


@pytest.fixture
def b_declaration(member_b, charlie):
    return Declaration.objects.create(
        member=member_b, kind="planned", workstation_name="Secret-Avranches", submitted_by=charlie
    )


# Staff ------------------------------------------------------------------------------------


def test_member_inventory_page_masks_the_licence_and_shows_compliance(
    client, agent, installation, member_a
):
    client.force_login(agent)
    response = client.get(reverse("inventory:member", args=[member_a.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert KEY not in page
    assert KEY[-4:] in page
    assert "non conforme" in page
    assert "8 Go demandés" in page


def test_member_page_query_count_is_bounded(client, agent, installation, member_a, emagnus):
    for n in range(10):
        Workstation.objects.create(member=member_a, name=f"Poste {n}", ram_gib=8)
    client.force_login(agent)
    url = reverse("inventory:member", args=[member_a.pk])
    client.get(url)
    assert count_queries(lambda: client.get(url)) <= 20


def test_reveal_is_a_logged_post(client, agent, installation, caplog):
    client.force_login(agent)
    url = reverse("inventory:licence-reveal", args=[installation.pk])
    assert client.get(url).status_code == 405
    with caplog.at_level(logging.DEBUG):
        response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert KEY in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action="inventory.licence.revealed").count() == 1
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_billing_cannot_reveal(client, billing, installation):
    client.force_login(billing)
    response = client.post(reverse("inventory:licence-reveal", args=[installation.pk]))
    assert response.status_code == 403


def test_the_call_screen_panel_shows_installed_software(rf, agent, installation, member_a):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = agent
    html = Template('{% load panels %}{% render_panels "desk_call_member" member %}').render(
        Context({"member": member_a, "request": request})
    )
    assert "e.magnus" in html
    assert "2026" in html
    assert KEY[-4:] in html
    assert KEY not in html
    assert reverse("inventory:licence-reveal", args=[installation.pk]) in html


def test_installation_form_keeps_the_key_out_of_the_page_and_the_logs(
    client, agent, member_a, emagnus, v2026, caplog
):
    client.force_login(agent)
    url = reverse("inventory:installation-create", args=[member_a.pk])
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            url,
            {"software": emagnus.pk, "version": v2026.pk, "new_licence_key": KEY, "seats": "-2"},
        )
    assert response.status_code == 200  # refused: negative seats
    assert KEY not in response.content.decode()
    assert not Installation.objects.exists()
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            url, {"software": emagnus.pk, "version": v2026.pk, "new_licence_key": KEY}
        )
    assert response.status_code == 302
    assert Installation.objects.get().licence_key.reveal() == KEY
    assert all(KEY not in record.getMessage() for record in caplog.records)
    assert not AuditEntry.objects.filter(data__icontains=KEY).exists()


def test_an_error_page_never_shows_the_key(
    agent, member_a, emagnus, v2026, settings, monkeypatch, caplog
):
    """Django's technical 500 page prints the POST data and local variables, and the
    error is logged with its traceback: the key must be in neither."""
    from django.test import Client

    from syndesk.inventory import services

    def broken(*, form, saved_by):
        raise ValueError(f"could not save {form.cleaned_data}")

    monkeypatch.setattr(services, "save_installation", broken)
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            reverse("inventory:installation-create", args=[member_a.pk]),
            {"software": emagnus.pk, "version": v2026.pk, "new_licence_key": KEY},
        )
    page = response.content.decode()
    assert response.status_code == 500
    assert "could not save" in page
    assert KEY not in page
    assert KEY[-4:] in page
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "could not save" in logged
    assert KEY not in logged


def test_workstation_form_refuses_negative_ram_and_unknown_os(client, agent, member_a):
    client.force_login(agent)
    url = reverse("inventory:workstation-create", args=[member_a.pk])
    response = client.post(
        url, {"name": "Poste 1", "role": "workstation", "os": "Amiga 500", "ram_gib": "-4"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Système « Amiga 500 » non reconnu" in page
    assert "La mémoire vive doit être supérieure à 0 Go." in page
    assert not Workstation.objects.exists()
    response = client.post(
        url, {"name": "Poste 1", "role": "workstation", "os": "win10", "ram_gib": "8"}
    )
    assert response.status_code == 302
    assert Workstation.objects.get().os_label == "Windows 10"


def test_staff_pages_need_a_staff_permission(client, alice, member_a):
    client.force_login(alice)
    for url in (
        reverse("inventory:queue"),
        reverse("inventory:member", args=[member_a.pk]),
        reverse("inventory:compliance"),
        reverse("inventory:outdated"),
        reverse("inventory:import"),
    ):
        assert client.get(url).status_code == 403


def test_reports_and_queue_render_with_bounded_queries(client, manager, installation, member_a):
    client.force_login(manager)
    for name in ("inventory:queue", "inventory:compliance", "inventory:outdated"):
        url = reverse(name)
        assert client.get(url).status_code == 200
        assert count_queries(lambda u=url: client.get(u)) <= 12


def test_agent_reviews_a_declaration(client, agent, member_a, alice, v2026):
    declaration = Declaration.objects.create(
        member=member_a,
        kind="planned",
        workstation_name="Accueil 2",
        os_family="windows",
        os_version="7",
        software=v2026.software,
        version=v2026,
        submitted_by=alice,
    )
    client.force_login(agent)
    page = client.get(reverse("inventory:declaration", args=[declaration.pk])).content.decode()
    assert "Windows 7 est antérieur à Windows 10" in page
    url = reverse("inventory:declaration-review", args=[declaration.pk])
    response = client.post(url, {"action": "reject", "reason": ""})
    assert "Indiquez le motif" in response.content.decode()
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.ACCEPTED
    assert Installation.objects.filter(member=member_a, software=v2026.software).exists()


def test_import_with_a_bad_row_imports_nothing(client, agent, member_a):
    client.force_login(agent)
    content = (
        b"member_siren;name;os;ram_gib\n"
        b"215007402;Accueil;Windows 11;8\n"
        b"215007402;Compta;Windows 95;-2\n"
        b"999999999;Urbanisme;Windows 10;8\n"
    )
    response = client.post(
        reverse("inventory:import"),
        {"kind": "workstations", "file": SimpleUploadedFile("parc.csv", content)},
    )
    page = response.content.decode()
    assert "rien n&#x27;a été importé" in page or "rien n'a été importé" in page
    assert "Windows 95" in page
    assert "999999999" in page
    assert not Workstation.objects.exists()


def test_import_refuses_a_file_that_is_not_csv(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("inventory:import"),
        {"kind": "workstations", "file": SimpleUploadedFile("parc.csv", b"%PDF-1.7 ...")},
    )
    assert "n&#x27;est pas au format CSV" in response.content.decode()


# Portal -----------------------------------------------------------------------------------


def test_portal_inventory_masks_the_licence(client, alice, installation):
    client.force_login(alice)
    page = client.get(reverse("inventory-portal:home")).content.decode()
    assert "e.magnus" in page
    assert KEY[-4:] in page
    assert KEY not in page


def test_planned_purchase_check_without_saving_then_submit(client, alice, installation):
    client.force_login(alice)
    url = reverse("inventory-portal:declare", args=["achat"])
    data = {
        "workstation_name": "Accueil 2",
        "role": "workstation",
        "os": "Windows 11",
        "ram_gib": "4",
    }
    response = client.post(url, {**data, "check": "1"})
    page = response.content.decode()
    assert "4 Go seulement, 8 Go demandés" in page
    assert not Declaration.objects.exists()
    response = client.post(url, {**data, "submit": "1"})
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    assert declaration.submitted_by == alice
    assert declaration.kind == "planned"


def test_portal_declaration_bad_input(client, alice, member_a):
    client.force_login(alice)
    url = reverse("inventory-portal:declare", args=["materiel"])
    response = client.post(
        url,
        {
            "workstation_name": "X",
            "role": "workstation",
            "os": "<script>Win</script>",
            "ram_gib": "-1",
        },
    )
    page = response.content.decode()
    assert "<script>Win" not in page
    assert "&lt;script&gt;" in page
    assert "La mémoire vive doit être supérieure à 0 Go." in page
    assert not Declaration.objects.exists()
    assert client.get(reverse("inventory-portal:declare", args=["inconnu"])).status_code == 404


def test_portal_query_count_is_bounded(client, alice, installation, member_a):
    for n in range(10):
        Workstation.objects.create(member=member_a, name=f"Poste {n}")
    client.force_login(alice)
    url = reverse("inventory-portal:home")
    client.get(url)
    assert count_queries(lambda: client.get(url)) <= 15


def test_member_completes_a_declaration(client, alice, member_a):
    declaration = Declaration.objects.create(
        member=member_a,
        kind="hardware",
        workstation_name="Accueil",
        status=DeclarationStatus.NEEDS_DETAILS,
        reason="Quelle mémoire ?",
        submitted_by=alice,
    )
    client.force_login(alice)
    url = reverse("inventory-portal:declaration", args=[declaration.pk])
    assert "Quelle mémoire ?" in client.get(url).content.decode()
    response = client.post(
        url,
        {"workstation_name": "Accueil", "role": "workstation", "os": "Windows 11", "ram_gib": "16"},
    )
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


# Isolation --------------------------------------------------------------------------------


def test_charlie_cannot_see_or_touch_member_a_inventory(
    client, charlie, installation, workstation, member_a
):
    declaration = Declaration.objects.create(
        member=member_a, kind="hardware", workstation_name="Secret-Brecey"
    )
    assert_isolated(
        client,
        charlie,
        list_urls=[reverse("inventory-portal:home")],
        hidden_text="e.magnus",
        object_urls=[reverse("inventory-portal:declaration", args=[declaration.pk])],
        post_urls=[
            (
                reverse("inventory-portal:declaration", args=[declaration.pk]),
                {"workstation_name": "Pirate", "role": "workstation"},
            )
        ],
        unchanged=lambda: list(Declaration.objects.values_list("workstation_name", "status")),
    )
    page = client.get(reverse("inventory-portal:home")).content.decode()
    assert "Secret-Brecey" not in page


def test_charlie_declares_only_for_his_own_member(client, charlie, member_b):
    client.force_login(charlie)
    client.post(
        reverse("inventory-portal:declare", args=["materiel"]),
        {"workstation_name": "Avr-1", "role": "workstation", "os": "Windows 11"},
    )
    assert list(Declaration.objects.values_list("member_id", flat=True)) == [member_b.pk]


def test_staff_pages_are_not_for_member_users(
    client, alice, b_workstation, b_declaration, member_b
):
    assert_isolated(
        client,
        alice,
        object_urls=[
            reverse("inventory:member", args=[member_b.pk]),
            reverse("inventory:declaration", args=[b_declaration.pk]),
            reverse("inventory:workstation-edit", args=[member_b.pk, b_workstation.pk]),
        ],
        post_urls=[
            (reverse("inventory:workstation-delete", args=[member_b.pk, b_workstation.pk]), {}),
            (
                reverse("inventory:declaration-review", args=[b_declaration.pk]),
                {"action": "accept"},
            ),
        ],
        unchanged=lambda: (Workstation.objects.count(), list(Declaration.objects.values("status"))),
    )


def test_a_workstation_of_another_member_is_404_under_the_wrong_member(
    client, agent, member_a, b_workstation
):
    client.force_login(agent)
    url = reverse("inventory:workstation-edit", args=[member_a.pk, b_workstation.pk])
    assert client.get(url).status_code == 404
