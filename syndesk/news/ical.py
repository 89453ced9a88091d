"""The iCalendar (RFC 5545) of planned maintenance and closure days, written by hand: the
format is small and a dependency would only save these few lines.

Rules applied: CRLF line ends; content lines folded at 75 octets (never inside a UTF-8
character), continuation lines starting with one space; TEXT values escape backslash,
semicolon, comma and newlines; date-times in UTC ("Z"); closure days are all-day events
(VALUE=DATE, DTEND the next day, exclusive).
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings

CRLF = "\r\n"
FOLD_AT = 75


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets (continuations begin with a
    space, which counts in their 75)."""
    encoded = line.encode()
    if len(encoded) <= FOLD_AT:
        return line
    parts, start, limit = [], 0, FOLD_AT
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1  # do not cut a multi-byte character
        parts.append(encoded[start:end].decode())
        start, limit = end, FOLD_AT - 1
    return (CRLF + " ").join(parts)


def utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


class Event:
    def __init__(self, *, uid: str, stamp: datetime, summary: str, **props):
        self.uid, self.stamp, self.summary, self.props = uid, stamp, summary, props

    def lines(self) -> list[str]:
        p = self.props
        lines = ["BEGIN:VEVENT", f"UID:{self.uid}", f"DTSTAMP:{utc(self.stamp)}"]
        if "all_day" in p:
            lines += [
                f"DTSTART;VALUE=DATE:{day(p['all_day'])}",
                f"DTEND;VALUE=DATE:{day(p['all_day'] + timedelta(days=1))}",
                "TRANSP:TRANSPARENT",
            ]
        else:
            lines += [f"DTSTART:{utc(p['start'])}", f"DTEND:{utc(p['end'])}"]
        lines.append(f"SUMMARY:{escape_text(self.summary)}")
        if p.get("description"):
            lines.append(f"DESCRIPTION:{escape_text(p['description'])}")
        if p.get("categories"):
            lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in p["categories"]))
        if p.get("url"):
            lines.append(f"URL:{p['url']}")
        if p.get("last_modified"):
            lines.append(f"LAST-MODIFIED:{utc(p['last_modified'])}")
        if p.get("sequence") is not None:
            lines.append(f"SEQUENCE:{p['sequence']}")
        lines += [f"STATUS:{p.get('status', 'CONFIRMED')}", "END:VEVENT"]
        return lines


def calendar(*, name: str, events: Iterable[Event]) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{escape_text(settings.SYNDICATE['name'])}//Syndesk//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Europe/Paris",
    ]
    for event in events:
        lines += event.lines()
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def maintenance_event(notice, *, stamp: datetime) -> Event:
    software = [s.name for s in notice.software.all()]
    description = notice.body.strip()
    if software:
        description = ", ".join(software) + "\n\n" + description
    return Event(
        uid=f"notice-{notice.pk}@{_host()}",
        stamp=stamp,
        summary=notice.title,
        start=notice.starts_at,
        end=notice.ends_at,
        description=description,
        categories=[str(notice.get_kind_display()), *software],
        url=notice.absolute_url,
        last_modified=notice.updated_at or notice.published_at,
        sequence=getattr(notice, "update_count", 0),
    )


def closure_event(closure, *, stamp: datetime) -> Event:
    # The date is unique among closure days, so it identifies the event for good.
    return Event(
        uid=f"closure-{day(closure.date)}@{_host()}",
        stamp=stamp,
        summary=f"{settings.SYNDICATE['name']} : assistance fermée ({closure.label})",
        all_day=closure.date,
        categories=["Fermeture"],
    )
