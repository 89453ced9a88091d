"""RSS 2.0 and Atom feeds of published notices, built with django.contrib.syndication.

Hundreds of town halls poll these feeds, so each request first resolves its scope (which
notices, and for a private feed which member) and the publication clock: two cheap
queries at most. A matching If-None-Match / If-Modified-Since answers 304 from that alone;
otherwise the rendered body is taken from the cache, keyed by the scope and the clock, and
only rebuilt after something was published.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from syndesk.catalog.models import Software
from syndesk.core.markdown import render_markdown

from .models import FeedToken, Notice, NoticeQuerySet, PublicationClock

FEED_LIMIT = 50
CACHE_SECONDS = 24 * 3600  # keys change with the clock: expiry only reclaims memory
KIND_SLUGS = {
    "nouveautes": Notice.Kind.NEWS,
    "interruptions": Notice.Kind.INTERRUPTION,
    "maintenances": Notice.Kind.MAINTENANCE,
    "informations": Notice.Kind.INFO,
}
SLUG_OF_KIND = {kind: slug for slug, kind in KIND_SLUGS.items()}


@dataclass
class Resource:
    """What a conditional, cached response is about: its validators come from `stamp`
    (the publication clock) and `fingerprint` (anything else its content depends on)."""

    stamp: datetime
    fingerprint: str
    private: bool = False

    @property
    def digest(self) -> str:
        raw = f"{self.fingerprint}|{get_language()}|{self.stamp.isoformat()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass
class FeedDetails:
    title: str
    description: str
    link: str
    queryset: NoticeQuerySet


@dataclass
class FeedScope(Resource):
    """A feed's resource plus how to describe it. The description (titles, links, the
    notices' queryset) is built only when the feed is rendered: a 304 does without."""

    path: str = ""
    describe: Callable[[], FeedDetails] = field(default=lambda: None)

    @cached_property
    def details(self) -> FeedDetails:
        return self.describe()


def _absolute(path: str, query: dict | None = None) -> str:
    return settings.SITE_URL + path + (f"?{urlencode(query)}" if query else "")


def _list_link(**query) -> str:
    return _absolute(reverse("news-public:list"), {k: v for k, v in query.items() if v})


def _name() -> str:
    return settings.SYNDICATE["name"]


# Scopes ---------------------------------------------------------------------------------


def all_scope(request) -> FeedScope:
    return FeedScope(
        stamp=PublicationClock.now(),
        fingerprint="all",
        path=request.path,
        describe=lambda: FeedDetails(
            title=_("%(name)s — actualités et état du service") % {"name": _name()},
            description=_(
                "Nouveautés des logiciels, interruptions de service, maintenances programmées "
                "et informations de l'assistance."
            ),
            link=_list_link(),
            queryset=Notice.objects.published(),
        ),
    )


def kind_scope(request, kind: str) -> FeedScope:
    if kind not in KIND_SLUGS:
        raise Http404
    value = KIND_SLUGS[kind]

    def describe() -> FeedDetails:
        label = Notice.Kind(value).label
        return FeedDetails(
            title=f"{_name()} — {label}",
            description=_("Les avis « %(kind)s » publiés par l'assistance.") % {"kind": label},
            link=_list_link(type=kind),
            queryset=Notice.objects.published().filter(kind=value),
        )

    return FeedScope(
        stamp=PublicationClock.now(),
        fingerprint=f"kind:{value}",
        path=request.path,
        describe=describe,
    )


def software_scope(request, pk: int) -> FeedScope:
    row = Software.objects.filter(pk=pk).values_list("pk", "name").first()
    if row is None:
        raise Http404
    software_id, name = row
    return FeedScope(
        stamp=PublicationClock.now(),
        fingerprint=f"software:{software_id}:{name}",
        path=request.path,
        describe=lambda: FeedDetails(
            title=f"{_name()} — {name}",
            description=_("Nouveautés, interruptions et maintenances concernant %(software)s.")
            % {"software": name},
            link=_list_link(logiciel=software_id),
            queryset=Notice.objects.published().filter(software=software_id),
        ),
    )


def member_scope(request, token: str) -> FeedScope:
    """A member's private feed. A wrong, revoked or never-issued token, or a member no
    longer active, all raise the same 404."""
    owner = FeedToken.objects.resolve(token)
    if owner is None:
        raise Http404
    return FeedScope(
        stamp=PublicationClock.now(),
        fingerprint=f"member:{owner.member_id}:{owner.member_name}:{owner.software_ids}",
        private=True,
        path=request.path,
        describe=lambda: FeedDetails(
            title=_("%(name)s — avis pour %(member)s")
            % {"name": _name(), "member": owner.member_name},
            description=_(
                "Les avis généraux et ceux qui concernent les logiciels couverts par "
                "l'abonnement de %(member)s."
            )
            % {"member": owner.member_name},
            link=_list_link(),
            queryset=Notice.objects.published().for_software_ids(owner.software_ids),
        ),
    )


def _date_words() -> dict:
    """Day and month names in the active language, looked up once per feed: Django's
    dateformat resolves its lazy translations again for every date it formats."""
    return {
        "weekdays": [str(WEEKDAYS[day]) for day in range(7)],
        "months": [""] + [str(MONTHS[month]) for month in range(1, 13)],
    }


def _when(value: datetime, words: dict, *, weekday: bool = True) -> str:
    """ "vendredi 27 novembre 2026 à 16:45" (Paris time), as the pages' "l j F Y à H:i"."""
    local = timezone.localtime(value)
    day = f"{words['weekdays'][local.weekday()]} " if weekday else ""
    return f"{day}{local.day} {words['months'][local.month]} {local.year} à {local:%H:%M}"


def window_text(notice: Notice, words: dict) -> str:
    """ "Du … au …" or "Depuis le …", with the same words as the pages."""
    if notice.ends_at:
        return _("Du %(start)s au %(end)s") % {
            "start": _when(notice.starts_at, words),
            "end": _when(notice.ends_at, words),
        }
    return _("Depuis le %(start)s") % {"start": _when(notice.starts_at, words)}


# The feed itself -------------------------------------------------------------------------


class NoticeRssFeed(Feed):
    feed_type = Rss201rev2Feed
    description_template = None

    def get_object(self, request, scope: FeedScope):
        return scope

    def title(self, scope: FeedScope) -> str:
        return scope.details.title

    def description(self, scope: FeedScope) -> str:
        return scope.details.description

    def subtitle(self, scope: FeedScope) -> str:
        return scope.details.description

    def link(self, scope: FeedScope) -> str:
        return scope.details.link

    def feed_url(self, scope: FeedScope) -> str:
        return _absolute(scope.path)

    def feed_guid(self, scope: FeedScope) -> str:
        return _absolute(scope.path)

    def ttl(self, scope: FeedScope) -> int:
        return 15

    def items(self, scope: FeedScope) -> list[Notice]:
        notices = list(
            scope.details.queryset.newest_first().prefetch_related(
                Prefetch("software", queryset=Software.objects.only("pk", "name")), "updates"
            )[:FEED_LIMIT]
        )
        # Labels are translated once per feed, not once per item (gettext adds up).
        labels = {
            "kinds": {kind: str(label) for kind, label in Notice.Kind.choices},
            "severities": {value: str(label) for value, label in Notice.Severity.choices},
            "dates": _date_words(),
            "software": _("Logiciels concernés :"),
            "resolution": _("Résolution"),
            "update": _("Mise à jour"),
            "prefix": {
                (Notice.Kind.INTERRUPTION, False): _("Interruption"),
                (Notice.Kind.INTERRUPTION, True): _("Rétabli"),
                (Notice.Kind.MAINTENANCE, False): _("Maintenance"),
                (Notice.Kind.MAINTENANCE, True): _("Terminée"),
            },
        }
        for notice in notices:
            notice.feed_labels = labels
            notice.feed_software = [s.name for s in notice.software.all()]
        return notices

    def item_title(self, notice: Notice) -> str:
        prefix = notice.feed_labels["prefix"].get((notice.kind, notice.resolved_at is not None))
        return f"[{prefix}] {notice.title}" if prefix else notice.title

    def item_description(self, notice: Notice) -> str:
        # Built in Python rather than with a template: with fifty items per feed, template
        # rendering was the largest cost of a rebuilt feed.
        labels, parts = notice.feed_labels, []
        if notice.has_window and notice.starts_at:
            severity = labels["severities"].get(notice.severity)
            parts.append(
                format_html(
                    "<p><strong>{}</strong>{}</p>",
                    window_text(notice, labels["dates"]),
                    f" — {severity}" if severity else "",
                )
            )
        if notice.feed_software:
            parts.append(
                format_html("<p>{} {}</p>", labels["software"], ", ".join(notice.feed_software))
            )
        for update in notice.updates.all():
            parts.append(
                format_html(
                    "<div><p><strong>{} — {}</strong></p>{}</div>",
                    labels["resolution"] if update.is_resolution else labels["update"],
                    _when(update.created_at, labels["dates"], weekday=False),
                    render_markdown(update.body, base_url=settings.SITE_URL),
                )
            )
        parts.append(render_markdown(notice.body, base_url=settings.SITE_URL))
        return "\n".join(parts)

    def item_link(self, notice: Notice) -> str:
        return notice.absolute_url

    def item_guid(self, notice: Notice) -> str:
        return notice.guid

    def item_guid_is_permalink(self, notice: Notice) -> bool:
        return False

    def item_pubdate(self, notice: Notice) -> datetime:
        return notice.published_at

    def item_updateddate(self, notice: Notice) -> datetime:
        return notice.updated_at or notice.published_at

    def item_categories(self, notice: Notice) -> list[str]:
        return [notice.feed_labels["kinds"][notice.kind], *notice.feed_software]

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # syndication derives Last-Modified from the newest item; ours is the publication
        # clock (it also moves when a notice is withdrawn), set by the condition decorator.
        del response.headers["Last-Modified"]
        return response


class NoticeAtomFeed(NoticeRssFeed):
    feed_type = Atom1Feed


RSS = NoticeRssFeed()
ATOM = NoticeAtomFeed()


# Conditional, cached responses ----------------------------------------------------------


def conditional(
    resolve: Callable[..., Resource],
    render: Callable[..., tuple[bytes, str]],
    *,
    max_age: int = 60,
):
    """A GET view answering 304 from `resolve` alone, else serving `render`'s output
    (body, content type) from the cache under the resource's digest."""

    def _resource(request, **kwargs) -> Resource:
        if not hasattr(request, "_news_resource"):
            request._news_resource = resolve(request, **kwargs)
        return request._news_resource

    def etag(request, **kwargs) -> str:
        return f'"{_resource(request, **kwargs).digest}"'

    def last_modified(request, **kwargs) -> datetime:
        return _resource(request, **kwargs).stamp

    @require_safe  # GET and HEAD: some readers probe with HEAD
    @condition(etag_func=etag, last_modified_func=last_modified)
    def view(request, **kwargs):
        resource = _resource(request, **kwargs)
        key = f"news:{resource.digest}:{hashlib.sha256(request.path.encode()).hexdigest()[:16]}"
        cached = cache.get(key)
        if cached is None:
            cached = render(request, resource)
            cache.set(key, cached, CACHE_SECONDS)
        body, content_type = cached
        response = HttpResponse(body, content_type=content_type)
        visibility = "private" if resource.private else "public"
        response["Cache-Control"] = f"{visibility}, max-age={max_age}"
        if resource.private:
            response["X-Robots-Tag"] = "noindex"
        return response

    return view


def _feed_renderer(feed: Feed):
    def render(request, scope: FeedScope) -> tuple[bytes, str]:
        response = feed(request, scope=scope)
        return response.content, response["Content-Type"]

    return render


def feed_view(resolve: Callable[..., FeedScope], *, atom: bool = False):
    return conditional(resolve, _feed_renderer(ATOM if atom else RSS))
