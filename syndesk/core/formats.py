"""How dates and amounts are written in sentences shown to people and printed on documents."""

from datetime import date

from django.utils import translation
from django.utils.formats import date_format


def long_date(day: date) -> str:
    """The date as French writes it: 15 mars 2027, and 1er avril 2027 for a first."""
    if day.day == 1 and (translation.get_language() or "fr").startswith("fr"):
        return f"1er {date_format(day, 'F Y')}"
    return date_format(day, "j F Y")
