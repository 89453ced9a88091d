"""Typo tolerance: the fallback of the sheet search when the full-text query finds nothing
("télétransmision" still finds "Télétransmission des flux PES").

Only the title and the summary are compared (the body would make it slow and noisy), and
every query word of at least 3 letters (numbers aside) must resemble a word there:

* PostgreSQL: ``word_similarity`` of the pg_trgm extension (installed by kb's migration
  0004) between each accent-free query word and the accent-free title + summary, at least
  ``PG_THRESHOLD`` (the ``<%`` operator, served by the trigram GIN index of migration
  0005); ranked by the sum of the similarities.
* SQLite: the same idea in Python. The distinct words of the titles and summaries form a
  vocabulary (built once per process, rebuilt when a sheet changes);
  ``difflib.get_close_matches`` finds, for each query word, the words at least
  ``SQLITE_CUTOFF`` alike; a sheet matches when it holds a close word for every query word.

The two measures differ in detail, but both accept a letter missing, doubled or swapped in
a word of 6 letters or more, and refuse unrelated words; the tests run the same cases on
both back ends.
"""

import difflib

from django.db import connection
from django.db.models import BooleanField, Count, F, FloatField, Max
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import search
from .models import Sheet

PG_THRESHOLD = 0.5
SQLITE_CUTOFF = 0.8
MIN_LETTERS = 3
MAX_WORDS = 6
CANDIDATES = 500  # best-scored ids read before the queryset's own filters


def typo_words(query_text: str) -> list[str]:
    """The accent-free, lower-case query words worth correcting (3 letters or more)."""
    found: list[str] = []
    for word in search.words(query_text):
        word = search.strip_accents(word).lower()
        if len(word) >= MIN_LETTERS and not word.isdigit() and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def fuzzy_sheets(queryset, query_text: str, *, limit: int = 50) -> list:
    """Sheets of `queryset` whose title or summary resembles every word of the query,
    best first (an empty list when the query has no word to correct)."""
    wanted = typo_words(query_text)
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return _postgres(queryset, wanted, limit)
    return _python(queryset, wanted, limit)


# The accent-free text the trigram GIN index of migration 0005 covers (kb_unaccent is an
# IMMUTABLE wrapper of unaccent, which PostgreSQL will not index directly).
PG_TEXT = "kb_unaccent(lower(kb_sheet.title || ' ' || kb_sheet.summary))"


def _postgres(queryset, wanted: list[str], limit: int) -> list:
    # `word <% text` (word_similarity above the session's threshold) is what the GIN index
    # serves; the threshold is set for this connection first.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(PG_THRESHOLD)],
        )
    annotations, total = {}, None
    for index, word in enumerate(wanted):
        queryset = queryset.filter(
            RawSQL(f"%s <%% {PG_TEXT}", [word], output_field=BooleanField())  # noqa: S611
        )
        name = f"kb_sim{index}"
        # The word is a bound parameter; PG_TEXT is a constant of this module.
        similarity = f"word_similarity(%s, {PG_TEXT})"
        annotations[name] = RawSQL(similarity, [word], output_field=FloatField())  # noqa: S611
        total = F(name) if total is None else total + F(name)
    return list(
        queryset.annotate(**annotations)
        .annotate(kb_fuzzy=total)
        .order_by("-kb_fuzzy", "title", "pk")[:limit]
    )


# The SQLite vocabulary: {word: ids of the sheets with it in their title or summary}, built
# once per process and rebuilt when the sheets change (their count, last id or last update).
_VOCABULARY: dict = {"key": None, "where": {}, "words": []}


def _vocabulary() -> tuple[dict[str, set[int]], list[str]]:
    key = Sheet.objects.aggregate(n=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    key = (connection.alias, connection.settings_dict.get("NAME"), *key.values())
    if _VOCABULARY["key"] != key:
        where: dict[str, set[int]] = {}
        rows = Sheet.objects.values_list("pk", "title", "summary").iterator(chunk_size=2000)
        for pk, title, summary in rows:
            for word in search.words(f"{title} {summary}"):
                if len(word) >= MIN_LETTERS and not word.isdigit():
                    where.setdefault(search.strip_accents(word).lower(), set()).add(pk)
        _VOCABULARY.update(key=key, where=where, words=list(where))
    return _VOCABULARY["where"], _VOCABULARY["words"]


def _python(queryset, wanted: list[str], limit: int) -> list:
    where, vocabulary = _vocabulary()
    scores: dict[int, float] | None = None
    for word in wanted:
        best: dict[int, float] = {}
        for close in difflib.get_close_matches(word, vocabulary, n=10, cutoff=SQLITE_CUTOFF):
            ratio = difflib.SequenceMatcher(None, word, close).ratio()
            for pk in where[close]:
                best[pk] = max(best.get(pk, 0.0), ratio)
        if scores is None:
            scores = best
        else:
            scores = {pk: s + best[pk] for pk, s in scores.items() if pk in best}
        if not scores:
            return []
    scores = scores or {}
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))[:CANDIDATES]
    # Which candidates the queryset keeps (ids only), then the best `limit` rows in full.
    kept = set(queryset.filter(pk__in=ranked).values_list("pk", flat=True))
    best = [pk for pk in ranked if pk in kept][:limit]
    by_id = queryset.filter(pk__in=best).in_bulk()
    sheets = [by_id[pk] for pk in best if pk in by_id]
    for sheet in sheets:
        sheet.kb_fuzzy = scores[sheet.pk]
    sheets.sort(key=lambda s: (-s.kb_fuzzy, s.title, s.pk))
    return sheets[:limit]


def search_with_typos(queryset, query_text: str, *, limit: int = 50) -> list:
    """kb.search.search_sheets, then this module's fallback when it finds nothing. The
    hits of the fallback carry a `fuzzy` attribute (True) so pages can say so."""
    hits = search.search_sheets(queryset, query_text, limit=limit)
    if hits or not search.query_stems(query_text):
        return hits
    fallback = []
    for sheet in fuzzy_sheets(queryset, query_text, limit=limit):
        hit = search.Hit(sheet, float(sheet.kb_fuzzy), _plain_snippet(sheet))
        hit.fuzzy = True
        fallback.append(hit)
    return fallback


def _plain_snippet(sheet, width: int = 30) -> SafeString:
    """The start of the summary (or body), escaped: a misspelt word marks nothing, and
    scanning whole bodies for it would cost more than the search."""
    text = sheet.summary or search.plain_text(sheet.body[:2000])
    return mark_safe(escape(" ".join(text.split()[:width])))
