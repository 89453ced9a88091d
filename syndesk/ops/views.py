from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from syndesk.core.permissions import StaffPermissionMixin

from . import health, taskqueue

PAGE_SIZE = 50
STATUS_FILTERS = {
    "FAILED": gettext_lazy("En échec"),
    "READY": gettext_lazy("En attente"),
    "RUNNING": gettext_lazy("En cours"),
    "SUCCESSFUL": gettext_lazy("Terminées"),
}
STATUS_LABELS = {
    "FAILED": gettext_lazy("En échec"),
    "READY": gettext_lazy("En attente"),
    "RUNNING": gettext_lazy("En cours"),
    "SUCCESSFUL": gettext_lazy("Terminée"),
}


def _error_summary(traceback: str) -> str:
    """The last line of a traceback: the exception and its message."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class TaskListView(StaffPermissionMixin, View):
    """Background tasks for the head of service: failed, waiting and running ones, with
    their error and a retry button."""

    permission_required = "ops.manage_tasks"

    def get(self, request):
        status = request.GET.get("etat", "FAILED")
        if status not in STATUS_FILTERS:
            status = "FAILED"
        if not taskqueue.uses_database_queue():
            return render(request, "ops/tasks.html", {"database_queue": False})
        from django_tasks_db.models import DBTaskResult

        results = DBTaskResult.objects.filter(status=status).order_by("-enqueued_at", "-pk")
        page = Paginator(
            results.only(
                "id",
                "status",
                "task_path",
                "enqueued_at",
                "started_at",
                "finished_at",
                "run_after",
                "exception_class_path",
                "traceback",
                "queue_name",
            ),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        ids = [row.pk for row in page]
        attempts = taskqueue.attempts_of(ids)
        retried = taskqueue.retried_ids(ids)
        rows = [
            {
                "result": row,
                "name": row.task_path.rsplit(".", 1)[-1],
                "attempt": attempts.get(str(row.pk), 1),
                "retried": str(row.pk) in retried,
                "error": _error_summary(row.traceback) if row.status == "FAILED" else "",
                "status_label": STATUS_LABELS.get(row.status, row.status),
            }
            for row in page
        ]
        return render(
            request,
            "ops/tasks.html",
            {
                "database_queue": True,
                "state": taskqueue.queue_state(),
                "rows": rows,
                "page": page,
                "status": status,
                "filters": STATUS_FILTERS.items(),
                "query": f"etat={status}",
                "max_attempts": settings.TASKS_MAX_ATTEMPTS,
            },
        )


class TaskRetryView(StaffPermissionMixin, View):
    permission_required = "ops.manage_tasks"

    def post(self, request, pk):
        if not taskqueue.uses_database_queue():
            raise Http404
        from django_tasks_db.models import DBTaskResult

        if not DBTaskResult.objects.filter(pk=pk).exists():
            raise Http404
        try:
            taskqueue.retry_task(result_id=pk, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("La tâche a été relancée : elle attend un processus de fond.")
            )
        return redirect(reverse("ops:tasks") + "?etat=FAILED")


def health_view(request):
    """Health of this instance for the load balancer and monitoring: no authentication,
    no secrets, only states and counts."""
    report = health.check()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
