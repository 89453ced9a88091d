"""Money: Decimal euros rounded to the cent, half up (the French accounting convention)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_amount(excl_vat: Decimal, rate_percent: Decimal | None) -> Decimal:
    """VAT on an amount, rounded to the cent; None means not subject to VAT."""
    if rate_percent is None:
        return Decimal("0.00")
    return cents(excl_vat * rate_percent / 100)
