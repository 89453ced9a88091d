from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemoteConfig(AppConfig):
    name = "syndesk.remote"
    label = "remote"
    verbose_name = _("Télémaintenance")
    role_permissions: dict[str, list[str]] = {}
