from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from syndesk.catalog.models import PrerequisiteKind

register = template.Library()


@register.filter
def euros(value: Decimal | None) -> str:
    """1234.5 -> "1 234,50 €"; keeps up to 4 decimals for amounts per inhabitant."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    decimals = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{number_format(value, min(decimals, 4), force_grouping=True)}\N{NO-BREAK SPACE}€"


@register.filter
def grouped(value: int | None) -> str:
    """A population with thousands separators: 10000 -> "10 000"."""
    if value is None or value == "":
        return ""
    return number_format(value, force_grouping=True)


@register.filter
def quantity_unit(kind: str) -> str:
    """The unit of a prerequisite's minimum quantity."""
    if kind in (PrerequisiteKind.RAM, PrerequisiteKind.DISK):
        return _("Go")
    if kind == PrerequisiteKind.CPU:
        return _("cœurs")
    return ""


@register.filter
def quantity(value: Decimal | None) -> str:
    """8.00 -> "8", 2.50 -> "2,5"."""
    if value is None:
        return ""
    normalized = Decimal(value).normalize()
    exponent = normalized.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(normalized, decimals, force_grouping=True)
