"""Background work of remote maintenance (django.tasks)."""

from django.tasks import task


@task
def remote_watch() -> dict[str, int]:
    """The periodic check (same as the command ``remote_watch``)."""
    from . import services

    result = services.remote_watch()
    return {
        "expired": result.expired,
        "presence_lost": result.presence_lost,
        "abandoned": result.abandoned,
    }
