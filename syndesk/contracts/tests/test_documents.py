"""The quote and the annex as PDF documents (syndesk.contracts.documents).

Each document is read back with pypdf and its text compared with what the annex and the
stored data say: the quote's number, dates, lines and totals; the annex's wording, the
opening hours of the business calendar, the deliberation, the two signature blocks.
"""

import re
from datetime import date, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from pypdf import PdfReader

from syndesk.catalog.models import Deliberation, Offer, TariffGrid
from syndesk.contracts.documents import annex_pdf, member_party, quote_pdf, with_article
from syndesk.contracts.services import change_quote_line, create_quote
from syndesk.core.hours import BusinessCalendar
from syndesk.core.models import ClosureDay
from syndesk.members.models import LegalCategory, Member

pytestmark = pytest.mark.django_db


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def _text(pdf: bytes) -> str:
    """The document's text on one line: spaces (incl. non-breaking) collapsed, words
    split at a hyphen by a line break joined again."""
    pages = _reader(pdf).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    return re.sub(r"(?<=\w)- (?=\w)", "-", text)  # "anti-" at a line end, "virus" next


@pytest.fixture
def deliberation_2025_42(db):
    return Deliberation.objects.create(
        number="2025-42",
        date=date(2025, 12, 12),
        subject="Tarifs des services numériques 2026",
        enforceable_on=date(2025, 12, 20),
    )


def _offer(code, name, deliberation, amount, **vat):
    offer = Offer.objects.create(code=code, name=name, **vat)
    TariffGrid.objects.create(
        deliberation=deliberation,
        offer=offer,
        effective_from=date(2026, 1, 1),
        method="flat",
        amount=Decimal(amount),
    )
    return offer


@pytest.fixture
def assistance(deliberation_2025_42):
    return _offer(
        "assistance", "Assistance logiciels métiers", deliberation_2025_42, "1234.50", vat_rate=20
    )


@pytest.fixture
def exempt_option(deliberation_2025_42):
    return _offer(
        "demat",
        "Option dématérialisation",
        deliberation_2025_42,
        "99.00",
        vat_mention="TVA non applicable, article 256 B du CGI",
    )


@pytest.fixture
def quote(member_a, billing, assistance, exempt_option):
    return create_quote(
        member=member_a,
        quote_date=date(2026, 1, 31),
        offers=[assistance, exempt_option],
        created_by=billing,
    )


# The quote -----------------------------------------------------------------------------------


def test_the_quote_shows_its_number_member_and_dates(quote):
    text = _text(quote_pdf(quote))
    assert "Devis n° DEV-2026-0001" in text
    assert "Brécey" in text
    assert "SIREN : 215 007 402" in text
    assert "Date du devis 31 janvier 2026" in text
    # One month later, February has no 31st: its last day.
    assert "Valable jusqu'au 28 février 2026" in text
    assert "Ce devis est valable jusqu'au 28 février 2026 inclus." in text


def test_the_quote_lists_its_lines_with_vat_rate_or_exemption(quote):
    text = _text(quote_pdf(quote))
    assert "Assistance logiciels métiers 1 1 234,50 € 1 234,50 € 20 %" in text
    assert "Option dématérialisation 1 99,00 € 99,00 € TVA non applicable, article 256 B" in text


def test_the_quote_totals_are_the_stored_totals(quote):
    text = _text(quote_pdf(quote))
    assert "Total HT 1 333,50 €" in text
    assert "TVA 246,90 €" in text
    assert "Total TTC 1 580,40 €" in text


def test_a_changed_line_is_printed_as_stored(quote, billing):
    line = quote.lines.get(offer__code="assistance")
    change_quote_line(
        line=line,
        unit_price=Decimal("1000.00"),
        quantity=Decimal("2"),
        override_reason="Deux collectivités fusionnées",
        changed_by=billing,
    )
    text = _text(quote_pdf(quote))
    assert "Assistance logiciels métiers 2 1 000,00 € 2 000,00 € 20 %" in text
    assert "Total TTC 2 499,00 €" in text


def test_the_quote_cites_the_deliberation_that_set_the_tariffs(quote):
    text = _text(quote_pdf(quote))
    assert "délibération du Comité Syndical de Manche Numérique" in text
    assert "n° 2025-42 du 12 décembre 2025" in text


def test_the_quote_states_the_annex_ordering_conditions(quote):
    text = _text(quote_pdf(quote))
    assert "Les commandes à Manche Numérique sont passées uniquement par écrit." in text
    assert "le devis a une durée de validité d'un mois à compter de la date du devis" in text


def test_the_quote_has_a_signature_block_for_the_member(quote):
    text = _text(quote_pdf(quote))
    assert (
        "Bon pour accord Pour la commune de Brécey Date : Nom : Qualité : Signature et cachet :"
        in text
    )


def test_the_quote_is_a_tagged_french_pdf_titled_with_its_number(quote):
    reader = _reader(quote_pdf(quote))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in catalog
    assert reader.metadata.title == "Devis n° DEV-2026-0001"
    assert reader.metadata.author == "Syndicat mixte Manche Numérique"


def test_the_documents_stay_french_whatever_the_request_language(member_a, quote):
    with translation.override("en"):
        devis, annex = _text(quote_pdf(quote)), _text(annex_pdf(member_a, quote=quote))
    assert "Valable jusqu'au 28 février 2026" in devis
    assert "Pour la commune de Brécey" in devis
    assert "Lundi – Jeudi : 8h30 / 12h00 – 13h30 / 18h00" in annex
    assert "(n° 2025-42 du 12 décembre 2025, catalogue des services numériques)" in annex


def test_regenerating_the_quote_gives_the_same_file(quote):
    assert quote_pdf(quote) == quote_pdf(quote)


def test_the_quote_reads_the_database_twice(quote, django_assert_num_queries):
    with django_assert_num_queries(2):  # the quote with its member, then its lines
        quote_pdf(quote)


def test_the_quote_prints_the_stored_lines_not_unsaved_changes(quote):
    line = quote.lines.first()
    line.unit_price = Decimal("1.00")  # not saved
    assert "Total HT 1 333,50 €" in _text(quote_pdf(quote))


# The annex -----------------------------------------------------------------------------------


SEED = Path(settings.BASE_DIR).parent / "shared" / "seed" / "000_bb18b55ddce02597.txt"
# Seed lines that the annex fills in or words differently on purpose.
SEED_ADAPTED = {
    "SERVICES NUMERIQUES": "SERVICES NUMÉRIQUES",  # accent restored
    # Typo fixed: "le devis à une durée" (preposition) -> "le devis a une durée" (verb).
    "le devis à une durée de validité": "le devis a une durée de validité",
    "Fait à Saint-Lô, le": "Fait à Saint-Lô, le ………………………… en deux exemplaires originaux.",
    "Pour le Syndicat Mixte Manche Numérique": "Pour le Syndicat mixte Manche Numérique",
    "Pour la commune de Saint-Hilaire-du-Harcouët": "Pour la commune de Brécey",
    "Le Maire, Jacky BOUVET": "Le Maire, Jean Dupont",
}


def _seed_sentences() -> list[str]:
    """The seed annex line by line, Markdown marks removed, as the PDF text shows them."""
    sentences = []
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        line = raw.strip().removeprefix("- ").strip()
        line = re.sub(r"^\d\. ", "", line)  # list numbers are drawn, not text
        line = line.replace("**", "").replace("*", "").replace("^{er}", "er")
        for seed, annex in SEED_ADAPTED.items():
            if seed in line and annex not in line:
                line = line.replace(seed, annex)
        if line:
            sentences.append(line)
    return sentences


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed annex is not beside the repo")
def test_every_line_of_the_seed_annex_is_in_the_generated_annex(member_a):
    text = _text(annex_pdf(member_a))
    missing = [line for line in _seed_sentences() if line not in text]
    assert missing == []


def test_the_annex_keeps_the_sections_of_the_contract(member_a):
    text = _text(annex_pdf(member_a))
    for heading in [
        "SERVICES NUMÉRIQUES Annexe n°1 Assistance sur les logiciels métiers et la "
        "dématérialisation",
        "Annexe des conditions particulières à retourner : Par voie postale, en 2 exemplaires "
        "avec signature manuscrite, à l'adresse du siège du Syndicat",
        "L'assistance couvre les points suivants :",
        "Ne sont pas compris dans l'assistance :",
        "Conditions d'accès au service",
        "Modalités de passation des commandes",
        "Modalités financières liées à l'accès au service",
        "Durée de l'engagement",
    ]:
        assert heading in text


def test_the_annex_describes_the_service_in_the_contract_words(member_a):
    text = _text(annex_pdf(member_a))
    for sentence in [
        "Manche Numérique a pour mission, par le biais de sa compétence Services Numériques",
        "La collectivité est responsable de ses données informatisées.",
        "La collectivité s'engage à informer Manche Numérique de toute nouvelle acquisition",
        "conforme aux prérequis techniques de l'éditeur",
        "elle est ouverte après accord de l'utilisateur, puis fermée sur action de celui-ci à "
        "la fin de l'intervention.",
        "l'intervention à distance est obligatoirement effectuée en présence de l'utilisateur",
        "Un notificateur (flux RSS) permettant d'alerter l'utilisateur",
        "Supports : fiches pratiques (...) complémentaires aux documentations",
        "[1] La réinstallation de l'application Xémélios et des certificats fournis par la DGFIP",
        "[1] Celles-ci doivent être sollicitées par la collectivité auprès de ses fournisseurs "
        "et interlocuteurs habituels.",
    ]:
        assert sentence in text


def test_the_annex_lists_the_five_ordering_steps_in_order(member_a):
    text = _text(annex_pdf(member_a))
    steps = [
        "La collectivité qualifie ses besoins avec Manche Numérique ; s'appuie sur les "
        "catalogues ; demande des compléments d'informations (...).",
        "Manche Numérique fournit les documents (devis et annexe conditions particulières) "
        "nécessaires à l'ouverture des prestations.",
        "La Collectivité adresse aux Services Numériques un bon de commande avec les documents "
        "requis (devis signé, annexe conditions particulières signée).",
        "Manche Numérique assure l'assistance des utilisateurs.",
        "Manche Numérique facture la collectivité.",
    ]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_the_annex_states_the_financial_terms_and_duration(member_a):
    text = _text(annex_pdf(member_a))
    for sentence in [
        "Une facture sera adressée au démarrage des prestations d'assistance annuelle puis "
        "chaque année.",
        "Le montant est à régler dans les 30 jours à réception de la facture correspondante et "
        "est payable en une seule fois, par mandat administratif.",
        "conclus pour une durée d'un an à compter de la première commande souscrite par la "
        "collectivité, renouvelable par tacite reconduction.",
        "la collectivité peut résilier son accès au service en respectant un préavis de deux "
        "mois (le départ du préavis étant fixé au 1",
        "du mois suivant la date de réception par le Syndicat mixte de la demande de résiliation).",
    ]:
        assert sentence in text


def test_the_annex_prints_the_opening_hours_of_the_calendar(member_a):
    text = _text(annex_pdf(member_a))
    assert "de Manche Numérique du lundi au vendredi, selon les horaires suivants" in text
    assert "Lundi – Jeudi : 8h30 / 12h00 – 13h30 / 18h00" in text
    assert "Vendredi : 8h30 / 12h00 – 13h30 / 17h00" in text


def test_a_closure_day_does_not_change_the_printed_hours(member_a):
    before = _text(annex_pdf(member_a))
    ClosureDay.objects.create(date=date(2026, 5, 15), label="Pont de l'Ascension")
    assert _text(annex_pdf(member_a)) == before


def test_another_weekly_schedule_changes_the_printed_hours(member_a):
    morning = [(time(9), time(12))]
    calendar = BusinessCalendar(
        {0: morning, 1: morning, 2: [(time(9), time(12)), (time(14), time(17))]}
    )
    text = _text(annex_pdf(member_a, calendar=calendar))
    assert "du lundi au mercredi, selon les horaires suivants" in text
    assert "Lundi – Mardi : 9h00 / 12h00" in text
    assert "Mercredi : 9h00 / 12h00 – 14h00 / 17h00" in text
    assert "8h30" not in text


def test_the_annex_is_signed_by_the_president_and_the_member_signatory(member_a):
    text = _text(annex_pdf(member_a))
    assert "Fait à Saint-Lô, le" in text
    assert "en deux exemplaires originaux." in text
    assert "Pour le Syndicat mixte Manche Numérique Le Président, Antoine DELAUNAY" in text
    assert "Pour la commune de Brécey Le Maire, Jean Dupont" in text


def test_without_a_signatory_the_member_block_leaves_room_to_write_it(member_b):
    text = _text(annex_pdf(member_b))
    assert "Pour la commune d'Avranches Nom et qualité :" in text


def test_without_a_quote_the_annex_cites_the_deliberation_generically(member_a):
    text = _text(annex_pdf(member_a))
    assert (
        "tarifs fixés par délibération du Comité Syndical de Manche Numérique (catalogue des "
        "services numériques)." in text
    )
    assert "Devis de référence" not in text


def test_with_a_quote_the_annex_cites_its_deliberation(member_a, quote):
    text = _text(annex_pdf(member_a, quote=quote))
    assert "Devis de référence : n° DEV-2026-0001 du 31 janvier 2026." in text
    assert (
        "tarifs fixés par délibération du Comité Syndical de Manche Numérique (n° 2025-42 du "
        "12 décembre 2025, catalogue des services numériques)." in text
    )


def test_the_annex_reads_the_database_four_times(member_a, quote, django_assert_num_queries):
    # The member, the closure days of the calendar, the quote, its lines.
    with django_assert_num_queries(4):
        annex_pdf(member_a, quote=quote)


def test_the_annex_refuses_a_quote_of_another_member(member_b, quote):
    with pytest.raises(ValueError, match="DEV-2026-0001"):
        annex_pdf(member_b, quote=quote)


def test_the_syndicate_of_the_deployment_replaces_manche_numerique(settings, member_a, quote):
    settings.SYNDICATE = {
        **settings.SYNDICATE,
        "name": "Gironde Numérique",
        "legal_name": "Syndicat mixte Gironde Numérique",
        "address": "2 rue Jacques Prévert, 33700 Mérignac",
        "president": "Marie DURAND",
        "president_title": "La Présidente",
    }
    annex, devis = _text(annex_pdf(member_a, quote=quote)), _text(quote_pdf(quote))
    for text in (annex, devis):
        assert "Manche" not in text
        assert "Saint-Lô" not in text
        assert "Les commandes à Gironde Numérique sont passées uniquement par écrit." in text
    assert "Gironde Numérique a pour mission" in annex
    assert "Fait à Mérignac, le" in annex
    assert "Pour le Syndicat mixte Gironde Numérique La Présidente, Marie DURAND" in annex


def test_the_annex_is_a_tagged_french_pdf(member_a):
    reader = _reader(annex_pdf(member_a))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert "/StructTreeRoot" in catalog
    assert reader.metadata.title == (
        "Annexe n°1 — Assistance sur les logiciels métiers et la dématérialisation — "
        "conditions particulières"
    )


def test_regenerating_the_annex_gives_the_same_file(member_a, quote):
    assert annex_pdf(member_a, quote=quote) == annex_pdf(member_a, quote=quote)


# User-entered values are text, never markup --------------------------------------------------


def test_html_in_a_member_name_is_printed_literally(member_a, quote):
    Member.objects.filter(pk=member_a.pk).update(name="<b>x</b>", signatory_name="<i>y</i>")
    annex, devis = _text(annex_pdf(member_a, quote=quote)), _text(quote_pdf(quote))
    assert "Pour la commune de <b>x</b>" in annex
    assert "<i>y</i>" in annex
    assert "<b>x</b>" in devis
    assert _reader(quote_pdf(quote)).metadata.subject == "Devis n° DEV-2026-0001 pour <b>x</b>"


# How the parties are named -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Maire", "Le Maire"),
        ("Président", "Le Président"),
        ("Présidente", "La Présidente"),
        ("Adjoint au maire", "L'Adjoint au maire"),
        ("Le Maire", "Le Maire"),
        ("", ""),
    ],
)
def test_the_signatory_title_gets_its_article(title, expected):
    assert with_article(title) == expected


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        ("Brécey", LegalCategory.COMMUNE, "la commune de Brécey"),
        ("Avranches", LegalCategory.COMMUNE, "la commune d'Avranches"),
        ("Ville de Granville", LegalCategory.COMMUNE, "Ville de Granville"),
        (
            "Communauté de communes Granville Terre et Mer",
            LegalCategory.COMMUNAUTE_COMMUNES,
            "Communauté de communes Granville Terre et Mer",
        ),
        ("CCAS de Brécey", LegalCategory.CCAS, "CCAS de Brécey"),
    ],
)
def test_the_member_is_named_as_in_the_annex(name, category, expected):
    assert member_party(Member(name=name, legal_category=category)) == expected
