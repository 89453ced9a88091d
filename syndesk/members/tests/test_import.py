import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.members.models import Member
from syndesk.members.services import import_members_csv

pytestmark = pytest.mark.django_db

HEADER = "name,legal_category,siren,insee_code,postal_code,population,population_year,phones\n"
GOOD = (
    HEADER
    + "Brécey,Commune,215007402,50074,50370,2176,2023,02 33 48 60 26\n"
    + "Avranches,7210,215002502,50025,50300,10283,2023,02 33 89 29 40;02 33 89 29 41\n"
)


def upload(text: str, name="adherents.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_good_file_creates_every_member(billing):
    report = import_members_csv(content=GOOD.encode(), imported_by=billing)
    assert report.ok
    assert (report.created, report.updated) == (2, 0)
    avranches = Member.objects.get(siren="215002502")
    assert avranches.phones.count() == 2
    assert avranches.population_year == 2023


def test_reimporting_updates_by_siren(billing):
    import_members_csv(content=GOOD.encode(), imported_by=billing)
    again = GOOD.replace("Brécey,", "Brécey (mairie),")
    report = import_members_csv(content=again.encode(), imported_by=billing)
    assert (report.created, report.updated) == (0, 2)
    assert Member.objects.get(siren="215007402").name == "Brécey (mairie)"


def test_one_bad_row_imports_nothing_and_names_the_row(billing):
    bad = GOOD + "Ducey,Commune,123456789,50164,50220,,,\n"
    report = import_members_csv(content=bad.encode(), imported_by=billing)
    assert not report.ok
    assert report.errors[0][0] == 4
    assert report.errors[0][1] == "siren"
    assert "SIREN invalide" in report.errors[0][2]
    assert not Member.objects.exists()


def test_duplicate_sirens_in_the_file_are_reported(billing):
    bad = GOOD + "Brécey bis,Commune,215007402,50074,50370,,,\n"
    report = import_members_csv(content=bad.encode(), imported_by=billing)
    assert report.errors == [(4, "siren", "SIREN déjà présent ligne 2.")]
    assert not Member.objects.exists()


def test_semicolon_files_from_spreadsheets_are_read(billing):
    text = "name;siren;insee_code\nBrécey;215007402;50074\n"
    report = import_members_csv(content=text.encode("utf-8-sig"), imported_by=billing)
    assert report.ok
    assert report.created == 1


def test_unknown_columns_are_refused(billing):
    report = import_members_csv(
        content=b"name,siren,colour\nA,215007402,red\n", imported_by=billing
    )
    assert "Colonnes inconnues : colour." in report.errors[0][2]


def test_the_page_shows_the_error_report(client, billing):
    client.force_login(billing)
    bad = GOOD + "Ducey,Commune,215016403,,50220,,,\n"
    response = client.post(reverse("members:import"), {"file": upload(bad)})
    body = html.unescape(response.text)
    assert response.status_code == 200
    assert "1 erreur : aucun adhérent n'a été importé." in body
    assert "<td>4</td>" in body
    assert not Member.objects.exists()


def test_the_page_refuses_a_binary_file(client, billing):
    client.force_login(billing)
    fake = SimpleUploadedFile("adherents.csv", b"%PDF-1.7\n...", content_type="text/csv")
    response = client.post(reverse("members:import"), {"file": fake})
    assert "n'est pas au format CSV" in response.context["form"].errors["file"][0]


def test_the_page_refuses_a_file_too_large(client, billing):
    client.force_login(billing)
    big = upload(HEADER + "x" * (2 * 1024 * 1024 + 1))
    response = client.post(reverse("members:import"), {"file": big})
    assert "taille maximale" in response.context["form"].errors["file"][0]


def test_a_good_upload_redirects_to_the_list(client, billing):
    client.force_login(billing)
    response = client.post(reverse("members:import"), {"file": upload(GOOD)})
    assert response.status_code == 302
    assert Member.objects.count() == 2


def test_agents_cannot_import(client, agent):
    client.force_login(agent)
    assert client.post(reverse("members:import"), {"file": upload(GOOD)}).status_code == 403
    assert not Member.objects.exists()
