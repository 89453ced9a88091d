from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "syndesk.inventory"
    label = "inventory"
    verbose_name = _("Parc informatique")
    role_permissions: dict[str, list[str]] = {}
