"""A member's private feed: a secret URL managed from the portal, carrying general notices
and those about the software its subscription covers — never another member's."""

import re

import feedparser
import pytest
from django.urls import reverse

from syndesk.contracts.models import Subscription
from syndesk.core.models import AuditEntry
from syndesk.core.testing import assert_isolated, count_queries
from syndesk.news import services
from syndesk.news.models import AlertSubscription, FeedToken, Notice, hash_token

pytestmark = pytest.mark.django_db


def _without_per_request_values(page: str) -> str:
    page = re.sub(r'nonce="[^"]*"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", page)


def private_url(token: str, atom: bool = False) -> str:
    return reverse("news-public:private-atom" if atom else "news-public:private-rss", args=[token])


def titles(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return {entry.title for entry in feed.entries}


@pytest.fixture
def published(subscriptions, notice_factory, emagnus, pastell):
    notice_factory(title="Général")
    notice_factory(title="Pour e.magnus", software=[emagnus])
    notice_factory(title="Pour Pastell seulement", software=[pastell])
    notice_factory(title="Pour les deux", software=[emagnus, pastell])
    notice_factory(title="Brouillon e.magnus", software=[emagnus], publish=False)


@pytest.mark.parametrize("atom", [False, True])
def test_a_member_sees_general_notices_and_its_own_software_only(
    client, published, member_a, member_b, alice, atom
):
    token_a = services.issue_feed_token(member=member_a, issued_by=alice)
    token_b = services.issue_feed_token(member=member_b, issued_by=alice)
    assert titles(client, private_url(token_a, atom)) == {
        "Général",
        "Pour e.magnus",
        "Pour les deux",
    }
    assert titles(client, private_url(token_b, atom)) == {
        "Général",
        "Pour Pastell seulement",
        "Pour les deux",
    }


def test_a_member_without_open_subscription_gets_general_notices_only(
    client, published, member_a, alice
):
    Subscription.objects.filter(member=member_a).update(status=Subscription.Status.ENDED)
    token = services.issue_feed_token(member=member_a, issued_by=alice)
    assert titles(client, private_url(token)) == {"Général"}


def test_only_a_hash_of_the_token_is_stored(member_a, alice):
    token = services.issue_feed_token(member=member_a, issued_by=alice)
    row = FeedToken.objects.get()
    assert row.token_hash == hash_token(token)
    assert token not in row.token_hash
    assert len(token) >= 40


def test_wrong_revoked_and_replaced_tokens_all_answer_the_same_404(
    client, published, member_a, alice
):
    first = services.issue_feed_token(member=member_a, issued_by=alice)
    second = services.issue_feed_token(member=member_a, issued_by=alice)  # replaces the first
    assert client.get(private_url(second)).status_code == 200
    services.revoke_feed_token(member=member_a, revoked_by=alice)
    never = FeedToken.new_token()
    responses = [client.get(private_url(t)) for t in (first, second, never, "x")]
    assert {r.status_code for r in responses} == {404}
    # Identical bodies, once the per-request CSP nonce and CSRF token are set aside.
    assert len({_without_per_request_values(r.content.decode()) for r in responses}) == 1
    assert not any(r.has_header("ETag") for r in responses)


def test_a_deactivated_member_loses_its_feed(client, published, member_a, alice):
    token = services.issue_feed_token(member=member_a, issued_by=alice)
    member_a.is_active = False
    member_a.save()
    assert client.get(private_url(token)).status_code == 404


def test_the_private_feed_is_private_and_conditional(client, published, member_a, alice, emagnus):
    token = services.issue_feed_token(member=member_a, issued_by=alice)
    url = private_url(token)
    first = client.get(url)
    assert first["Cache-Control"] == "private, max-age=60"
    assert first["X-Robots-Tag"] == "noindex"
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    # Covering a new software changes the feed even though nothing was published.
    subscription = Subscription.objects.get(member=member_a)
    subscription.software.clear()
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_private_feed_queries_are_bounded(client, subscriptions, notice_factory, member_a, alice):
    from django.core.cache import cache

    from syndesk.news.feeds import FEED_LIMIT

    token = services.issue_feed_token(member=member_a, issued_by=alice)
    url = private_url(token)
    notice_factory(title="Un")
    cache.clear()
    few = count_queries(lambda: client.get(url))
    for i in range(FEED_LIMIT + 5):
        notice_factory(title=f"Avis {i}", software=list(subscriptions[0].software.all()))
    cache.clear()
    assert count_queries(lambda: client.get(url)) == few <= 5
    etag = client.get(url)["ETag"]
    assert count_queries(lambda: client.get(url, headers={"If-None-Match": etag})) == 2


# Portal ----------------------------------------------------------------------------------


def test_a_member_user_creates_the_feed_and_sees_its_url_once(client, published, alice, member_a):
    client.force_login(alice)
    response = client.post(reverse("news-portal:token"), {"action": "issue"}, follow=True)
    page = response.content.decode()
    start = page.index("http://testserver/flux/prive/")
    url = page[start : page.index("</span>", start)]
    assert url.endswith(".rss")
    assert "Pour e.magnus" in titles(client, url.removeprefix("http://testserver"))
    again = client.get(reverse("news-portal:index")).content.decode()
    assert "/flux/prive/" not in again
    assert "Un flux privé est actif depuis le" in again
    assert AuditEntry.objects.filter(action="news.feed_token.issued", actor=alice).exists()


def test_regenerating_revokes_the_old_address(client, published, alice, member_a):
    old = services.issue_feed_token(member=member_a, issued_by=alice)
    client.force_login(alice)
    client.post(reverse("news-portal:token"), {"action": "issue"})
    assert client.get(private_url(old)).status_code == 404
    assert FeedToken.objects.active().filter(member=member_a).count() == 1


def test_revoking_from_the_portal(client, published, alice, member_a):
    token = services.issue_feed_token(member=member_a, issued_by=alice)
    client.force_login(alice)
    client.post(reverse("news-portal:token"), {"action": "revoke"})
    assert client.get(private_url(token)).status_code == 404
    assert not FeedToken.objects.active().exists()


def test_a_member_user_only_manages_their_own_members_feed(client, published, alice, member_b):
    token_b = services.issue_feed_token(member=member_b, issued_by=None)
    assert_isolated(
        client,
        alice,
        list_urls=[reverse("news-portal:index"), reverse("member-portal:home")],
        hidden_text="Avranches",
        object_urls=[reverse("news:list"), reverse("news:create")],
    )
    client.post(reverse("news-portal:token"), {"action": "revoke"})
    client.post(reverse("news-portal:token"), {"action": "issue"})
    assert client.get(private_url(token_b)).status_code == 200  # charlie's feed untouched
    assert FeedToken.objects.active().filter(member=member_b).count() == 1


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("news-portal:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(reverse("news-portal:token"), {"action": "issue"}).status_code == 302
    assert not FeedToken.objects.exists()


def test_a_portal_user_subscribes_to_alerts_and_back(client, alice, member_a):
    client.force_login(alice)
    client.post(reverse("news-portal:alerts"), {"action": "subscribe"})
    client.post(reverse("news-portal:alerts"), {"action": "subscribe"})  # idempotent
    assert AlertSubscription.objects.get().user == alice
    assert "Vous êtes abonné." in client.get(reverse("news-portal:index")).content.decode()
    client.post(reverse("news-portal:alerts"), {"action": "unsubscribe"})
    assert not AlertSubscription.objects.exists()


def test_the_organisation_page_links_to_the_private_feed(client, alice):
    client.force_login(alice)
    body = client.get(reverse("member-portal:home")).content.decode()
    assert reverse("news-portal:index") in body


def test_the_unsubscribe_link_works_without_signing_in(client, member_a, alice):
    subscription = services.subscribe_alerts(member=member_a, user=alice, subscribed_by=alice)
    url = reverse("news-public:unsubscribe", args=[services.unsubscribe_token(subscription)])
    assert "Me désabonner" in client.get(url).content.decode()
    assert client.post(url).status_code == 200
    assert not AlertSubscription.objects.exists()
    assert client.get(url).status_code == 404
    assert client.get(reverse("news-public:unsubscribe", args=["forged:token"])).status_code == 404


def test_notice_kinds_have_french_labels():
    assert Notice.Kind.INTERRUPTION.label == "Interruption de service"
