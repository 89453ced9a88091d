from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_MODELS = ["installation", "workstation", "declaration"]


def _perms(*actions: str) -> list[str]:
    return [f"inventory.{action}_{model}" for model in _MODELS for action in actions]


class InventoryConfig(AppConfig):
    name = "syndesk.inventory"
    label = "inventory"
    verbose_name = _("Parc informatique")
    # Agents keep the inventory, review declarations and read licence keys to the editors'
    # support; billing reads the inventory (no keys); managers do everything.
    role_permissions: dict[str, list[str]] = {
        "agent": [*_perms("view", "add", "change"), "inventory.reveal_licence"],
        "billing": _perms("view"),
        "manager": [*_perms("view", "add", "change", "delete"), "inventory.reveal_licence"],
    }

    def ready(self) -> None:
        from .panels import register_panels

        register_panels()
