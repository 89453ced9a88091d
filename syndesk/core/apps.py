from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "syndesk.core"
    label = "core"
    verbose_name = _("Socle")
    # Each app lists what its staff roles may do; core.roles merges them after migrate.
    role_permissions = {
        "agent": ["core.view_closureday"],
        "billing": ["core.view_closureday"],
        "manager": [
            "core.view_closureday",
            "core.add_closureday",
            "core.change_closureday",
            "core.delete_closureday",
            "core.manage_staff",
            "core.view_auditentry",
        ],
    }

    def ready(self) -> None:
        from . import roles

        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="syndesk-sync-roles")
