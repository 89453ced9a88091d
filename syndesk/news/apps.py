from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = ["news.view_notice", "news.view_noticeupdate", "news.view_alertsubscription"]
_WRITE = [
    "news.add_notice",
    "news.change_notice",
    "news.publish_notice",
    "news.add_noticeupdate",
    "news.add_alertsubscription",
    "news.delete_alertsubscription",
]


class NewsConfig(AppConfig):
    name = "syndesk.news"
    label = "news"
    verbose_name = _("Actualités et état du service")
    # Agents write and publish notices; billing reads them; managers also delete drafts.
    role_permissions: dict[str, list[str]] = {
        "agent": [*_READ, *_WRITE],
        "billing": [*_READ],
        "manager": [*_READ, *_WRITE, "news.delete_notice"],
    }

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from syndesk.core.models import ClosureDay
        from syndesk.core.panels import Panel, register

        from . import panels, signals

        # Cache invalidation only (a side concern): closure days appear in the iCalendar.
        post_save.connect(signals.closures_changed, sender=ClosureDay, dispatch_uid="news-cd-s")
        post_delete.connect(signals.closures_changed, sender=ClosureDay, dispatch_uid="news-cd-d")
        register("portal_member", Panel("news/panels/portal_feed.html", panels.portal_feed, 60))
        register(
            "staff_member_detail", Panel("news/panels/staff_alerts.html", panels.staff_alerts, 60)
        )
