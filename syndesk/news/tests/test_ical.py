"""The iCalendar of planned maintenance and closure days, checked against RFC 5545 with a
small strict reader (line ends, folding, escaping, required properties)."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.core.models import ClosureDay
from syndesk.core.testing import count_queries
from syndesk.news import ical, services
from syndesk.news.models import Notice

pytestmark = pytest.mark.django_db


def unfold(raw: bytes) -> list[str]:
    """RFC 5545 §3.1: every line ends with CRLF, is at most 75 octets, and a line starting
    with a space continues the previous one."""
    assert raw.endswith(b"\r\n")
    physical = raw[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, line
        assert b"\n" not in line
        assert b"\r" not in line
    logical: list[str] = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1] += line[1:].decode()
        else:
            logical.append(line.decode())
    return logical


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            assert nxt in "\\;,nN", f"bad escape \\{nxt}"
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            assert value[i] not in ";,", f"unescaped {value[i]!r} in TEXT"
            out.append(value[i])
            i += 1
    return "".join(out)


def events(raw: bytes) -> list[dict[str, str]]:
    lines = unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    found, current = [], None
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            assert current is None
            current = {}
        elif line == "END:VEVENT":
            names = {key.split(";")[0] for key in current}
            for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
                assert required in names, (required, current)
            found.append(current)
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    assert current is None
    return found


def utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_maintenance_and_closures_are_events(client, notice_factory, pastell):
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    notice = notice_factory(
        kind=Notice.Kind.MAINTENANCE,
        title="Pastell, mise à jour; coupure",
        body="Ligne 1\nLigne 2 avec \\ et ; et ,",
        software=[pastell],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    notice_factory(kind=Notice.Kind.MAINTENANCE, title="Brouillon", publish=False)
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    ClosureDay.objects.create(date=date.today() + timedelta(days=10), label="Pont, de l'Ascension")
    response = client.get(reverse("news-public:ical"))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    assert len(found) == 2
    maintenance, closure = found
    assert maintenance["UID"] == f"notice-{notice.pk}@testserver"
    assert unescape(maintenance["SUMMARY"]) == "Pastell, mise à jour; coupure"
    assert utc(maintenance["DTSTART"]) == start
    assert utc(maintenance["DTEND"]) == start + timedelta(hours=2)
    assert "Ligne 1\nLigne 2 avec \\ et ; et ," in unescape(maintenance["DESCRIPTION"])
    assert maintenance["URL"] == f"http://testserver/actualites/{notice.pk}/"
    utc(maintenance["DTSTAMP"])
    day = date.today() + timedelta(days=10)
    assert closure["DTSTART;VALUE=DATE"] == day.strftime("%Y%m%d")
    assert closure["DTEND;VALUE=DATE"] == (day + timedelta(days=1)).strftime("%Y%m%d")
    assert closure["UID"] == f"closure-{day:%Y%m%d}@testserver"
    assert "Pont, de l'Ascension" in unescape(closure["SUMMARY"])


def test_long_lines_fold_at_75_octets_without_splitting_characters(client, notice_factory):
    title = "Maintenance é" * 15  # multi-byte characters across fold points
    notice_factory(kind=Notice.Kind.MAINTENANCE, title=title, body="ü" * 200)
    found = events(client.get(reverse("news-public:ical")).content)
    assert unescape(found[0]["SUMMARY"]) == title
    assert unescape(found[0]["DESCRIPTION"]) == "ü" * 200


@pytest.mark.parametrize(
    "line",
    ["A" * 75, "A" * 76, "é" * 100, "x" + "€" * 80, "SUMMARY:" + "a\u0301" * 60],
)
def test_fold_keeps_utf8_whole_and_lines_short(line):
    folded = ical.fold(line).encode()
    parts = folded.split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    for part in parts:
        part.decode()  # never a cut character
    assert b"".join(p[1:] if i else p for i, p in enumerate(parts)).decode() == line


def test_escaping_of_text_values():
    assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_an_edit_keeps_the_uid_and_moves_last_modified(client, notice_factory, agent):
    notice = notice_factory(kind=Notice.Kind.MAINTENANCE, title="Avant")
    url = reverse("news-public:ical")
    before = events(client.get(url).content)[0]
    later = timezone.now() + timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        services.change_notice(notice=notice, changed_by=agent, title="Après")
    after = events(client.get(url).content)[0]
    assert before["UID"] == after["UID"]
    assert unescape(after["SUMMARY"]) == "Après"
    assert utc(after["LAST-MODIFIED"]) > utc(before["LAST-MODIFIED"])


def test_old_maintenance_leaves_the_calendar(client, notice_factory):
    long_ago = timezone.now() - timedelta(days=400)
    notice_factory(kind=Notice.Kind.MAINTENANCE, title="Ancienne", starts_at=long_ago)
    assert events(client.get(reverse("news-public:ical")).content) == []


def test_the_calendar_answers_304_and_changes_with_closures(client, notice_factory):
    notice_factory(kind=Notice.Kind.MAINTENANCE)
    url = reverse("news-public:ical")
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    ClosureDay.objects.create(date=date.today() + timedelta(days=3), label="Formation")
    response = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 200
    assert len(events(response.content)) == 2


def test_the_calendar_queries_are_bounded(client, notice_factory):
    from django.core.cache import cache

    url = reverse("news-public:ical")
    notice_factory(kind=Notice.Kind.MAINTENANCE)
    cache.clear()
    few = count_queries(lambda: client.get(url))
    for i in range(20):
        notice_factory(kind=Notice.Kind.MAINTENANCE, title=f"M{i}")
    cache.clear()
    assert count_queries(lambda: client.get(url)) == few <= 5
