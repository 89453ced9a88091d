from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_WORK = ["ticket", "ticketmessage", "ticketattachment", "timeentry", "slapause", "call"]
_REFERENCE = ["exclusion", "slatarget"]
_ALL = [*_WORK, *_REFERENCE, "inboundemail", "slaalert"]


def _perms(models: list[str], *actions: str) -> list[str]:
    return [f"desk.{action}_{model}" for model in models for action in actions]


class DeskConfig(AppConfig):
    name = "syndesk.desk"
    label = "desk"
    verbose_name = _("Assistance")
    # Agents work tickets and calls and triage inbound mail; billing reads (reports,
    # time spent); managers do everything, including the exclusions and the SLA targets.
    # Tickets and their messages are never deleted (history): nobody gets delete on them.
    role_permissions = {
        "agent": [
            *_perms(_WORK, "view", "add", "change"),
            *_perms(_REFERENCE, "view"),
            *_perms(["inboundemail"], "view", "change"),
            "desk.view_slaalert",
        ],
        "billing": [*_perms(_ALL, "view"), "desk.view_desk_reports"],
        "manager": [
            *_perms(_ALL, "view", "add", "change"),
            *_perms([*_REFERENCE, "inboundemail", "timeentry"], "delete"),
            "desk.view_desk_reports",
        ],
    }

    def ready(self) -> None:
        from syndesk.core.panels import Panel, register

        from . import views
        from .panels import register_panels

        register_panels()  # the member portal's panels (portal_views' side)
        register(
            "staff_member_detail",
            Panel(
                template="desk/staff/_member_panel.html",
                context=views.member_desk_panel,
                order=110,
            ),
        )
