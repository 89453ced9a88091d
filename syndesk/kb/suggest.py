"""Sheets suggested while somebody describes a problem (a ticket's subject and description).

The search of kb.search requires every query word; a description is a sentence, so here
the significant words (4 letters or more, not a common French word; at most `MAX_WORDS`,
the subject's first) are searched together with OR, in one query ranked by the back end
(bm25 on SQLite, ts_rank on PostgreSQL): sheets matching more words rank higher.
When no word matches, the typo-tolerant fallback of kb.fuzzy is
tried on the subject. Only sheets of `Sheet.objects.visible_to(user)` are ever considered:
a member user never gets a staff-only sheet.
"""

import re

from django.db import connection
from django.db.models import F
from django.utils.safestring import mark_safe

from . import fuzzy, search
from .models import Sheet

MAX_WORDS = 6
CANDIDATES = 200  # best-ranked ids read before the visibility filter
MAX_TEXT = 2000  # characters of the description read (a pasted log stays cheap)
_STOPWORDS_TEXT = (
    "alors aussi autre avec avoir bonjour cela cette comme dans depuis donc elle elles encore "
    "entre etait etre fait faire leur leurs mais meme merci nous notre pour plus pouvez "
    "quand quel quelle sans sont sous suis tout tous toute toutes tres vous votre avons "
    "avez peut peux veut voudrais souhaite souhaiterais bien cordialement madame monsieur "
    "probleme question aide besoin"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def significant_words(*texts: str) -> list[str]:
    """The words worth searching, in order, without duplicates (by stem)."""
    seen, result = set(), []
    for text in texts:
        for word in search.words(text[:MAX_TEXT]):
            plain = search.strip_accents(word.lower())
            if len(plain) < 4 or plain in STOPWORDS or plain.isdigit():
                continue
            key = search.stem(plain)
            if key not in seen:
                seen.add(key)
                result.append(word)
    return result[:MAX_WORDS]


def _ranked_ids(stems: list[str], limit: int) -> list[int]:
    """Ids of the sheets matching ANY of `stems` (as word prefixes), those matching more and
    better first: one full-text query (kb.search's AND query fits a search box, not a
    sentence)."""
    if connection.vendor == "sqlite":
        # Stems hold only letters and digits; quoted, they are literal tokens for FTS5.
        # Titles and summaries only: a sheet is suggested for what it is about.
        match = "{title summary} : (" + " OR ".join(f'"{s}"*' for s in stems) + ")"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH %s"  # noqa: S608
                f" ORDER BY bm25({search.FTS_TABLE}, 10.0, 4.0, 1.0) LIMIT %s",
                [match, limit],
            )
            return [row[0] for row in cursor.fetchall()]
    from django.contrib.postgres.search import SearchQuery, SearchRank

    prefixes = [re.sub(r"[^a-z0-9]", "", s) for s in stems]
    # A prefix found in the title (weight A) or the summary (B), as on SQLite: the small
    # title-and-summary vector (kb.search) holds exactly those. Ranking on it instead of
    # the whole (TOASTed) vector of every matching sheet took the fragment's time.
    raw = " | ".join(f"{p}:*" for p in prefixes if p)
    if not raw:
        return []
    query = SearchQuery(raw, config="simple", search_type="raw")
    return list(
        Sheet.objects.filter(search_head__matches=query)
        .annotate(kb_rank=SearchRank(F("search_head"), query))
        .order_by("-kb_rank", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def suggest_sheets(*, user, subject: str = "", description: str = "", limit: int = 5) -> list:
    """Up to `limit` search hits (kb.search.Hit) for what `user` is typing, best first."""
    visible = Sheet.objects.visible_to(user)
    stems = [search.stem(w) for w in significant_words(subject, description)]
    if not stems:
        return []
    ids = _ranked_ids(stems, CANDIDATES)
    # The few shown, among the candidates the user may read, in one query: building the
    # 200 candidates as model instances cost more than the search.
    shown = visible.only("pk", "title", "slug", "summary", "visibility")
    sheets = search.page_of(shown, ids, limit)
    if not sheets:
        subject_words = " ".join(significant_words(subject))
        return fuzzy.search_with_typos(visible, subject_words, limit=limit) if subject_words else []
    return [search.Hit(s, float(len(sheets) - i), mark_safe("")) for i, s in enumerate(sheets)]
