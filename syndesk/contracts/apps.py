from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_MODELS = [
    "needrequest",
    "quote",
    "quoteline",
    "purchaseorder",
    "subscription",
    "subscriptionline",
    "termination",
]


def _perms(*actions: str) -> list[str]:
    return [f"contracts.{action}_{model}" for model in _MODELS for action in actions]


class ContractsConfig(AppConfig):
    name = "syndesk.contracts"
    label = "contracts"
    verbose_name = _("Contrats")
    role_permissions = {
        "agent": [*_perms("view"), "contracts.add_needrequest"],
        "billing": _perms("view", "add", "change"),
        "manager": _perms("view", "add", "change", "delete"),
    }

    def ready(self) -> None:
        from syndesk.core.panels import Panel, register

        from . import panels, views

        register(
            "staff_member_detail",
            Panel(template="contracts/_member_panel.html", context=views.member_contracts_panel),
        )
        register(
            "portal_member",
            Panel(template="contracts/_portal_panel.html", context=views.portal_contract_panel),
        )
        register(
            "staff_home",
            Panel(
                "contracts/_dashboard_panel.html",
                panels.staff_dashboard,
                50,
                staff_permission="contracts.view_quote",
            ),
        )
