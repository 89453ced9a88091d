"""Typo tolerance (kb.fuzzy) and the words suggestions search (kb.suggest): the same cases
must pass on SQLite (difflib) and on PostgreSQL (pg_trgm)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndesk.kb.fuzzy import search_with_typos, typo_words
from syndesk.kb.models import Sheet
from syndesk.kb.suggest import MAX_WORDS, significant_words


@pytest.fixture
def sheets(sheet_factory):
    return {
        "pes": sheet_factory(
            title="Télétransmission des flux PES", summary="Bordereaux et pièces vers Hélios."
        ),
        "backup": sheet_factory(
            title="Sauvegarde quotidienne", summary="Copier la base sur une clé chiffrée."
        ),
        "payroll": sheet_factory(title="Clôture de la paie", summary="Déclarations DSN du mois."),
    }


def titles(query: str) -> list[str]:
    return [hit.sheet.title for hit in search_with_typos(Sheet.objects.all(), query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("télétransmision", "Télétransmission des flux PES"),  # a letter missing
        ("teletransmision", "Télétransmission des flux PES"),  # and no accent
        ("sauvgarde", "Sauvegarde quotidienne"),
        ("sauvegrade", "Sauvegarde quotidienne"),  # two letters swapped
        ("declaratoins", "Clôture de la paie"),
        ("sauvgarde quotidiene", "Sauvegarde quotidienne"),  # every word has a typo
    ],
)
def test_a_typo_still_finds_the_sheet(sheets, query, expected):
    assert titles(query)[:1] == [expected]


@pytest.mark.parametrize("query", ["xylophone", "zzzz qqqq", "sauvgarde xylophone"])
def test_unrelated_words_find_nothing(sheets, query):
    assert titles(query) == []


def test_the_fallback_is_used_only_when_the_search_finds_nothing(sheets):
    hits = search_with_typos(Sheet.objects.all(), "sauvegarde")
    assert [h.sheet.title for h in hits] == ["Sauvegarde quotidienne"]
    assert not getattr(hits[0], "fuzzy", False)
    assert search_with_typos(Sheet.objects.all(), "sauvgarde")[0].fuzzy is True


def test_the_fallback_respects_the_queryset(sheets):
    others = Sheet.objects.exclude(pk=sheets["backup"].pk)
    assert search_with_typos(others, "sauvgarde") == []


@pytest.mark.parametrize("query", ['"', "' OR 1=1 --", "%%", "a b", "NEAR(x y)", "<b>"])
def test_hostile_or_empty_queries_are_harmless(sheets, query):
    assert isinstance(titles(query), list)


def test_a_members_sheet_is_not_found_for_the_public(sheet_factory):
    sheet_factory(title="Sauvegarde interne", visibility=Sheet.Visibility.MEMBERS)
    assert search_with_typos(Sheet.objects.visible_to(None), "sauvgarde") == []


# Pure helpers: properties ---------------------------------------------------------------


@given(st.text(max_size=300))
def test_typo_words_are_plain_lower_case_and_few(text):
    found = typo_words(text)
    assert len(found) <= 6
    assert len(set(found)) == len(found)
    for word in found:
        assert len(word) >= 3
        assert word == word.lower()


@given(st.text(max_size=300), st.text(max_size=300))
def test_significant_words_are_bounded_and_come_from_the_text(subject, description):
    found = significant_words(subject, description)
    assert len(found) <= MAX_WORDS
    for word in found:
        assert word in subject or word in description


def test_significant_words_skip_common_words_and_repeat_stems():
    assert significant_words("Bonjour, nous avons un problème", "factures facturation") == [
        "factures"
    ]
