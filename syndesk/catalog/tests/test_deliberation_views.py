"""Deliberations (with their PDF) and the tariff grids recorded on them."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.catalog import forms as catalog_forms
from syndesk.catalog.models import Deliberation, TariffBracket, TariffGrid
from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries

from .helpers import BRACKETS, days, make_deliberation, record_grid, text_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="deliberation.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def deliberation_data(**extra):
    return {
        "number": "2025-38",
        "date": "2025-11-20",
        "subject": "Tarifs 2026 des services numériques",
        "enforceable_on": "2025-12-05",
        **extra,
    }


# Deliberations -------------------------------------------------------------------------


def test_billing_records_a_deliberation_with_its_pdf(client, billing):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:deliberation-create"), deliberation_data(document=pdf())
    )
    deliberation = Deliberation.objects.get(number="2025-38")
    assert response["Location"] == reverse("catalog:deliberation-detail", args=[deliberation.pk])
    assert deliberation.document.read() == PDF
    entry = AuditEntry.objects.get(action="catalog.deliberation.created")
    assert entry.data["document"] is True


def test_a_file_that_is_not_a_pdf_is_refused_at_the_field(client, billing):
    client.force_login(billing)
    fake = pdf(content=b"MZ\x90\x00 pas un PDF, un executable renomme")
    text = pdf(name="tarifs.pdf", content="Délibération en texte".encode())
    for upload in (fake, text):
        response = client.post(
            reverse("catalog:deliberation-create"), deliberation_data(document=upload)
        )
        [message] = response.context["form"].errors["document"]
        assert "PDF" in message  # core.uploads' wording
    assert not Deliberation.objects.exists()


def test_a_pdf_over_the_size_limit_is_refused(client, billing, monkeypatch):
    monkeypatch.setattr(catalog_forms, "DELIBERATION_MAX_BYTES", 20)
    client.force_login(billing)
    response = client.post(
        reverse("catalog:deliberation-create"), deliberation_data(document=pdf())
    )
    assert (
        response.context["form"]
        .errors["document"][0]
        .startswith("Le fichier dépasse la taille maximale")
    )


def test_a_deliberation_is_not_enforceable_before_its_session(client, billing):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:deliberation-create"), deliberation_data(enforceable_on="2025-11-19")
    )
    assert response.context["form"].errors["enforceable_on"] == [
        "Une délibération ne peut pas être exécutoire avant la séance qui l'a adoptée."
    ]
    assert not response.context["form"].non_field_errors()


def test_a_deliberation_number_is_unique(client, billing, enforceable):
    client.force_login(billing)
    response = client.post(reverse("catalog:deliberation-create"), deliberation_data())
    assert response.context["form"].errors["number"] == ["Une délibération porte déjà ce numéro."]


def test_editing_without_a_new_file_keeps_the_pdf(client, billing):
    client.force_login(billing)
    client.post(reverse("catalog:deliberation-create"), deliberation_data(document=pdf()))
    deliberation = Deliberation.objects.get()
    response = client.post(
        reverse("catalog:deliberation-edit", args=[deliberation.pk]),
        deliberation_data(subject="Tarifs 2026"),
    )
    assert response.status_code == 302
    deliberation.refresh_from_db()
    assert deliberation.subject == "Tarifs 2026"
    assert deliberation.document.read() == PDF


def test_the_pdf_is_public_once_the_deliberation_is_enforceable(client, billing, enforceable):
    enforceable.document = pdf()
    enforceable.save()
    url = reverse("tariffs:deliberation-document", args=[enforceable.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="deliberation-2025-38.pdf"' in response["Content-Disposition"]


def test_the_pdf_of_a_pending_deliberation_is_for_staff_only(client, alice, billing, pending):
    pending.document = pdf()
    pending.save()
    url = reverse("tariffs:deliberation-document", args=[pending.pk])
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 404
    client.force_login(billing)
    assert client.get(url).status_code == 200


def test_a_deliberation_without_pdf_has_no_document(client, enforceable):
    url = reverse("tariffs:deliberation-document", args=[enforceable.pk])
    assert client.get(url).status_code == 404


def test_the_list_runs_a_bounded_number_of_queries(client, agent, support):
    def add(n, start):
        for i in range(start, start + n):
            deliberation = make_deliberation(f"2025-{i:02d}", session=-60, enforceable=-50)
            record_grid(deliberation, support, effective=-40 + i)

    client.force_login(agent)
    url = reverse("catalog:deliberation-list")
    add(2, 0)
    few = count_queries(lambda: client.get(url))
    add(10, 2)
    assert count_queries(lambda: client.get(url)) == few
    assert client.get(url).context["page"][0].grid_count == 1


# Tariff grids ----------------------------------------------------------------------------


def grid_data(offer, *, effective, method="bracket", brackets=(), **terms):
    data = {
        "offer": str(offer.pk),
        "effective_from": effective.isoformat(),
        "method": method,
        "population_type": "totale",
        "population_year": "2023",
        "brackets-TOTAL_FORMS": str(max(len(brackets), 1)),
        "brackets-INITIAL_FORMS": "0",
        "brackets-MIN_NUM_FORMS": "0",
        "brackets-MAX_NUM_FORMS": "50",
        **terms,
    }
    for i, (low, high, amount) in enumerate(brackets):
        data[f"brackets-{i}-min_population"] = str(low)
        data[f"brackets-{i}-max_population"] = "" if high is None else str(high)
        data[f"brackets-{i}-amount"] = str(amount)
    return data


ROWS = [(b.min_population, b.max_population, b.amount) for b in BRACKETS]


def test_billing_adds_a_grid_by_population_bracket(client, billing, enforceable, support):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(support, effective=days(-30), brackets=[*ROWS, ("", "", "")]),
    )
    assert response.status_code == 302, response.context["formset"].non_form_errors()
    grid = TariffGrid.objects.get()
    assert (grid.deliberation, grid.offer, grid.population_year) == (enforceable, support, 2023)
    assert [b.amount for b in grid.brackets.all()] == [b.amount for b in BRACKETS]
    assert AuditEntry.objects.filter(action="catalog.grid.created", actor=billing).exists()


def test_overlapping_brackets_are_explained_above_the_table_and_nothing_is_saved(
    client, billing, enforceable, support
):
    client.force_login(billing)
    rows = [(0, 499, 350), (400, 1999, 650), (2000, None, 1100)]
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(support, effective=days(-30), brackets=rows),
    )
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == [
        "Les tranches commençant à 0 et 400 se chevauchent."
    ]
    assert "Les tranches commençant à 0 et 400 se chevauchent." in text_of(response)
    assert not TariffGrid.objects.exists()
    assert not TariffBracket.objects.exists()


def test_a_gap_between_brackets_is_named(client, billing, enforceable, support):
    client.force_login(billing)
    rows = [(0, 499, 350), (1000, None, 650)]
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(support, effective=days(-30), brackets=rows),
    )
    assert response.context["formset"].non_form_errors() == [
        "Aucune tranche ne couvre les populations de 500 à 999."
    ]


def test_a_second_grid_starting_the_same_day_is_refused_at_the_date(
    client, billing, support_grid, enforceable, support
):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(support, effective=support_grid.effective_from, method="flat", amount="900"),
    )
    assert response.context["form"].errors["effective_from"] == [
        "Une grille de cette offre s'applique déjà à partir de cette date : deux grilles "
        "seraient en vigueur le même jour."
    ]
    assert TariffGrid.objects.count() == 1


def test_the_terms_of_the_method_are_required_at_their_field(client, billing, enforceable, support):
    client.force_login(billing)
    url = reverse("catalog:grid-create", args=[enforceable.pk])
    response = client.post(url, grid_data(support, effective=days(-30), method="flat"))
    assert response.context["form"].errors["amount"] == ["Indiquez le montant du forfait."]
    response = client.post(
        url,
        grid_data(
            support, effective=days(-30), method="per_inhabitant", floor="500", ceiling="100"
        ),
    )
    errors = response.context["form"].errors
    assert errors["per_inhabitant"] == ["Indiquez le montant par habitant."]
    assert errors["ceiling"] == ["Le plafond est inférieur au plancher."]
    assert not TariffGrid.objects.exists()


def test_bracket_rows_are_ignored_for_a_flat_grid(client, billing, enforceable, support):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(
            support, effective=days(-30), method="flat", amount="850", brackets=[("x", "", "")]
        ),
    )
    assert response.status_code == 302
    assert TariffGrid.objects.get().amount == Decimal("850.00")
    assert not TariffBracket.objects.exists()


def test_a_malformed_bracket_row_is_flagged_in_its_cell(client, billing, enforceable, support):
    client.force_login(billing)
    response = client.post(
        reverse("catalog:grid-create", args=[enforceable.pk]),
        grid_data(support, effective=days(-30), brackets=[(0, None, "beaucoup")]),
    )
    assert response.context["formset"].forms[0].errors["amount"] == ["Saisissez un nombre."]
    assert not TariffGrid.objects.exists()


def test_an_upcoming_grid_can_be_corrected_with_its_brackets(client, billing, pending, support):
    grid = record_grid(pending, support, effective=20, method="bracket", brackets=BRACKETS)
    client.force_login(billing)
    url = reverse("catalog:grid-edit", args=[pending.pk, grid.pk])
    formset = client.get(url).context["formset"]
    assert [f.initial["min_population"] for f in formset.initial_forms] == [0, 500, 2000, 5000]
    data = grid_data(support, effective=days(20), brackets=[(0, 999, 400), (1000, None, 900)])
    data["brackets-INITIAL_FORMS"] = "0"
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(grid.brackets.values_list("min_population", "amount")) == [
        (0, Decimal("400.00")),
        (1000, Decimal("900.00")),
    ]


def test_a_bracket_is_removed_with_its_delete_box(client, billing, pending, support):
    grid = record_grid(pending, support, effective=20, method="bracket", brackets=BRACKETS)
    client.force_login(billing)
    url = reverse("catalog:grid-edit", args=[pending.pk, grid.pk])
    data = grid_data(support, effective=days(20), brackets=ROWS)
    data["brackets-INITIAL_FORMS"] = "4"
    data["brackets-3-DELETE"] = "on"  # 5000 and above goes: 2000–4999 must now be open
    data["brackets-2-max_population"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.context["formset"].non_form_errors()
    assert list(grid.brackets.values_list("min_population", "max_population")) == [
        (0, 499),
        (500, 1999),
        (2000, None),
    ]


def test_a_grid_already_applying_cannot_be_edited(client, billing, support_grid, enforceable):
    client.force_login(billing)
    url = reverse("catalog:grid-edit", args=[enforceable.pk, support_grid.pk])
    response = client.get(url, follow=True)
    assert "Cette grille s'applique déjà" in text_of(response)
    response = client.post(
        url, grid_data(support_grid.offer, effective=days(-30), method="flat", amount="1")
    )
    assert response.status_code == 302
    support_grid.refresh_from_db()
    assert support_grid.method == "bracket"


def test_the_deliberation_page_lists_its_grids(client, agent, support_grid, enforceable):
    client.force_login(agent)
    response = client.get(reverse("catalog:deliberation-detail", args=[enforceable.pk]))
    assert response.context["grids"] == [support_grid]
    text = text_of(response)
    assert "Assistance logiciels métiers et dématérialisation" in text
    assert "en application" in text
    assert reverse("catalog:grid-edit", args=[enforceable.pk, support_grid.pk]) not in text
