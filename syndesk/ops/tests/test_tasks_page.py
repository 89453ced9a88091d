from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.tasks.signals import task_finished
from django.urls import reverse
from django.utils import timezone

from syndesk.core.models import AuditEntry
from syndesk.core.testing import assert_isolated, count_queries
from syndesk.ops import taskqueue
from syndesk.ops.models import TaskRetry

pytestmark = pytest.mark.django_db
URL = "/gestion/taches/"


def test_the_manager_sees_failed_tasks_with_their_error(client, manager, make_result):
    make_result()
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "send_email" in page
    assert "smtplib.SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert "Relancer" in page


def test_other_states_have_their_tab(client, manager, make_result):
    make_result("READY")
    client.force_login(manager)
    assert "Aucune tâche dans cet état" in client.get(URL).content.decode()
    assert "send_email" in client.get(URL + "?etat=READY").content.decode()
    assert client.get(URL + "?etat=<script>").status_code == 200


@pytest.mark.parametrize("persona", ["agent", "billing", "alice"])
def test_only_managers_open_the_page(client, persona, request, make_result):
    user = request.getfixturevalue(persona)
    failed = make_result()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(reverse("ops:task-retry", args=[failed.pk])).status_code == 403
    assert not TaskRetry.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, make_result):
    assert client.get(URL).status_code == 302


def test_member_users_reach_nothing(client, alice, make_result):
    failed = make_result()
    assert_isolated(
        client,
        alice,
        object_urls=[URL],
        post_urls=[(reverse("ops:task-retry", args=[failed.pk]), {})],
        unchanged=lambda: list(TaskRetry.objects.values_list("pk")),
    )


def test_retry_queues_the_same_task_again(client, manager, make_result):
    from django_tasks_db.models import DBTaskResult

    failed = make_result()
    client.force_login(manager)
    response = client.post(reverse("ops:task-retry", args=[failed.pk]), follow=True)
    assert "La tâche a été relancée" in response.content.decode()
    retry = TaskRetry.objects.get()
    new = DBTaskResult.objects.get(pk=retry.retry_id)
    assert (new.status, new.task_path, new.args_kwargs) == (
        "READY",
        failed.task_path,
        failed.args_kwargs,
    )
    assert (retry.attempt, retry.retried_by, retry.automatic) == (2, manager, False)
    assert AuditEntry.objects.filter(action="ops.task.retried", actor=manager).exists()


def test_a_task_is_retried_once_and_only_when_failed(client, manager, make_result):
    failed, done = make_result(), make_result("SUCCESSFUL")
    client.force_login(manager)
    client.post(reverse("ops:task-retry", args=[failed.pk]))
    again = client.post(reverse("ops:task-retry", args=[failed.pk]), follow=True)
    assert "déjà été relancée" in again.content.decode()
    refused = client.post(reverse("ops:task-retry", args=[done.pk]), follow=True)
    assert "Seule une tâche en échec" in refused.content.decode()
    assert TaskRetry.objects.count() == 1


def test_an_unknown_task_is_a_404(client, manager, db_queue):
    client.force_login(manager)
    url = reverse("ops:task-retry", args=["6f1c1d52-7a0e-4a43-9d7a-1c7e2c1b3a10"])
    assert client.post(url).status_code == 404


def test_the_page_runs_a_bounded_number_of_queries(client, manager, make_result):
    client.force_login(manager)
    make_result()
    client.get(URL)
    few = count_queries(lambda: client.get(URL))
    for _ in range(20):
        make_result()
    assert count_queries(lambda: client.get(URL)) == few


def test_the_dashboard_shows_the_queue_to_managers_only(client, manager, agent, make_result):
    make_result()
    client.force_login(manager)
    assert "Suivre les tâches de fond" in client.get("/gestion/").content.decode()
    client.force_login(agent)
    assert "Suivre les tâches de fond" not in client.get("/gestion/").content.decode()


def _finish(result):
    task_finished.send(type(result.task.get_backend()), task_result=result.task_result)


def test_a_failed_mail_is_retried_later_up_to_the_limit(settings, make_result):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_MAX_ATTEMPTS = 3
    first = make_result()
    _finish(first)
    second = DBTaskResult.objects.get(pk=TaskRetry.objects.get(failed_id=first.pk).retry_id)
    assert second.status == "READY"
    assert second.run_after > timezone.now() + timedelta(seconds=50)
    second.status = TaskResultStatus.FAILED
    second.traceback = "x"
    second.save()
    _finish(second)
    third = DBTaskResult.objects.get(pk=TaskRetry.objects.get(failed_id=second.pk).retry_id)
    assert taskqueue.attempt_of(third.pk) == 3
    third.status = TaskResultStatus.FAILED
    third.save()
    _finish(third)
    assert TaskRetry.objects.count() == 2  # the third failure waits for a manager


def test_other_tasks_are_not_retried_automatically(make_result):
    _finish(make_result(task_path="syndesk.desk.tasks.watch_sla"))
    assert not TaskRetry.objects.exists()


def test_retry_delays_grow():
    assert [taskqueue.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 240, 960]
