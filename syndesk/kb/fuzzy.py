"""Typo tolerance: the fallback of the sheet search when the full-text query finds nothing
("télétransmision" still finds "Télétransmission des flux PES").

Only the title and the summary are compared (the body would make it slow and noisy), and
every query word of at least 3 letters (numbers aside) must resemble a word there:

* PostgreSQL: the distinct words of the titles and summaries are kept in ``kb_typoword``
  (with a trigram GIN index, migration 0008) and ``kb_sheetword`` says which sheets hold
  each (kb.search.index_sheet keeps both). For each query word, the 10 words whose
  ``word_similarity`` with it (pg_trgm) is at least ``PG_THRESHOLD`` (the ``<%`` operator,
  served by that index); a sheet matches when it holds one for every query word, ranked by
  the sum of the best similarities.
* SQLite: the same idea in Python. The same words of the titles and summaries form a
  vocabulary (built once per process, rebuilt when a sheet changes);
  ``difflib.get_close_matches`` finds, for each query word, the words at least
  ``SQLITE_CUTOFF`` alike; a sheet matches when it holds a close word for every query word.

The two measures differ in detail, but both accept a letter missing, doubled or swapped in
a word of 6 letters or more, and refuse unrelated words; the tests run the same cases on
both back ends.
"""

import difflib

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import search
from .models import Sheet

PG_THRESHOLD = 0.5
SQLITE_CUTOFF = 0.8
MIN_LETTERS = search.TYPO_MIN_LETTERS
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


# For each query word (i), the 10 vocabulary words most like it (word_similarity at least
# the threshold: the `<%` operator, served by the trigram index of kb_typoword); then the
# sheets holding a close word for every query word, scored by the sum over the query words
# of their best close word's similarity. Comparing short words, not every sheet's whole
# title and summary (word_similarity over 1,400 texts cost 150 ms for one common word).
_PG_FUZZY = f"""
WITH close AS (
    SELECT q.i, x.word, x.sim
    FROM unnest(%s::text[]) WITH ORDINALITY AS q (w, i)
    CROSS JOIN LATERAL (
        SELECT word, word_similarity(q.w, word) AS sim FROM kb_typoword
        WHERE q.w <%% word ORDER BY sim DESC, word LIMIT 10
    ) AS x
), per_word AS (
    SELECT sw.sheet_id, close.i, max(close.sim) AS best
    FROM close JOIN kb_sheetword AS sw ON sw.word = close.word
    GROUP BY sw.sheet_id, close.i
)
SELECT sheet_id, sum(best) AS score FROM per_word
GROUP BY sheet_id HAVING count(*) = %s
ORDER BY score DESC, sheet_id LIMIT {CANDIDATES}
"""  # noqa: S608 (CANDIDATES is a constant of this module)


def _postgres(queryset, wanted: list[str], limit: int) -> list:
    with connection.cursor() as cursor:
        # `<%` compares with the session's threshold: set for this connection first.
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(PG_THRESHOLD)],
        )
        cursor.execute(_PG_FUZZY, [wanted, len(wanted)])
        scores = {pk: float(score) for pk, score in cursor.fetchall()}
    return _best_sheets(queryset, scores, limit)


# The SQLite vocabulary: {word: ids of the sheets with it in their title or summary}, built
# once per process and rebuilt when the sheets change (their count, last id or last update).
_VOCABULARY: dict = {"key": None, "where": {}, "words": []}


def _vocabulary() -> tuple[dict[str, set[int]], list[str]]:
    key = (connection.alias, connection.settings_dict.get("NAME"), *_sheets_state())
    if _VOCABULARY["key"] != key:
        where: dict[str, set[int]] = {}
        rows = Sheet.objects.values_list("pk", "title", "summary").iterator(chunk_size=2000)
        for pk, title, summary in rows:
            for word in search.vocabulary_words(f"{title} {summary}"):
                where.setdefault(word, set()).add(pk)
        _VOCABULARY.update(key=key, where=where, words=list(where))
    return _VOCABULARY["where"], _VOCABULARY["words"]


def _sheets_state() -> tuple:
    """(count, last id, last update) of the sheets. Three scalar subqueries: SQLite answers
    each from an index alone (0.05 ms), where one aggregate over the table read every row
    (20 ms at 10,000 sheets)."""
    table = Sheet._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX(id) FROM {table}),"  # noqa: S608
            f" (SELECT MAX(updated_at) FROM {table})"
        )
        return tuple(cursor.fetchone())


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
    return _best_sheets(queryset, scores or {}, limit)


def _best_sheets(queryset, scores: dict[int, float], limit: int) -> list:
    """The best-scored sheets the queryset lets through, at most `limit`, each with its
    score as `kb_fuzzy`, best first."""
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))[:CANDIDATES]
    # The best `limit` of them that the queryset keeps, in one query.
    sheets = search.page_of(queryset, ranked, limit)
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
