from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskRetry(models.Model):
    """One retry of a failed background task: the failed result, the new one queued in its
    place, which attempt the new one is, and who asked (nobody for an automatic retry).
    Task results themselves belong to django-tasks-db; this row is the chain between them,
    so that the page of tasks can say "attempt 2 of 3" and a result is retried only once."""

    failed_id = models.UUIDField(_("tâche en échec"), unique=True)
    retry_id = models.UUIDField(_("nouvelle tentative"), db_index=True)
    attempt = models.PositiveSmallIntegerField(_("tentative"))
    automatic = models.BooleanField(_("automatique"), default=False)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relancée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retried_at = models.DateTimeField(_("relancée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("relance de tâche")
        verbose_name_plural = _("relances de tâches")
        ordering = ["-retried_at"]
        permissions = [("manage_tasks", _("Suivre et relancer les tâches de fond"))]

    def __str__(self) -> str:
        return f"{self.failed_id} → {self.retry_id} ({self.attempt})"
