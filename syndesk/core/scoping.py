"""The one mechanism that scopes member data to the user who asks for it.

Every model holding member data uses a queryset derived from MemberScopedQuerySet and
names the path from itself to the member organisation in `member_path` ("" for the
member itself). Staff see everything; a member user sees the rows of the member
organisations they belong to (through memberships); anyone else sees nothing.
"""

from django.db import models
from django.http import Http404


class MemberScopedQuerySet(models.QuerySet):
    member_path: str = "member"

    def visible_to(self, user) -> "MemberScopedQuerySet":
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        prefix = f"{self.member_path}__" if self.member_path else ""
        return self.filter(**{f"{prefix}memberships__user": user})

    def for_member(self, member) -> "MemberScopedQuerySet":
        """Rows of one member organisation (the portal's active member)."""
        if self.member_path:
            return self.filter(**{self.member_path: member})
        return self.filter(pk=member.pk)


def get_visible_or_404(queryset: MemberScopedQuerySet, user, **lookup):
    """Fetch one row the user may see; anything else is indistinguishable from absent."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
