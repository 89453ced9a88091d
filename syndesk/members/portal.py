"""The portal's active member: a member user may belong to several organisations and
works for one at a time; the choice lives in the session and is re-checked each request."""

from .models import Member

SESSION_KEY = "syndesk.active_member"


def member_choices(user):
    """The organisations a user may act for in the portal (memberships only, even for staff)."""
    if not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.filter(memberships__user=user, is_active=True)


def active_member(request) -> Member | None:
    if not hasattr(request, "_syndesk_member"):
        choices = member_choices(request.user)
        chosen = request.session.get(SESSION_KEY)
        member = choices.filter(pk=chosen).first() if chosen else None
        request._syndesk_member = member or choices.first()
    return request._syndesk_member


def switch_member(request, member_id: int) -> Member | None:
    member = member_choices(request.user).filter(pk=member_id).first()
    if member is not None:
        request.session[SESSION_KEY] = member.pk
        request._syndesk_member = member
    return member
