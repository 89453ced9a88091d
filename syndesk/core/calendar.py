"""The deployment's business calendar: the annex's hours, the configured holiday
subdivision and the closure days managers record."""

from django.conf import settings

from .hours import BusinessCalendar
from .models import ClosureDay

ALSACE_MOSELLE = {"57", "67", "68", "6AE", "alsace", "moselle", "alsace-moselle"}


def current_calendar() -> BusinessCalendar:
    """Build the calendar in force (one small query for the closure days)."""
    alsace_moselle = settings.HOLIDAYS_SUBDIVISION.strip().lower() in ALSACE_MOSELLE
    closures = ClosureDay.objects.values_list("date", flat=True)
    return BusinessCalendar.default(alsace_moselle=alsace_moselle, closures=list(closures))
