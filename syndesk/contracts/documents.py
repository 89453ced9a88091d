"""The ordering chain's documents: the quote (devis) and the annex of particular conditions.

Both are built only from stored data (the quote and its lines as saved, the member's record,
the deployment's syndicate settings and business calendar) and rendered by the core
`PdfRenderer`, so regenerating a document gives the same content. Nothing here reads the
clock: the annex leaves its signature date blank, as the paper original does.

The annex's wording is the seed contract annex (../shared/seed/000_bb18b55ddce02597.txt),
kept in ``contracts/pdf/annex.html``; only the syndicate (settings.SYNDICATE), the member,
the opening hours (from the business calendar) and the deliberation (from the quote's
tariff grids) are filled in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from syndesk.catalog.models import Deliberation
from syndesk.core.calendar import current_calendar
from syndesk.core.documents import PdfRenderer, open_days_phrase, opening_hours_lines
from syndesk.core.formats import long_date
from syndesk.core.hours import BusinessCalendar
from syndesk.members.models import LegalCategory, Member

from .models import Quote, QuoteLine

QUOTE_TEMPLATE = "contracts/pdf/quote.html"
ANNEX_TEMPLATE = "contracts/pdf/annex.html"

_VOWELS = "aàâeéèêëiîïoôuùûüyœæ"
# Titles that take the feminine article; anything else is "Le …" (or "L'…" before a vowel).
_FEMININE_TITLES = {
    "présidente",
    "vice-présidente",
    "directrice",
    "directrice générale",
    "maire-adjointe",
    "conseillère",
}
_ARTICLES = ("le ", "la ", "l'", "l’", "les ")
_POSTAL_CITY = re.compile(r"\b\d{5}\s+(?P<city>[^,\n]+?)\s*$")


def _date(day) -> str:
    return long_date(day)


def _euros(amount: Decimal) -> str:
    return f"{number_format(amount, 2, force_grouping=True)}\u00a0€"


def _number(value: Decimal) -> str:
    """A quantity or a rate without useless decimals: 1, 1,5, 5,5."""
    value = value.normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, places, force_grouping=True)


def _starts_with_vowel(text: str) -> bool:
    return bool(text) and text[0].lower() in _VOWELS


def member_party(member: Member) -> str:
    """How the annex names the member after "Pour": "la commune de Brécey", "la commune
    d'Avranches"; other bodies by their name, which already says what they are."""
    name = member.name.strip()
    if member.legal_category == LegalCategory.COMMUNE and not re.match(
        r"(?i)(commune|ville|mairie)\b", name
    ):
        if _starts_with_vowel(name):
            return _("la commune d'%(name)s") % {"name": name}
        return _("la commune de %(name)s") % {"name": name}
    return name


def with_article(title: str) -> str:
    """The signatory's title with its article: "Maire" -> "Le Maire", "Présidente" ->
    "La Présidente", "Adjoint au maire" -> "L'Adjoint au maire"; a title entered with its
    article is kept as is."""
    title = title.strip()
    if not title or title.lower().startswith(_ARTICLES):
        return title
    if _starts_with_vowel(title):
        return f"L'{title}"
    if title.lower() in _FEMININE_TITLES:
        return f"La {title}"
    return f"Le {title}"


def syndicate_party() -> str:
    """How the annex names the syndicate after "Pour": "le Syndicat mixte Manche Numérique"
    (the legal name when it starts with "Syndicat", else built from the short name)."""
    syndicate = settings.SYNDICATE
    legal = (syndicate.get("legal_name") or "").strip()
    if legal.lower().startswith("syndicat"):
        return f"le {legal}"
    return _("le Syndicat mixte %(name)s") % {"name": syndicate["name"]}


def syndicate_city() -> str:
    """The city of the syndicate's seat ("Fait à …"): SYNDICATE["city"] when configured,
    otherwise what follows the postal code in its address."""
    syndicate = settings.SYNDICATE
    if syndicate.get("city"):
        return syndicate["city"]
    match = _POSTAL_CITY.search(syndicate.get("address", "").strip())
    return match.group("city") if match else ""


def _grouped(digits: str, sizes: tuple[int, ...]) -> str:
    """Digits in groups, as SIREN and SIRET are printed: "215007402" -> "215 007 402"."""
    if not digits.isdigit() or len(digits) != sum(sizes):
        return digits
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return " ".join(parts)


def member_identity(member: Member) -> dict[str, Any]:
    """The member's block: name, address lines and identifiers, formatted for print."""
    address = [line.strip() for line in member.address.splitlines() if line.strip()]
    city_line = " ".join(part for part in (member.postal_code, member.city) if part)
    if city_line and city_line not in address:
        address.append(city_line)
    return {
        "name": member.name,
        "address": address,
        "siren": _grouped(member.siren, (3, 3, 3)),
        "siret": _grouped(member.siret, (3, 3, 3, 5)) if member.siret else "",
    }


def deliberation_references(deliberations: list[Deliberation]) -> str:
    """The deliberations as cited: "n° 2025-42 du 12 décembre 2025" (several joined with
    "et")."""
    refs = [
        _("n° %(number)s du %(date)s") % {"number": d.number, "date": _date(d.date)}
        for d in deliberations
    ]
    if len(refs) <= 1:
        return "".join(refs)
    return _("%(first)s et %(last)s") % {"first": ", ".join(refs[:-1]), "last": refs[-1]}


def _deliberations(lines: list[QuoteLine]) -> list[Deliberation]:
    found = {line.grid.deliberation.pk: line.grid.deliberation for line in lines if line.grid}
    return sorted(found.values(), key=lambda d: (d.date, d.number))


def _stored_quote(quote: Quote) -> Quote:
    """The quote as stored, with everything the documents print in three queries."""
    lines = QuoteLine.objects.select_related("offer", "grid__deliberation").order_by("pk")
    return (
        Quote.objects.select_related("member", "replaces", "request")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get(pk=quote.pk)
    )


def quote_context(quote: Quote) -> dict[str, Any]:
    quote = _stored_quote(quote)
    lines = list(quote.lines.all())
    rows = [
        {
            "label": line.label,
            "quantity": _number(line.quantity),
            "unit_price": _euros(line.unit_price),
            "total": _euros(line.total_excl_vat),
            "vat": (
                f"{_number(line.vat_rate)}\u00a0%"
                if line.vat_rate is not None
                else line.vat_mention or _("Non soumis à la TVA")
            ),
        }
        for line in lines
    ]
    deliberations = _deliberations(lines)
    return {
        "quote": quote,
        "member": quote.member,
        "identity": member_identity(quote.member),
        "member_party": member_party(quote.member),
        "date": _date(quote.date),
        "valid_until": _date(quote.valid_until),
        "replaces": quote.replaces,
        "replaces_date": _date(quote.replaces.date) if quote.replaces else "",
        "rows": rows,
        "total_excl_vat": _euros(quote.total_excl_vat),
        "total_vat": _euros(quote.total_vat),
        "total_incl_vat": _euros(quote.total_incl_vat),
        "deliberations": deliberation_references(deliberations),
    }


def annex_context(
    member: Member, *, quote: Quote | None = None, calendar: BusinessCalendar | None = None
) -> dict[str, Any]:
    if member.pk is not None:  # a stored member is re-read; an unsaved one is a specimen
        member = Member.objects.get(pk=member.pk)
    if quote is not None:
        quote = _stored_quote(quote)
        if quote.member_id != member.pk:
            raise ValueError(f"quote {quote.number} is not addressed to {member}")
    schedule = (calendar or current_calendar()).weekly_schedule()
    deliberations = _deliberations(list(quote.lines.all())) if quote else []
    syndicate = settings.SYNDICATE
    return {
        "member": member,
        "identity": member_identity(member),
        "member_party": member_party(member),
        "member_signatory_title": with_article(member.signatory_title),
        "quote": quote,
        "quote_date": _date(quote.date) if quote else "",
        "hours": opening_hours_lines(schedule),
        "open_days": open_days_phrase(schedule),
        "deliberations": deliberation_references(deliberations),
        "syndicate_party": syndicate_party(),
        "president_title": syndicate.get("president_title") or _("Le Président"),
        "city": syndicate_city(),
    }


def quote_pdf(quote: Quote) -> bytes:
    """The quote as a tagged PDF, from its stored lines and totals."""
    renderer = PdfRenderer()
    with renderer.language():
        context = quote_context(quote)
    return renderer.render(QUOTE_TEMPLATE, context)


def annex_pdf(
    member: Member, *, quote: Quote | None = None, calendar: BusinessCalendar | None = None
) -> bytes:
    """The annex n°1 (particular conditions) for `member`, with the opening hours of
    `calendar` (the deployment's calendar by default) and, when `quote` is given, the
    deliberation that set the tariffs of its lines."""
    renderer = PdfRenderer()
    with renderer.language():
        context = annex_context(member, quote=quote, calendar=calendar)
    return renderer.render(ANNEX_TEMPLATE, context)
