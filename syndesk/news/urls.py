from django.urls import path, register_converter

from . import feeds, views


class TokenConverter:
    """Private-feed tokens: URL-safe base64 (what secrets.token_urlsafe produces)."""

    regex = r"[A-Za-z0-9_-]{1,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KindConverter:
    regex = "|".join(feeds.KIND_SLUGS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "feedtoken")
register_converter(KindConverter, "noticekind")

app_name = "news"
# Staff pages, under /gestion/actualites/ (namespace "news").
urlpatterns = [
    path("", views.NoticeListView.as_view(), name="list"),
    path("nouveau/", views.NoticeFormView.as_view(), name="create"),
    path("depuis-version/", views.NoticeFromVersionView.as_view(), name="from-version"),
    path("depuis-fermeture/", views.NoticeFromClosureView.as_view(), name="from-closure"),
    path("<int:pk>/", views.NoticeDetailView.as_view(), name="detail"),
    path("<int:pk>/modifier/", views.NoticeFormView.as_view(), name="edit"),
    path("<int:pk>/publier/", views.NoticePublishView.as_view(), name="publish"),
    path("<int:pk>/retirer/", views.NoticeUnpublishView.as_view(), name="unpublish"),
    path("<int:pk>/suivi/", views.NoticeFollowUpView.as_view(), name="follow-up"),
    path("<int:pk>/clore/", views.NoticeCloseView.as_view(), name="close"),
    path("<int:pk>/supprimer/", views.NoticeDeleteView.as_view(), name="delete"),
    path("alertes/adherent/<int:member>/", views.AlertContactAddView.as_view(), name="alert-add"),
    path("alertes/<int:pk>/supprimer/", views.AlertDeleteView.as_view(), name="alert-delete"),
]

# Mounted at the site root (namespace "news-public"): no login; published notices only.
public_urlpatterns = [
    path("actualites/", views.public_list, name="list"),
    path("actualites/<int:pk>/", views.public_detail, name="detail"),
    path("etat-du-service/", views.status_page, name="status"),
    path("flux/actualites.rss", feeds.feed_view(feeds.all_scope), name="feed-rss"),
    path("flux/actualites.atom", feeds.feed_view(feeds.all_scope, atom=True), name="feed-atom"),
    path("flux/<noticekind:kind>.rss", feeds.feed_view(feeds.kind_scope), name="kind-rss"),
    path(
        "flux/<noticekind:kind>.atom",
        feeds.feed_view(feeds.kind_scope, atom=True),
        name="kind-atom",
    ),
    path("flux/logiciels/<int:pk>.rss", feeds.feed_view(feeds.software_scope), name="software-rss"),
    path(
        "flux/logiciels/<int:pk>.atom",
        feeds.feed_view(feeds.software_scope, atom=True),
        name="software-atom",
    ),
    path(
        "flux/prive/<feedtoken:token>.rss",
        feeds.feed_view(feeds.member_scope),
        name="private-rss",
    ),
    path(
        "flux/prive/<feedtoken:token>.atom",
        feeds.feed_view(feeds.member_scope, atom=True),
        name="private-atom",
    ),
    path("flux/maintenance.ics", views.ical_feed, name="ical"),
    path(
        "alertes/desabonnement/<str:token>/",
        views.UnsubscribeView.as_view(),
        name="unsubscribe",
    ),
]

# Mounted at /portail/flux/ (namespace "news-portal"): the member's private feed and alerts.
portal_urlpatterns = [
    path("", views.PortalFeedView.as_view(), name="index"),
    path("adresse/", views.PortalTokenView.as_view(), name="token"),
    path("alertes/", views.PortalAlertView.as_view(), name="alerts"),
]
