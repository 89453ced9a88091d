"""RSS and Atom feeds, read back with feedparser as a town hall's reader would."""

import calendar
from datetime import UTC, datetime

import feedparser
import pytest
from django.urls import reverse
from django.utils.http import http_date

from syndesk.core.testing import count_queries
from syndesk.news import services
from syndesk.news.feeds import FEED_LIMIT
from syndesk.news.models import Notice

from .conftest import FORBIDDEN, XSS_BODY

pytestmark = pytest.mark.django_db

PUBLIC_FEEDS = [
    ("news-public:feed-rss", []),
    ("news-public:feed-atom", []),
    ("news-public:kind-rss", ["interruptions"]),
    ("news-public:kind-atom", ["nouveautes"]),
]


def parse(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, (url, feed.bozo_exception)
    return response, feed


def as_utc(struct) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)


@pytest.mark.parametrize(("name", "args"), PUBLIC_FEEDS)
def test_every_public_feed_parses_without_error(client, notice_factory, name, args):
    notice_factory(title="Nouveauté e.magnus")
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    _, feed = parse(client, reverse(name, args=args))
    assert feed.entries
    assert feed.feed.title.startswith("Manche Numérique")


@pytest.mark.parametrize("atom", [False, True])
def test_entries_carry_guid_dates_and_absolute_links(client, notice_factory, agent, atom):
    notice = notice_factory(title="Version 2026.1", body="Notes de *version*.")
    services.change_notice(notice=notice, changed_by=agent, body="Notes corrigées.")
    notice.refresh_from_db()
    url = reverse("news-public:feed-atom" if atom else "news-public:feed-rss")
    _, feed = parse(client, url)
    (entry,) = feed.entries
    assert entry.id == notice.guid
    assert entry.link == f"http://testserver/actualites/{notice.pk}/"
    assert as_utc(entry.published_parsed) == notice.published_at.replace(microsecond=0)
    if atom:
        assert as_utc(entry.updated_parsed) == notice.updated_at.replace(microsecond=0)
        assert feed.feed.links[0].href.startswith("http://testserver/")
    assert "Notes corrigées." in entry.summary
    assert feed.feed.link == "http://testserver/actualites/"
    if not atom:
        assert not entry.guidislink  # a tag: URI, not a permalink


def test_the_guid_survives_edits_and_a_change_of_site_url(client, notice_factory, agent, settings):
    notice = notice_factory(title="Avant")
    _, before = parse(client, reverse("news-public:feed-rss"))
    settings.SITE_URL = "https://assistance.example.fr"
    services.change_notice(notice=notice, changed_by=agent, title="Après")
    _, after = parse(client, reverse("news-public:feed-rss"))
    assert before.entries[0].id == after.entries[0].id
    assert after.entries[0].title == "Après"
    assert after.entries[0].link.startswith("https://assistance.example.fr/actualites/")


def test_drafts_and_withdrawn_notices_never_appear(client, notice_factory, agent, pastell):
    notice_factory(title="Brouillon secret", publish=False, software=[pastell])
    withdrawn = notice_factory(title="Retiré secret", software=[pastell])
    services.unpublish_notice(notice=withdrawn, unpublished_by=agent)
    notice_factory(title="Visible")
    for url in [
        reverse("news-public:feed-rss"),
        reverse("news-public:feed-atom"),
        reverse("news-public:kind-rss", args=["nouveautes"]),
        reverse("news-public:software-rss", args=[pastell.pk]),
        reverse("news-public:software-atom", args=[pastell.pk]),
    ]:
        body = client.get(url).content.decode()
        assert "secret" not in body, url


def test_per_kind_and_per_software_feeds_filter(client, notice_factory, emagnus, pastell):
    notice_factory(title="Pastell 4.1", software=[pastell])
    notice_factory(title="e.magnus 2026", software=[emagnus])
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne Pastell", software=[pastell])
    _, feed = parse(client, reverse("news-public:software-rss", args=[pastell.pk]))
    assert sorted(e.title for e in feed.entries) == ["Pastell 4.1", "[Interruption] Panne Pastell"]
    _, feed = parse(client, reverse("news-public:kind-atom", args=["interruptions"]))
    assert [e.title for e in feed.entries] == ["[Interruption] Panne Pastell"]
    assert {t.term for t in feed.entries[0].tags} == {"Interruption de service", "Pastell"}


def test_unknown_software_or_kind_answers_404(client):
    assert client.get(reverse("news-public:software-rss", args=[999])).status_code == 404
    assert client.get("/flux/inconnu.rss").status_code == 404


def test_script_never_reaches_a_feed(client, notice_factory):
    notice_factory(title="<script>alert('title')</script>", body=XSS_BODY)
    escaped_title = "&lt;script&gt;alert('title')&lt;/script&gt;"
    for name in ("news-public:feed-rss", "news-public:feed-atom"):
        response, feed = parse(client, reverse(name))
        # The title is text: escaped once in the XML, shown literally by readers.
        assert feed.entries[0].title == "<script>alert('title')</script>"
        raw = response.content.decode().replace(escaped_title, "").lower()
        for forbidden in ("&lt;script", "<script", "alert(", "onerror", "onclick", "javascript:"):
            assert forbidden not in raw, (name, forbidden)
        summary = feed.entries[0].summary
        assert "Texte <strong>utile</strong>" in summary
        assert 'href="https://ok.example/"' in summary
        for forbidden in FORBIDDEN:
            assert forbidden not in summary.lower(), (name, forbidden)


# Conditional GET -------------------------------------------------------------------------


def test_a_matching_etag_answers_304(client, notice_factory):
    notice_factory()
    url = reverse("news-public:feed-rss")
    first = client.get(url)
    assert first["ETag"]
    assert first["Last-Modified"]
    second = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 304
    assert second.content == b""


def test_a_matching_if_modified_since_answers_304(client, notice_factory):
    notice_factory()
    url = reverse("news-public:feed-atom")
    first = client.get(url)
    response = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert response.status_code == 304


def test_publishing_or_withdrawing_invalidates_the_validators(client, notice_factory, agent):
    notice = notice_factory(title="Premier")
    url = reverse("news-public:feed-rss")
    etag = client.get(url)["ETag"]
    notice_factory(title="Second")
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Second" in response.content.decode()
    etag = response["ETag"]
    services.unpublish_notice(notice=notice, unpublished_by=agent)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Premier" not in response.content.decode()


def test_an_old_if_modified_since_gets_the_feed(client, notice_factory):
    notice_factory()
    old = http_date(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
    response = client.get(reverse("news-public:feed-rss"), headers={"If-Modified-Since": old})
    assert response.status_code == 200


def test_the_last_modified_header_is_the_publication_clock(client, notice_factory):
    from syndesk.news.models import PublicationClock

    notice_factory()
    response = client.get(reverse("news-public:feed-rss"))
    assert response["Last-Modified"] == http_date(PublicationClock.now().timestamp())
    assert response["Cache-Control"] == "public, max-age=60"


def test_feed_queries_are_bounded_whatever_the_number_of_notices(
    client, notice_factory, emagnus, pastell
):
    def queries(url):
        from django.core.cache import cache

        cache.clear()
        return count_queries(lambda: client.get(url))

    for i in range(3):
        notice_factory(title=f"N{i}", software=[emagnus])
    urls = [
        reverse("news-public:feed-rss"),
        reverse("news-public:software-atom", args=[emagnus.pk]),
    ]
    few = [queries(url) for url in urls]
    for i in range(FEED_LIMIT + 5):
        notice_factory(title=f"M{i}", software=[emagnus, pastell])
    many = [queries(url) for url in urls]
    assert many == few
    assert max(many) <= 5
    # A conditional hit and a cached body need only the clock.
    url = urls[0]
    etag = client.get(url)["ETag"]
    assert count_queries(lambda: client.get(url, headers={"If-None-Match": etag})) == 1
    assert count_queries(lambda: client.get(url)) == 1


def test_feeds_are_limited_to_the_newest_notices(client, notice_factory):
    for i in range(FEED_LIMIT + 3):
        notice_factory(title=f"Avis {i}")
    _, feed = parse(client, reverse("news-public:feed-rss"))
    assert len(feed.entries) == FEED_LIMIT
    assert feed.entries[0].title == f"Avis {FEED_LIMIT + 2}"


def test_feeds_answer_head_and_refuse_post(client, notice_factory):
    notice_factory()
    url = reverse("news-public:feed-rss")
    head = client.head(url)
    assert head.status_code == 200
    assert head["ETag"]
    assert client.post(url).status_code == 405


def test_public_feeds_set_no_cookie(client, notice_factory):
    notice_factory()
    response = client.get(reverse("news-public:feed-atom"))
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_entry_dates_are_written_in_french_paris_time(client, agent):
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    from syndesk.news.tests.conftest import make_notice

    paris = ZoneInfo("Europe/Paris")
    notice = make_notice(
        agent,
        kind=Notice.Kind.MAINTENANCE,
        title="Fenêtre",
        starts_at=dt(2026, 3, 28, 22, 0, tzinfo=paris),
        ends_at=dt(2026, 3, 29, 4, 0, tzinfo=paris),  # across the change to summer time
    )
    services.add_notice_update(notice=notice, body="Reportée d'une heure.", author=agent)
    _, feed = parse(client, reverse("news-public:feed-rss"))
    summary = feed.entries[0].summary
    assert "Du samedi 28 mars 2026 à 22:00 au dimanche 29 mars 2026 à 04:00" in summary
    assert "Mise à jour — " in summary
