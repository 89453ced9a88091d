from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "syndesk.ops"
    label = "ops"
    verbose_name = _("Exploitation")
    # Only the head of service follows the background tasks and retries them.
    role_permissions: dict[str, list[str]] = {"manager": ["ops.manage_tasks"]}

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from syndesk.core.panels import Panel, register

        from .panels import tasks_panel
        from .taskqueue import retry_after_failure

        task_finished.connect(retry_after_failure, dispatch_uid="ops.retry_after_failure")
        register(
            "staff_home",
            Panel("ops/_tasks_panel.html", tasks_panel, 90, staff_permission="ops.manage_tasks"),
        )
