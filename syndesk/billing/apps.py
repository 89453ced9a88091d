from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_MODELS = ["invoice", "invoiceline", "payment", "reminder"]


def _perms(*actions: str) -> list[str]:
    return [f"billing.{action}_{model}" for model in _MODELS for action in actions]


class BillingConfig(AppConfig):
    name = "syndesk.billing"
    label = "billing"
    verbose_name = _("Facturation")
    # Issued invoices are never deleted (nobody has delete_invoice); a correction is a credit
    # note. Payments come from the accountant and are not deleted either.
    role_permissions = {
        "agent": ["billing.view_invoice", "billing.view_invoiceline"],
        "billing": [*_perms("view", "add", "change"), "billing.issue_invoice"],
        "manager": [*_perms("view", "add", "change"), "billing.issue_invoice"],
    }

    def ready(self) -> None:
        from syndesk.core.panels import Panel, register

        from . import panels, portal_views, views

        register(
            "staff_member_detail",
            Panel(template="billing/_member_panel.html", context=views.member_invoices_panel),
        )
        register(
            "portal_member",
            Panel(
                template="billing/portal/_panel.html", context=portal_views.portal_invoices_panel
            ),
        )
        register(
            "staff_home",
            Panel(
                "billing/_dashboard_panel.html",
                panels.staff_dashboard,
                60,
                staff_permission="billing.view_invoice",
            ),
        )
