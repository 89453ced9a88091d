"""The project's URLs plus the site pages, until syndesk/urls.py includes them itself."""

from django.urls import include, path

from syndesk.urls import urlpatterns as project_urlpatterns


def _has_site_namespace(patterns) -> bool:
    return any(getattr(p, "namespace", None) == "site" for p in patterns)


urlpatterns = list(project_urlpatterns)
if not _has_site_namespace(urlpatterns):
    urlpatterns.insert(0, path("", include("syndesk.web.site_urls")))
