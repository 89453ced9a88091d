from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_WORK = ["remotesession", "consentrecord", "presencespan", "presencehandover", "sessionevent"]


def _perms(models: list[str], *actions: str) -> list[str]:
    return [f"remote.{action}_{model}" for model in models for action in actions]


class RemoteConfig(AppConfig):
    name = "syndesk.remote"
    label = "remote"
    verbose_name = _("Télémaintenance")
    # Agents request sessions and ask for their closing (change_remotesession); billing and
    # managers read the trail and the reports; managers configure the tools. Nobody deletes
    # a session or its trail: it is the proof of the annex's rules.
    role_permissions: dict[str, list[str]] = {
        "agent": [
            *_perms(_WORK, "view"),
            "remote.add_remotesession",
            "remote.change_remotesession",
            "remote.view_remotetool",
        ],
        "billing": [*_perms([*_WORK, "remotetool"], "view")],
        "manager": [
            *_perms([*_WORK, "remotetool"], "view"),
            "remote.add_remotesession",
            "remote.change_remotesession",
            "remote.add_remotetool",
            "remote.change_remotetool",
        ],
    }

    def ready(self) -> None:
        from .panels import register_panels

        register_panels()
