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
