"""Panels this app adds to pages of the members app (see syndesk.core.panels)."""

from .forms import AlertContactForm
from .models import AlertSubscription, FeedToken


def portal_feed(request, member) -> dict:
    """On the portal's organisation page: whether the private feed is on."""
    if request is None or member is None:
        return {}
    has_token = FeedToken.objects.visible_to(request.user).active().filter(member=member).exists()
    return {"has_token": has_token}


def staff_alerts(request, member) -> dict:
    """On a member's staff page: who receives the interruption emails."""
    if request is None or not request.user.has_perm("news.view_alertsubscription"):
        return {}
    subscriptions = list(
        AlertSubscription.objects.visible_to(request.user)
        .filter(member=member)
        .select_related("contact", "user")
    )
    can_add = request.user.has_perm("news.add_alertsubscription")
    return {
        "subscriptions": subscriptions,
        "form": AlertContactForm(member=member) if can_add else None,
        "can_delete": request.user.has_perm("news.delete_alertsubscription"),
        "show": True,
    }
