"""Public site pages; syndesk/urls.py includes this at the root (namespace "site")."""

from django.urls import path

from . import site_views

app_name = "site"
urlpatterns = [
    path("comment-commander/", site_views.how_to_order, name="how-to-order"),
    path("mentions-legales/", site_views.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", site_views.privacy, name="privacy"),
    path("accessibilite/", site_views.accessibility, name="accessibility"),
    path("comment-commander/annexe.pdf", site_views.annex_specimen, name="annex-specimen"),
]
