"""View helpers: who may open a page. Data scoping itself lives in scoping.py."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin


class StaffPermissionMixin(PermissionRequiredMixin):
    """A back-office page: staff with the given permission; others get 403 (or login)."""

    def has_permission(self) -> bool:
        user = self.request.user
        return user.is_authenticated and user.is_staff and super().has_permission()


class MemberUserMixin(LoginRequiredMixin):
    """A portal page: any signed-in user; the data is scoped by visible_to()."""
