import pytest
from django.utils import timezone


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def make_result(db_queue):
    """A task result row as the database worker leaves it."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    def make(status="FAILED", *, task_path="syndesk.core.tasks.send_email", **fields):
        defaults = {
            "status": status,
            "task_path": task_path,
            "args_kwargs": {
                "args": [],
                "kwargs": {"subject": "Bonjour", "body": "Texte", "to": ["anne@brecey.example"]},
            },
            "backend_name": "default",
            "queue_name": "default",
            "run_after": get_date_max(),
            "exception_class_path": "smtplib.SMTPServerDisconnected" if status == "FAILED" else "",
            "traceback": (
                'Traceback (most recent call last):\n  File "x.py", line 1\n'
                "smtplib.SMTPServerDisconnected: Connection unexpectedly closed"
            )
            if status == "FAILED"
            else "",
            "finished_at": timezone.now() if status in ("FAILED", "SUCCESSFUL") else None,
        }
        defaults.update(fields)
        return DBTaskResult.objects.create(**defaults)

    return make
