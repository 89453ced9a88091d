"""The head of service's journey through Debian's Chromium: the dashboard shows a failed
mail, the tasks page tells why, and one click queues it again."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from syndesk.core.testing import submit_login
from syndesk.ops.models import TaskRetry

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture
def failed_mail(settings, transactional_db):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from django_tasks_db.models import DBTaskResult, get_date_max

    return DBTaskResult.objects.create(
        status="FAILED",
        task_path="syndesk.core.tasks.send_email",
        args_kwargs={"args": [], "kwargs": {"subject": "Bonjour", "body": "x", "to": ["a@b.fr"]}},
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
        exception_class_path="smtplib.SMTPServerDisconnected",
        traceback="Traceback…\nsmtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        finished_at=timezone.now(),
    )


def test_the_manager_retries_a_failed_mail(page: Page, live_server, manager, failed_mail):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(manager.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    submit_login(page, manager.email)
    expect(page).to_have_url(f"{live_server.url}/gestion/")

    page.get_by_role("link", name="Suivre les tâches de fond").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tâches de fond")
    error = page.locator("summary").filter(has_text="Connection unexpectedly closed")
    expect(error).to_be_visible()

    page.get_by_role("button", name="Relancer").click()
    expect(page.get_by_text("La tâche a été relancée")).to_be_visible()
    expect(page.get_by_text("Déjà relancée")).to_be_visible()
    assert TaskRetry.objects.get().retried_by == manager
