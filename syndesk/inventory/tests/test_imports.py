"""CSV imports: Syndesk's columns and GLPI's exports; all rows or none, with a per-row
report in French."""

import logging
from decimal import Decimal

from syndesk.inventory.models import Installation, Workstation
from syndesk.inventory.services import import_inventory_csv

WORKSTATIONS = (
    "member_siren;name;role;os;cpu_cores;ram_gib;free_disk_gib;browser;runtimes;"
    "antivirus;antivirus_up_to_date;update_status;last_checked\n"
    "215007402;Accueil;poste;Windows 10 Pro 22H2;4;8;120,5;Firefox 128;Java 1.8;"
    "Defender;oui;à jour;15/10/2026\n"
    "215007402;SRV-MAIRIE;serveur;Windows Server 2019;8;32;500;;;;non;en attente;\n"
)


def test_workstations_import_normalises_what_it_reads(member_a, agent):
    report = import_inventory_csv(
        kind="workstations", content=WORKSTATIONS.encode(), imported_by=agent
    )
    assert report.errors == []
    assert report.created == 2
    accueil = Workstation.objects.get(name="Accueil")
    assert accueil.os_label == "Windows 10"
    assert accueil.free_disk_gib == Decimal("120.5")
    assert (accueil.browser, accueil.browser_version) == ("firefox", "128")
    assert accueil.antivirus_up_to_date is True
    assert accueil.last_checked.isoformat() == "2026-10-15"
    server = Workstation.objects.get(name="SRV-MAIRIE")
    assert server.role == "server"
    assert server.update_status == "pending"
    # Importing the same file again updates, never duplicates.
    again = import_inventory_csv(
        kind="workstations", content=WORKSTATIONS.encode(), imported_by=agent
    )
    assert (again.created, again.updated) == (0, 2)


def test_one_bad_row_and_nothing_is_imported(member_a, agent):
    content = WORKSTATIONS + "215007402;Compta;poste;OS/2 Warp;;-8;;;;;peut-être;;\n"
    report = import_inventory_csv(kind="workstations", content=content.encode(), imported_by=agent)
    lines = {(line, column) for line, column, _message in report.errors}
    assert (4, "os") in lines
    assert (4, "antivirus_up_to_date") in lines or (4, "ram_gib") in lines
    assert report.created == 0
    assert not Workstation.objects.exists()


def test_unknown_columns_and_unknown_member_are_reported(member_a, agent):
    report = import_inventory_csv(
        kind="workstations", content=b"member_siren;name;colour\n1;A;red\n", imported_by=agent
    )
    assert "Colonnes inconnues : colour." in report.errors[0][2]
    report = import_inventory_csv(
        kind="workstations", content=b"member_siren;name\n999999999;A\n", imported_by=agent
    )
    assert report.errors == [(2, "member_siren", "Aucun adhérent ne porte le SIREN 999999999.")]


def test_installations_import_with_licence_never_logged(member_a, agent, v2026, caplog):
    import_inventory_csv(kind="workstations", content=WORKSTATIONS.encode(), imported_by=agent)
    content = (
        "software;version;licence_key;seats;licence_expiry;workstations\n"
        'e.magnus;2026;SECRET-LICENCE-9876;3;31/12/2027;"Accueil;SRV-MAIRIE"\n'
    )
    with caplog.at_level(logging.DEBUG):
        report = import_inventory_csv(
            kind="installations", content=content.encode(), imported_by=agent, member=member_a
        )
    assert report.errors == []
    installation = Installation.objects.get()
    assert installation.licence_key.reveal() == "SECRET-LICENCE-9876"
    assert installation.workstations.count() == 2
    assert all("SECRET-LICENCE-9876" not in r.getMessage() for r in caplog.records)


def test_installations_import_refuses_unknown_software_and_version(member_a, agent, v2026):
    content = "software;version\ne.magnus;1999\nInconnu;1\n"
    report = import_inventory_csv(
        kind="installations", content=content.encode(), imported_by=agent, member=member_a
    )
    assert [(line, column) for line, column, _m in report.errors] == [
        (2, "version"),
        (3, "software"),
    ]
    assert not Installation.objects.exists()


GLPI_COMPUTERS = (
    "Nom;Entité;Système d'exploitation - Nom;Système d'exploitation - Version;"
    "Composants - Processeur;Composants - Mémoire;Type;Dernière date d'inventaire\n"
    "PC-ACCUEIL;Mairie;Microsoft Windows 11 Professionnel;22H2;Intel Core i5-1235U;"
    "16384;Desktop;2026-11-02 08:12\n"
    "SRV01;Mairie;Microsoft Windows Server 2022 Standard;21H2;Xeon;32768;Serveur;\n"
)


def test_glpi_computers_export(member_a, agent):
    report = import_inventory_csv(
        kind="glpi_computers", content=GLPI_COMPUTERS.encode(), imported_by=agent, member=member_a
    )
    assert report.errors == []
    pc = Workstation.objects.get(name="PC-ACCUEIL")
    assert pc.os_label == "Windows 11"
    assert pc.ram_gib == Decimal("16.0")
    assert pc.last_checked.isoformat() == "2026-11-02"
    assert Workstation.objects.get(name="SRV01").role == "server"


def test_glpi_computers_with_an_unknown_os_import_nothing(member_a, agent):
    content = GLPI_COMPUTERS + "PC-VIEUX;Mairie;BeOS;5;;512;;\n"
    report = import_inventory_csv(
        kind="glpi_computers", content=content.encode(), imported_by=agent, member=member_a
    )
    assert report.errors[0][0] == 4
    assert not Workstation.objects.exists()


def test_glpi_software_export_keeps_catalogue_software_only(member_a, agent, v2025, v2026):
    import_inventory_csv(
        kind="glpi_computers", content=GLPI_COMPUTERS.encode(), imported_by=agent, member=member_a
    )
    content = (
        "Nom;Éditeur;Versions - Nom;Ordinateurs - Nom\n"
        "e.magnus;Berger-Levrault;2025;PC-ACCUEIL\n"
        "E.MAGNUS;Berger-Levrault;2026;SRV01\n"
        "7-Zip;Igor Pavlov;23.01;PC-ACCUEIL\n"
    )
    report = import_inventory_csv(
        kind="glpi_software", content=content.encode(), imported_by=agent, member=member_a
    )
    assert report.errors == []
    assert report.skipped == 1
    installation = Installation.objects.get()
    assert installation.version == v2026  # the highest version found
    assert set(installation.workstations.values_list("name", flat=True)) == {"PC-ACCUEIL", "SRV01"}


def test_glpi_export_with_missing_columns(member_a, agent):
    report = import_inventory_csv(
        kind="glpi_computers", content=b"Foo;Bar\n1;2\n", imported_by=agent, member=member_a
    )
    assert "Colonnes GLPI absentes" in report.errors[0][2]
