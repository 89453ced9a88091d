import pytest
from django.core import mail
from django.core.management import call_command

from syndesk.members.services import invite_member_user

pytestmark = pytest.mark.django_db


# The worker closes its database connection when it stops, as a real process does: the test
# needs real commits (transaction=True) rather than a wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_mail_waits_in_the_database_queue_until_a_worker_runs(
    settings, billing, member_a, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        invite_member_user(member=member_a, email="anne@brecey.example", invited_by=billing)
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anne@brecey.example"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_rolled_back_operation_sends_no_mail(
    billing, member_a, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                invite_member_user(member=member_a, email="anne@brecey.example", invited_by=billing)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []
