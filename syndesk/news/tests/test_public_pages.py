"""Public news pages and the status page: published notices only, autodiscovery links,
no script, and a bounded number of queries."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.core.testing import count_queries
from syndesk.news import services
from syndesk.news.models import Notice

from .conftest import FORBIDDEN, XSS_BODY

pytestmark = pytest.mark.django_db


def alternates(page: str) -> dict[str, str]:
    head = page.split("</head>")[0]
    links = re.findall(r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)"', head)
    return {href: kind for kind, _title, href in links}


def test_the_list_shows_published_notices_with_feed_autodiscovery(client, notice_factory):
    notice_factory(title="Publié")
    notice_factory(title="Brouillon caché", publish=False)
    page = client.get(reverse("news-public:list")).content.decode()
    assert "Publié" in page
    assert "Brouillon caché" not in page
    links = alternates(page)
    assert links[reverse("news-public:feed-rss")] == "application/rss+xml"
    assert links[reverse("news-public:feed-atom")] == "application/atom+xml"


def test_filtering_by_software_adds_its_feeds(client, notice_factory, pastell, emagnus):
    notice_factory(title="Pastell 4.1", software=[pastell])
    notice_factory(title="e.magnus 2026", software=[emagnus])
    response = client.get(reverse("news-public:list"), {"logiciel": pastell.pk, "type": "x"})
    page = response.content.decode()
    assert "Pastell 4.1" in page
    assert "e.magnus 2026" not in page
    assert reverse("news-public:software-rss", args=[pastell.pk]) in alternates(page)


def test_filtering_by_kind(client, notice_factory):
    notice_factory(title="Nouveauté")
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    page = client.get(reverse("news-public:list"), {"type": "interruptions"}).content.decode()
    assert "Panne" in page
    assert "Nouveauté</a>" not in page
    assert reverse("news-public:kind-atom", args=["interruptions"]) in alternates(page)


def test_a_draft_or_withdrawn_notice_is_404_for_everyone_on_the_public_site(
    client, notice_factory, agent, alice
):
    draft = notice_factory(publish=False)
    withdrawn = notice_factory()
    services.unpublish_notice(notice=withdrawn, unpublished_by=agent)
    for user in (None, alice, agent):
        if user:
            client.force_login(user)
        for notice in (draft, withdrawn):
            assert client.get(reverse("news-public:detail", args=[notice.pk])).status_code == 404


def test_the_detail_page_shows_the_timeline_and_feeds(client, notice_factory, agent, pastell):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne", software=[pastell])
    services.add_notice_update(notice=notice, body="Cause trouvée.", author=agent)
    services.close_notice(notice=notice, resolution="Service rétabli.", closed_by=agent)
    page = client.get(reverse("news-public:detail", args=[notice.pk])).content.decode()
    assert "Cause trouvée." in page
    assert "Service rétabli." in page
    assert "rétabli</span>" in page
    assert reverse("news-public:software-rss", args=[pastell.pk]) in alternates(page)


def test_script_never_reaches_a_page(client, notice_factory, agent):
    notice = notice_factory(
        kind=Notice.Kind.INTERRUPTION, title="<script>alert('t')</script>", body=XSS_BODY
    )
    services.add_notice_update(notice=notice, body=XSS_BODY, author=agent)
    for url in (
        reverse("news-public:detail", args=[notice.pk]),
        reverse("news-public:list"),
        reverse("news-public:status"),
        reverse("news:detail", args=[notice.pk]),
    ):
        client.force_login(agent)
        page = client.get(url).content.decode()
        escaped_title = "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;"
        main = page.split('<main id="contenu"', 1)[1]
        assert escaped_title in main  # the title is shown as text
        body = main.replace(escaped_title, "").lower()
        for forbidden in FORBIDDEN:
            assert forbidden not in body, (url, forbidden)


def test_the_status_page_shows_current_upcoming_and_recent_events(
    client, notice_factory, agent, pastell, emagnus
):
    now = timezone.now()
    notice_factory(
        kind=Notice.Kind.INTERRUPTION,
        title="Pastell ralenti",
        software=[pastell],
        severity=Notice.Severity.DEGRADED,
    )
    notice_factory(
        kind=Notice.Kind.MAINTENANCE,
        title="Maintenance e.magnus",
        software=[emagnus],
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
    )
    past = notice_factory(
        kind=Notice.Kind.INTERRUPTION, title="Panne ancienne", starts_at=now - timedelta(days=5)
    )
    services.close_notice(notice=past, resolution="Réglé.", closed_by=agent)
    very_old = notice_factory(
        kind=Notice.Kind.INTERRUPTION,
        title="Panne préhistorique",
        starts_at=now - timedelta(days=200),
    )
    services.close_notice(
        notice=very_old, resolution="Réglé.", closed_by=agent, ended_at=now - timedelta(days=199)
    )
    Notice.objects.filter(pk=very_old.pk).update(resolved_at=now - timedelta(days=199))
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Brouillon de panne", publish=False)
    response = client.get(reverse("news-public:status"))
    page = html.unescape(response.content.decode())
    rows = {row["name"]: row for row in response.context["rows"]}
    assert rows["Pastell"]["code"] == "outage"
    assert rows["Pastell"]["label"] == "Service dégradé"
    assert rows["e.magnus"]["code"] == "planned"
    assert rows["Assistance et services du syndicat"]["code"] == "ok"
    assert [n.title for n in response.context["ongoing"]] == ["Pastell ralenti"]
    assert [n.title for n in response.context["coming"]] == ["Maintenance e.magnus"]
    assert [n.title for n in response.context["history"]] == ["Panne ancienne"]
    assert "Brouillon de panne" not in page
    assert "Panne préhistorique" not in page
    assert response["Cache-Control"] == "private, max-age=60"
    assert reverse("news-public:kind-rss", args=["interruptions"]) in alternates(page)


def test_a_general_interruption_marks_the_desk_row(client, notice_factory):
    notice_factory(kind=Notice.Kind.INTERRUPTION, title="Téléphone coupé")
    rows = client.get(reverse("news-public:status")).context["rows"]
    assert rows[0]["code"] == "outage"


@pytest.mark.parametrize("name", ["news-public:list", "news-public:status"])
def test_public_pages_are_bounded_in_queries(client, notice_factory, pastell, emagnus, name):
    url = reverse(name)
    notice_factory(kind=Notice.Kind.INTERRUPTION, software=[pastell])
    notice_factory(kind=Notice.Kind.MAINTENANCE, software=[pastell], starts_at=timezone.now())
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for i in range(25):
        notice_factory(kind=Notice.Kind.INTERRUPTION, title=f"I{i}", software=[pastell, emagnus])
        notice_factory(kind=Notice.Kind.MAINTENANCE, title=f"M{i}", software=[emagnus])
    assert count_queries(lambda: client.get(url)) == few <= 8


def test_the_detail_page_is_bounded_in_queries(client, notice_factory, agent, pastell):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, software=[pastell])
    for i in range(10):
        services.add_notice_update(notice=notice, body=f"Point {i}", author=agent)
    url = reverse("news-public:detail", args=[notice.pk])
    assert count_queries(lambda: client.get(url)) <= 4
