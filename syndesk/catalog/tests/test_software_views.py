"""Software pages: the list, a software with its versions and structured prerequisites, and
the forms (software; version with its prerequisites as one formset)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from syndesk.catalog.models import Prerequisite, Software, SoftwareVersion
from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries

pytestmark = pytest.mark.django_db


def version_data(number="2026", rows=(), initial=0, **extra):
    """POST data of the version form: the version, then its prerequisite rows."""
    data = {
        "number": number,
        "release_date": "",
        "end_of_support": "",
        "notes": "",
        "prerequisites-TOTAL_FORMS": str(max(len(rows), 1)),
        "prerequisites-INITIAL_FORMS": str(initial),
        "prerequisites-MIN_NUM_FORMS": "0",
        "prerequisites-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"prerequisites-{i}-{key}"] = value
    return data


@pytest.fixture
def s2low(db):
    software = Software.objects.create(name="S²LOW", editor="Libriciel", category="demat")
    version = SoftwareVersion.objects.create(
        software=software, number="5.1.0", release_date=date(2025, 2, 12)
    )
    Prerequisite.objects.create(version=version, kind="ram", min_quantity=Decimal("8"))
    Prerequisite.objects.create(version=version, kind="os", component="Windows", min_version="10")
    return software


def test_billing_creates_a_software(client, billing):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:software-create"),
        {"name": "Pastell", "editor": "Libriciel", "category": "demat", "is_supported": "on"},
    )
    software = Software.objects.get(name="Pastell")
    assert response["Location"] == reverse("catalog:software-detail", args=[software.pk])
    assert AuditEntry.objects.filter(action="catalog.software.created", actor=billing).exists()


def test_a_software_name_is_unique(client, billing, emagnus):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:software-create"),
        {"name": "e.magnus", "editor": "x", "category": "business"},
    )
    assert response.context["form"].errors["name"] == ["Un logiciel porte déjà ce nom."]


def test_the_detail_shows_versions_and_prerequisites_with_their_units(client, agent, s2low):
    client.force_login(agent)
    response = client.get(reverse("catalog:software-detail", args=[s2low.pk]))
    body = response.content.decode()
    assert "Prérequis de la version 5.1.0" in body
    assert "≥ 8 Go" in body
    assert "<td>Windows</td><td>10</td>" in body
    assert "12 février 2025" in body


def test_an_agent_adds_a_version_with_its_prerequisites(client, agent, emagnus):
    client.force_login(agent)
    rows = [
        {"kind": "os", "component": "Windows", "min_version": "10"},
        {"kind": "ram", "min_quantity": "8"},
        {"kind": "runtime", "component": "Java", "min_version": "8"},
        {"kind": ""},  # left empty: ignored
    ]
    response = client.post(
        reverse("catalog:version-create", args=[emagnus.pk]),
        version_data(rows=rows, release_date="2026-01-12"),
    )
    assert response.status_code == 302, response.context["formset"].errors
    version = emagnus.versions.get()
    assert version.release_date == date(2026, 1, 12)
    assert sorted(version.prerequisites.values_list("kind", flat=True)) == ["os", "ram", "runtime"]
    assert AuditEntry.objects.filter(action="catalog.version.created", actor=agent).exists()


def test_a_quantity_prerequisite_needs_its_quantity_at_the_field(client, agent, emagnus):
    client.force_login(agent)
    response = client.post(
        reverse("catalog:version-create", args=[emagnus.pk]),
        version_data(rows=[{"kind": "ram", "component": "DDR4"}]),
    )
    errors = response.context["formset"].forms[0].errors
    assert "Indiquez la quantité minimale" in errors["min_quantity"][0]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not SoftwareVersion.objects.exists()


def test_a_version_number_is_unique_per_software(client, agent, s2low, emagnus):
    client.force_login(agent)
    response = client.post(
        reverse("catalog:version-create", args=[s2low.pk]), version_data(number="5.1.0")
    )
    assert response.context["form"].errors["number"] == [
        "Cette version existe déjà pour ce logiciel."
    ]
    # The same number for another software is fine.
    response = client.post(
        reverse("catalog:version-create", args=[emagnus.pk]), version_data(number="5.1.0")
    )
    assert response.status_code == 302


def test_end_of_support_cannot_precede_the_release(client, agent, emagnus):
    client.force_login(agent)
    response = client.post(
        reverse("catalog:version-create", args=[emagnus.pk]),
        version_data(release_date="2026-01-12", end_of_support="2025-12-31"),
    )
    assert "ne peut pas précéder" in response.context["form"].errors["end_of_support"][0]


def _edit_data(version):
    rows = [
        {
            "id": str(p.pk),
            "version": str(version.pk),
            "kind": p.kind,
            "component": p.component,
            "min_version": p.min_version,
            "min_quantity": "" if p.min_quantity is None else str(p.min_quantity),
            "text": p.text,
        }
        for p in version.prerequisites.order_by("pk")
    ]
    return version_data(number=version.number, rows=rows, initial=len(rows))


def test_billing_deletes_a_prerequisite(client, billing, s2low):
    version = s2low.versions.get()
    client.force_login(billing)
    data = _edit_data(version)
    data["prerequisites-0-DELETE"] = "on"
    response = client.post(reverse("catalog:version-edit", args=[s2low.pk, version.pk]), data)
    assert response.status_code == 302
    assert list(version.prerequisites.values_list("kind", flat=True)) == ["os"]


def test_an_agent_edits_prerequisites_but_cannot_delete_them(client, agent, s2low):
    version = s2low.versions.get()
    url = reverse("catalog:version-edit", args=[s2low.pk, version.pk])
    client.force_login(agent)
    assert client.get(url).context["formset"].can_delete is False
    data = _edit_data(version)
    data["prerequisites-0-DELETE"] = "on"
    data["prerequisites-1-min_version"] = "11"
    response = client.post(url, data)
    assert response.status_code == 302
    assert version.prerequisites.count() == 2
    assert version.prerequisites.get(kind="os").min_version == "11"


def test_the_list_searches_and_filters_by_category(client, agent, emagnus, s2low):
    client.force_login(agent)
    url = reverse("catalog:software-list")
    assert list(client.get(url, {"q": "libri"}).context["page"]) == [s2low]
    assert list(client.get(url, {"category": "business"}).context["page"]) == [emagnus]
    page = client.get(url).context["page"]
    assert [(s.name, s.version_count, s.latest_version) for s in page] == [
        ("e.magnus", 0, None),
        ("S²LOW", 1, "5.1.0"),
    ]


def test_the_list_answers_htmx_with_the_results_fragment(client, agent, s2low):
    client.force_login(agent)
    response = client.get(
        reverse("catalog:software-list"), {"q": "s"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body


def test_the_list_runs_a_bounded_number_of_queries(client, agent):
    def add(n, start):
        for i in range(start, start + n):
            software = Software.objects.create(
                name=f"Logiciel {i:02d}", editor="E", category="demat"
            )
            SoftwareVersion.objects.create(software=software, number="1")
            SoftwareVersion.objects.create(software=software, number="2")

    client.force_login(agent)
    url = reverse("catalog:software-list")
    add(3, 0)
    few = count_queries(lambda: client.get(url))
    add(12, 3)
    assert count_queries(lambda: client.get(url)) == few
