"""French full-text search over practical sheets, with the same behaviour on SQLite and
PostgreSQL.

Both back ends apply one light French stemmer (`stem`, below) to the query, and match each
query stem as a *prefix* of the indexed words, all query words being required:

* SQLite: an FTS5 table `kb_sheet_fts` (tokenizer ``unicode61 remove_diacritics 2``) holds
  the stemmed title, summary and body of every sheet; the services keep it in sync
  (`index_sheet` / `unindex_sheet`). Each query token is quoted, so FTS5 operators, quotes
  and brackets typed by a user are plain text. Ranked by bm25 with weights 10/4/1.
* PostgreSQL: a `SearchVector` over ``unaccent(title)`` (A), summary (B) and body (C) with
  the ``french`` configuration, stored on the sheet by the services (GIN index), queried
  with the word itself (``french``) OR its light stem as a prefix (``simple``), ranked
  with `SearchRank`. When that finds nothing, an accent-insensitive ``contains`` of the
  stems in the title and summary is the fallback.

Snippets are built in Python from the Markdown-free text, identically on both back ends:
the text is escaped first, and only our own ``<mark>`` tags are added.

The stemmer (`stem`) is deliberately small: lower-case, accents removed, then the longest
of a few common French endings is cut, provided at least 4 letters remain:
-issions/-ission/-ettre/-ettent (transmission, transmettre: "transm"), -ations/-ation,
-ements/-ement, -iques/-ique, -euses/-euse, -eurs/-eur, -ions, -ent, -er, -ez, -es, -e, -s.
So "télétransmission", "teletransmettre" and "télétransmis" share "teletransm"; "factures"
and "facturation" share "factur".
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import escape as html_escape

from django.db import connection
from django.db.models import BooleanField, F, Func, IntegerField, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString, mark_safe

SUFFIXES = sorted(
    [
        "issions", "ission", "ettre", "ettent", "ations", "ation", "ements", "ement",
        "iques", "ique", "euses", "euse", "eurs", "eur", "ions", "ent", "er", "ez",
        "es", "e", "s", "is",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
MIN_STEM = 4
MAX_TOKENS = 12  # longer queries are cut: a sentence pasted in the box stays cheap
FTS_TABLE = "kb_sheet_fts"
#: PostgreSQL: the accent-free, lower-case title and summary, as the trigram GIN index of
#: migration 0005 covers them (kb_unaccent is an IMMUTABLE wrapper of unaccent).
TRGM_TEXT = "kb_unaccent(lower(kb_sheet.title || ' ' || kb_sheet.summary))"
WORD = re.compile(r"\w+", re.UNICODE)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The light stem of one word (see the module docstring). Memoised: snippets stem every
    word of up to 50 sheets per search, from a vocabulary of a few thousand words."""
    word = strip_accents(word.lower())
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """Plain words of `text`: anything but letters and digits is a separator."""
    return [w for w in WORD.findall(text.replace("_", " ")) if w]


def normalise(text: str) -> str:
    """The indexed form of a text: its stems separated by spaces."""
    return " ".join(stem(w) for w in words(text))


def query_stems(query: str) -> list[str]:
    seen: list[str] = []
    for word in words(query):
        s = stem(word)
        if s not in seen:
            seen.append(s)
    return seen[:MAX_TOKENS]


#: Words of fewer letters are not corrected by the typo fallback (kb.fuzzy).
TYPO_MIN_LETTERS = 3
TYPO_MAX_LENGTH = 100


def vocabulary_words(text: str) -> set[str]:
    """The typo fallback's words of `text`: accent-free, lower-case, 3 letters or more, not
    numbers (kb.fuzzy compares the misspelt query words with these)."""
    return {
        strip_accents(word).lower()[:TYPO_MAX_LENGTH]
        for word in words(text)
        if len(word) >= TYPO_MIN_LETTERS and not word.isdigit()
    }


_FENCE = re.compile(r"```.*?```", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_MARKUP = "#*_`>|~"
_HYPHENS = re.compile("-+")


def _hyphen(match: re.Match) -> str:
    # A single hyphen between two letters or digits is part of the words (i-Parapheur,
    # Connectez-vous, Saint-Lô); list bullets, rules and "--" are markup.
    text, start, end = match.string, match.start(), match.end()
    joins_words = (
        end - start == 1
        and start > 0
        and end < len(text)
        and text[start - 1].isalnum()
        and text[end].isalnum()
    )
    return "-" if joins_words else " "


def plain_text(markdown_source: str) -> str:
    """Markdown source without its markup, for indexing and snippets: code blocks and raw
    HTML tags dropped, links and images replaced by their text, the characters of the
    markup (# * _ ` > | ~, and hyphens but those joining two words) made spaces, every run
    of spaces one space.

    Each regex runs only when its text can match; the single characters and the spaces
    are handled by str.replace and split/join: the snippets of a search page call this
    for up to 50 bodies (the regexes over every character took 0.2-0.3 ms a body)."""
    text = markdown_source
    if "```" in text:
        text = _FENCE.sub(" ", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)  # links and images: their text
    if "<" in text:
        text = _TAG.sub(" ", text)  # raw HTML tags
    for char in _MARKUP:
        text = text.replace(char, " ")  # str.replace: far faster than a regex or translate
    if "-" in text:
        text = _HYPHENS.sub(_hyphen, text)  # a literal search: only the hyphens are looked at
    return " ".join(text.split())


# Index maintenance (SQLite) -------------------------------------------------------------


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _unaccent(expr):
    return Func(expr, function="unaccent", output_field=TextField())


def _vector():
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector(_unaccent(Coalesce(F("title"), Value(""))), config="french", weight="A")
        + SearchVector(_unaccent(Coalesce(F("summary"), Value(""))), config="french", weight="B")
        + SearchVector(_unaccent(Coalesce(F("body"), Value(""))), config="french", weight="C")
    )


def _head_vector():
    from django.contrib.postgres.search import SearchVector

    return SearchVector(
        _unaccent(Coalesce(F("title"), Value(""))), config="french", weight="A"
    ) + SearchVector(_unaccent(Coalesce(F("summary"), Value(""))), config="french", weight="B")


def index_sheet(sheet) -> None:
    """Put the sheet's current text in the index: SQLite's FTS5 table, or the sheet's
    stored tsvectors on PostgreSQL (whole text and title + summary, GIN indexes)."""
    if not _is_sqlite():
        type(sheet).objects.filter(pk=sheet.pk).update(
            search_vector=_vector(), search_head=_head_vector()
        )
        found = sorted(vocabulary_words(f"{sheet.title} {sheet.summary}"))
        with connection.cursor() as cursor:
            # The typo fallback's vocabulary (kb.models.TypoWord, SheetWord).
            cursor.execute("DELETE FROM kb_sheetword WHERE sheet_id = %s", [sheet.pk])
            cursor.execute(
                "INSERT INTO kb_sheetword (sheet_id, word) SELECT %s, unnest(%s::text[])",
                [sheet.pk, found],
            )
            cursor.execute(
                "INSERT INTO kb_typoword (word) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                [found],
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [sheet.pk])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [
                sheet.pk,
                normalise(sheet.title),
                normalise(sheet.summary),
                normalise(plain_text(sheet.body)),
            ],
        )


def unindex_sheet(pk: int) -> None:
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])  # noqa: S608


# Searching ------------------------------------------------------------------------------


def among(ids) -> RawSQL:
    """`pk__in=among(ids)`: the ids as one bound parameter (a JSON array on SQLite, an
    array on PostgreSQL) rather than one parameter each: Django prepared the 500 candidate
    ids of a search one by one, 5 ms of each search."""
    ids = [int(pk) for pk in ids]
    if _is_sqlite():
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def page_of(queryset, ids, limit: int) -> list:
    """The first `limit` sheets of `ids`, in that order, that the queryset lets through:
    one query (the ids' position in the list is the sort key), the sheets without their
    tsvectors. Reading which candidates are visible, then loading the page, took two."""
    ids = [int(pk) for pk in ids]
    if not ids or limit <= 0:
        return []
    table = queryset.model._meta.db_table
    # `table` is a model's table name; the ids are a bound parameter.
    if _is_sqlite():
        # The position of ",<id>," in ",<id1>,<id2>,…,": increasing with the rank.
        sql, params = f"instr(%s, ',' || {table}.id || ',')", ["," + ",".join(map(str, ids)) + ","]
    else:
        sql, params = f"array_position(%s::bigint[], {table}.id)", [ids]
    position = RawSQL(sql, params, output_field=IntegerField())  # noqa: S611
    return list(
        _without_vectors(queryset)
        .filter(pk__in=among(ids))
        .annotate(kb_position=position)
        .order_by("kb_position")[:limit]
    )


@dataclass
class Hit:
    sheet: object
    rank: float
    snippet: SafeString
    #: The title with the matching words in <mark> (None: shown as it is).
    title: SafeString | None = None


#: Candidates read from the index per search (the page shows at most 50 of them).
CANDIDATES = 500
#: PostgreSQL: ranks of body-only matches are scaled down (they come after the title and
#: summary matches anyway; the scores shown stay comparable).
BODY_RANK = 0.5


def _fts5_ids(stems: list[str], *, head: bool, limit: int = CANDIDATES) -> list[int]:
    """Ids of the best matching sheets, best first, at most `limit`: matches in the title
    or summary (`head`), or anywhere.

    bm25 is computed for every row a MATCH returns: for a word found in most sheets that
    was the search's main cost. Sheets matching in their title or summary are ranked
    first (a small share of the rows); the whole text is ranked only when those do not
    fill the page."""
    # Stems hold only letters and digits; quoting each one makes it a literal token for
    # FTS5 (never an operator such as AND, NEAR, "-" or a column filter).
    match = " AND ".join(f'"{s}"*' for s in stems)
    sql = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        f" ORDER BY bm25({FTS_TABLE}, 10.0, 4.0, 1.0) LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{{title summary}} : ({match})" if head else match])
        return [row[0] for row in cursor.fetchall()]


def _sqlite_sheets(queryset, stems: list[str], limit: int) -> list:
    """The page's sheets, best first: the title and summary matches, then, only when those
    do not fill the page, other matches ranked on the whole text (at most CANDIDATES
    candidates in all, as before)."""
    ids = _fts5_ids(stems, head=True)
    sheets = page_of(queryset, ids, limit)
    if len(sheets) < limit and len(ids) < CANDIDATES:
        seen = set(ids)
        more = [pk for pk in _fts5_ids(stems, head=False) if pk not in seen]
        sheets += page_of(queryset, more[: CANDIDATES - len(ids)], limit - len(sheets))
    return sheets


def _postgres_ranked(queryset, query_text: str, stems: list[str], limit: int) -> list:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = None
    for word, s in zip(_query_words(query_text), stems, strict=False):
        either = SearchQuery(strip_accents(word.lower()), config="french")
        # The raw tsquery syntax only ever receives ASCII letters and digits.
        prefix = re.sub(r"[^a-z0-9]", "", s)
        if prefix:
            either |= SearchQuery(f"{prefix}:*", config="simple", search_type="raw")
        query = either if query is None else query & either
    # Sheets matching in their title or summary first, ranked on that small vector; then,
    # when they do not fill the page, other matches, of which at most CANDIDATES are ranked
    # on their whole vector (ranking thousands of TOASTed vectors was the search's cost).
    ranked = list(
        queryset.filter(search_head__matches=query)
        .annotate(kb_rank=SearchRank(F("search_head"), query))
        .order_by("-kb_rank", "title", "pk")[:limit]
    )
    if len(ranked) < limit:
        candidates = (
            queryset.prefetch_related(None)
            .filter(search_vector__matches=query)
            .exclude(search_head__matches=query)
            .values("pk")[:CANDIDATES]
        )
        ranked += list(
            queryset.filter(pk__in=candidates)
            .annotate(kb_rank=SearchRank(F("search_vector"), query) * BODY_RANK)
            .order_by("-kb_rank", "title", "pk")[: limit - len(ranked)]
        )
    if ranked:
        return ranked
    # Fallback: the stems anywhere in the accent-free title or summary (a word cut in the
    # middle...), through the trigram index of migration 0005 (a LIKE '%stem%' of 3 letters
    # or more is served by it; scanning every title and summary cost 40 ms). The body is
    # left out: scanning it would defeat the index.
    for s in stems:
        # A stem holds only letters and digits: no LIKE wildcard to escape.
        queryset = queryset.filter(
            RawSQL(f"{TRGM_TEXT} LIKE %s", [f"%{s}%"], output_field=BooleanField())  # noqa: S611
        )
    return list(queryset.order_by("title", "pk")[:limit])


def _query_words(query_text: str) -> list[str]:
    # Words in the order of their first distinct stem (zip with query_stems()).
    seen, result = set(), []
    for word in words(query_text):
        s = stem(word)
        if s not in seen:
            seen.add(s)
            result.append(word)
    return result[:MAX_TOKENS]


def search_sheets(queryset, query_text: str, *, limit: int = 50) -> list[Hit]:
    """The sheets of `queryset` matching `query_text`, best first, with a snippet each.
    A query without any word (only punctuation, quotes, operators) matches nothing."""
    stems = query_stems(query_text)
    if not stems:
        return []
    if _is_sqlite():
        # Only the page's sheets are loaded: loading (and prefetching for) all 500
        # candidates cost more than the search.
        ordered = _sqlite_sheets(queryset, stems, limit)
        seen: dict[str, bool] = {}
        return [
            Hit(
                s,
                float(len(ordered) - i),
                snippet(s, stems, seen=seen),
                marked(s.title, stems, seen=seen),
            )
            for i, s in enumerate(ordered)
        ]
    ranked = _postgres_ranked(_without_vectors(queryset), query_text, stems, limit)
    seen = {}
    return [
        Hit(
            s,
            float(getattr(s, "kb_rank", 0.0)),
            snippet(s, stems, seen=seen),
            marked(s.title, stems, seen=seen),
        )
        for s in ranked
    ]


def _without_vectors(queryset):
    # The stored tsvectors are never shown: the whole-text one is TOASTed (about 2 KB a
    # sheet), reading it back for the page's sheets was wasted work.
    return queryset.defer("search_vector", "search_head")


def snippet(
    sheet, stems: list[str], *, width: int = 30, seen: dict[str, bool] | None = None
) -> SafeString:
    """Up to `width` words of the summary or body around the first match, the matching
    words in <mark>. Escaped before marking: no text of the sheet becomes markup.
    `seen` (token -> matches) may be shared by the snippets of one search: the same
    words come back from sheet to sheet."""
    seen = {} if seen is None else seen
    get = seen.get
    for source in (sheet.summary, None):
        # The body's plain text only when the summary has no match (regexes over the body).
        tokens = (plain_text(sheet.body) if source is None else source).split()
        for index, token in enumerate(tokens):
            # Inlined matches(token): this loop runs over thousands of words per search.
            found = get(token)
            if found is None:
                found = seen[token] = _matches(token, stems)
            if found:
                start = max(0, index - width // 3)
                window = _marked_tokens(tokens[start : start + width], stems, seen)
                prefix = "… " if start > 0 else ""
                suffix = " …" if start + width < len(tokens) else ""
                return mark_safe(prefix + window + suffix)  # escaped by _marked_tokens
    text = " ".join((sheet.summary or plain_text(sheet.body)).split()[:width])
    return mark_safe(html_escape(text))  # escaped


def marked(text: str, stems: list[str], *, seen: dict[str, bool] | None = None) -> SafeString:
    """`text` escaped, its words that match the query in <mark> (a hit's title)."""
    return mark_safe(_marked_tokens(text.split(), stems, {} if seen is None else seen))


def _marked_tokens(tokens: list[str], stems: list[str], seen: dict[str, bool]) -> str:
    """The tokens escaped and joined by spaces, those matching the query in <mark>."""
    parts = []
    for token in tokens:
        found = seen.get(token)
        if found is None:
            found = seen[token] = _matches(token, stems)
        parts.append(f"<mark>{html_escape(token)}</mark>" if found else html_escape(token))
    return " ".join(parts)


def _matches(token: str, stems: list[str]) -> bool:
    if all(s.isascii() for s in stems):
        # A cheap necessary condition first: a word whose stem starts with an ASCII stem
        # holds it, contiguous, in its accent-free, lower-case form, and so in the token's
        # (dropping the other non-ASCII characters cannot split an ASCII run). Most
        # tokens of a body fail it, without the regex and the stemming below.
        folded = unicodedata.normalize("NFKD", token.lower()).encode("ascii", "ignore")
        if not any(s.encode() in folded for s in stems):
            return False
    return any(stem(w).startswith(s) for w in words(token) for s in stems)
