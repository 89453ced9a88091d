"""Sheets suggested while somebody describes a problem (a ticket's subject and description).

The search of kb.search requires every query word; a description is a sentence, so here
each significant word (4 letters or more, not a common French word) is searched on its own
and a sheet scores one point per word it matches (the subject's words first, at most
`MAX_WORDS` searches). When no word matches, the typo-tolerant fallback of kb.fuzzy is
tried on the subject. Only sheets of `Sheet.objects.visible_to(user)` are ever considered:
a member user never gets a staff-only sheet.
"""

from . import fuzzy, search
from .models import Sheet

MAX_WORDS = 6
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


def suggest_sheets(*, user, subject: str = "", description: str = "", limit: int = 5) -> list:
    """Up to `limit` search hits (kb.search.Hit) for what `user` is typing, best first."""
    visible = Sheet.objects.visible_to(user)
    scores: dict[int, list] = {}
    for position, word in enumerate(significant_words(subject, description)):
        for rank, hit in enumerate(search.search_sheets(visible, word, limit=20)):
            entry = scores.setdefault(hit.sheet.pk, [0, 0.0, hit])
            entry[0] += 1
            entry[1] -= position * 100 + rank  # earlier words and better ranks first
    if not scores:
        subject_words = " ".join(significant_words(subject))
        if not subject_words:
            return []
        return fuzzy.search_with_typos(visible, subject_words, limit=limit)
    ordered = sorted(scores.values(), key=lambda e: (-e[0], -e[1], e[2].sheet.title))
    return [entry[2] for entry in ordered[:limit]]
