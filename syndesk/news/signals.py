"""Signal receivers for side concerns only (STYLE 11): a closure day recorded or removed by
the core app changes the iCalendar, so the publication clock moves and caches expire."""

from .models import PublicationClock


def closures_changed(sender, **kwargs) -> None:
    PublicationClock.touch()
