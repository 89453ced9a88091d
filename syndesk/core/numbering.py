"""Gapless document numbers, e.g. DEV-2026-0042."""

from django.db import IntegrityError, transaction

from .models import NumberSequence


def next_number(series: str, year: int, *, width: int = 4) -> str:
    """Allocate the next number of `series` for `year`. Must run inside the transaction
    that saves the numbered document (the row lock is held until it commits)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside transaction.atomic()")
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(series=series, year=year)
    except IntegrityError:  # created concurrently: fine, lock it below
        pass
    sequence = NumberSequence.objects.select_for_update().get(series=series, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{series}-{year}-{sequence.last:0{width}d}"
