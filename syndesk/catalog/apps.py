from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_MODELS = [
    "software",
    "softwareversion",
    "prerequisite",
    "offer",
    "deliberation",
    "tariffgrid",
    "tariffbracket",
]


def _perms(*actions: str) -> list[str]:
    return [f"catalog.{action}_{model}" for model in _MODELS for action in actions]


class CatalogConfig(AppConfig):
    name = "syndesk.catalog"
    label = "catalog"
    verbose_name = _("Catalogue et tarifs")
    role_permissions = {
        "agent": [
            *_perms("view"),
            "catalog.add_softwareversion",
            "catalog.change_softwareversion",
            "catalog.add_prerequisite",
            "catalog.change_prerequisite",
        ],
        # Billing keeps the catalogue; removing a wrong prerequisite line is part of that.
        "billing": [*_perms("view", "add", "change"), "catalog.delete_prerequisite"],
        "manager": _perms("view", "add", "change", "delete"),
    }
