"""Scheduled work of the ordering chain (run daily; see docs/operations.md)."""

from django.tasks import task
from django.utils import timezone

from . import services


@task
def run_daily_contract_jobs() -> dict[str, int]:
    """Expire unsigned quotes past their validity and end subscriptions past their last day."""
    today = timezone.localdate()
    return {
        "quotes_expired": services.expire_quotes(today=today),
        "subscriptions_ended": services.end_subscriptions(today=today),
    }
