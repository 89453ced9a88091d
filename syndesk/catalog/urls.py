from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.SoftwareListView.as_view(), name="software-list"),
    path("logiciels/nouveau/", views.SoftwareFormView.as_view(), name="software-create"),
    path("logiciels/<int:pk>/", views.SoftwareDetailView.as_view(), name="software-detail"),
    path("logiciels/<int:pk>/modifier/", views.SoftwareFormView.as_view(), name="software-edit"),
    path(
        "logiciels/<int:pk>/versions/nouvelle/",
        views.VersionFormView.as_view(),
        name="version-create",
    ),
    path(
        "logiciels/<int:pk>/versions/<int:version>/",
        views.VersionFormView.as_view(),
        name="version-edit",
    ),
    path("offres/", views.OfferListView.as_view(), name="offer-list"),
    path("offres/nouvelle/", views.OfferFormView.as_view(), name="offer-create"),
    path("offres/<int:pk>/", views.OfferDetailView.as_view(), name="offer-detail"),
    path("offres/<int:pk>/modifier/", views.OfferFormView.as_view(), name="offer-edit"),
    path("deliberations/", views.DeliberationListView.as_view(), name="deliberation-list"),
    path(
        "deliberations/nouvelle/",
        views.DeliberationFormView.as_view(),
        name="deliberation-create",
    ),
    path(
        "deliberations/<int:pk>/",
        views.DeliberationDetailView.as_view(),
        name="deliberation-detail",
    ),
    path(
        "deliberations/<int:pk>/modifier/",
        views.DeliberationFormView.as_view(),
        name="deliberation-edit",
    ),
    path(
        "deliberations/<int:pk>/grilles/nouvelle/",
        views.TariffGridFormView.as_view(),
        name="grid-create",
    ),
    path(
        "deliberations/<int:pk>/grilles/<int:grid>/modifier/",
        views.TariffGridFormView.as_view(),
        name="grid-edit",
    ),
]

# Mounted at /tarifs/ (namespace "tariffs") by syndesk/urls.py: no login required.
public_urlpatterns = [
    path("", views.public_tariffs, name="index"),
    path(
        "deliberations/<int:pk>/document/",
        views.deliberation_document,
        name="deliberation-document",
    ),
]
