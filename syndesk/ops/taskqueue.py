"""Background tasks seen from operations: the queue's state (for the health endpoint and the
managers' page) and retries of failed tasks, by hand or automatically.

Results live in django-tasks-db's table (the default backend). With the Redis backend
(django-tasks-rq) the queue is RQ's: this module then reports nothing and the tasks page
says where to look (see docs/deploy.md)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django.utils.translation import gettext as _

from syndesk.core.audit import log_action

from .models import TaskRetry

logger = logging.getLogger(__name__)


def uses_database_queue(alias: str = "default") -> bool:
    from django_tasks_db.backend import DatabaseBackend

    try:
        return isinstance(task_backends[alias], DatabaseBackend)
    except Exception:  # a misconfigured backend: the health check reports it
        return False


@dataclass(frozen=True)
class QueueState:
    ready: int
    running: int
    failed: int
    oldest_ready: datetime | None

    def oldest_ready_age(self, now: datetime | None = None) -> float | None:
        if self.oldest_ready is None:
            return None
        return max(0.0, ((now or timezone.now()) - self.oldest_ready).total_seconds())


def queue_state() -> QueueState | None:
    """Counts of waiting, running and failed tasks and the oldest waiting task's enqueue
    time (due tasks only: deferred retries are not backlog); None off the database queue."""
    if not uses_database_queue():
        return None
    from django.db.models import Count, Min, Q
    from django_tasks_db.models import DBTaskResult

    due = DBTaskResult.objects.ready()
    row = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=Q(status=TaskResultStatus.READY)),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("id", filter=Q(status=TaskResultStatus.FAILED)),
    )
    oldest = due.aggregate(oldest=Min("enqueued_at"))["oldest"]
    return QueueState(row["ready"], row["running"], row["failed"], oldest)


def attempt_of(result_id) -> int:
    """Which attempt a task result is (1 for a first run)."""
    attempt = TaskRetry.objects.filter(retry_id=result_id).values_list("attempt", flat=True).first()
    return attempt or 1


def attempts_of(result_ids) -> dict[str, int]:
    rows = TaskRetry.objects.filter(retry_id__in=list(result_ids)).values_list(
        "retry_id", "attempt"
    )
    return {str(retry_id): attempt for retry_id, attempt in rows}


def retried_ids(result_ids) -> set[str]:
    rows = TaskRetry.objects.filter(failed_id__in=list(result_ids)).values_list(
        "failed_id", flat=True
    )
    return {str(pk) for pk in rows}


def retry_task(*, result_id, by=None, automatic: bool = False, delay: timedelta | None = None):
    """Queue a failed task again with the same arguments; returns the new result's id.
    A failed result is retried once (the new attempt may be retried in turn)."""
    from django_tasks_db.models import DBTaskResult

    try:
        with transaction.atomic():
            result = DBTaskResult.objects.select_for_update().get(pk=result_id)
            if result.status != TaskResultStatus.FAILED:
                raise ValidationError(_("Seule une tâche en échec peut être relancée."))
            try:
                task = result.task
            except ImportError as exc:
                gone = _(
                    "Cette tâche n'existe plus dans l'application : impossible de la relancer."
                )
                raise ValidationError(gone) from exc
            if delay:
                task = task.using(run_after=timezone.now() + delay)
            attempt = attempt_of(result.pk) + 1
            new = task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
            TaskRetry.objects.create(
                failed_id=result.pk,
                retry_id=new.id,
                attempt=attempt,
                automatic=automatic,
                retried_by=by if getattr(by, "is_authenticated", False) else None,
            )
            log_action(
                "ops.task.retried",
                actor=by,
                data={
                    "task": result.task_path,
                    "failed": str(result.pk),
                    "retry": str(new.id),
                    "attempt": attempt,
                    "automatic": automatic,
                },
            )
    except IntegrityError as exc:
        raise ValidationError(_("Cette tâche a déjà été relancée.")) from exc
    return new.id


def is_retryable(task_path: str) -> bool:
    return task_path in settings.TASKS_RETRY_TASKS


def retry_delay(attempt: int) -> timedelta:
    """Back-off before the next attempt: base delay × 4^(attempt - 1) (1 min, 4 min, 16 min…)."""
    return timedelta(seconds=settings.TASKS_RETRY_DELAY * 4 ** max(0, attempt - 1))


def retry_after_failure(sender, task_result, **kwargs) -> None:
    """task_finished receiver: a failed mail or PDF task is queued again after a back-off,
    up to TASKS_MAX_ATTEMPTS attempts in all; after that it stays failed on the tasks page."""
    if task_result.status != TaskResultStatus.FAILED or not uses_database_queue(
        task_result.backend
    ):
        return
    if not is_retryable(task_result.task.module_path):
        return
    attempt = attempt_of(task_result.id)
    if attempt >= settings.TASKS_MAX_ATTEMPTS:
        return
    try:
        retry_task(result_id=task_result.id, automatic=True, delay=retry_delay(attempt))
    except ValidationError:  # retried meanwhile by hand
        pass
    except Exception:  # never let the retry policy kill the worker
        logger.exception("could not schedule a retry of task %s", task_result.id)
