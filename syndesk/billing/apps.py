from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "syndesk.billing"
    label = "billing"
    verbose_name = _("Facturation")
    role_permissions: dict[str, list[str]] = {}
