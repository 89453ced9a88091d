from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.views import View
from django.views.decorators.http import require_GET

from syndesk.core.calendar import current_calendar
from syndesk.core.permissions import MemberUserMixin, StaffPermissionMixin
from syndesk.members.models import Member
from syndesk.members.portal import active_member


def desk_status(now=None) -> dict:
    """Whether the desk is open now, when it next opens, and the week's hours."""
    calendar = current_calendar()
    now = timezone.localtime(now or timezone.now())
    is_open = calendar.is_open(now)
    return {
        "is_open": is_open,
        "now": now,
        "next_opening": None if is_open else calendar.next_opening(now),
        "week": [(WEEKDAYS[day], ranges) for day, ranges in calendar.weekly_schedule()],
    }


@require_GET
def home(request):
    return render(request, "web/home.html", {"desk": desk_status()})


@login_required
def after_login(request):
    """Send staff to the back office and member users to their portal."""
    return redirect("web:staff" if request.user.is_staff else "web:portal")


class PortalHomeView(MemberUserMixin, View):
    def get(self, request):
        if request.user.is_staff:
            return redirect("web:staff")
        return render(
            request,
            "web/portal_home.html",
            {"member": active_member(request), "desk": desk_status()},
        )


class StaffHomeView(StaffPermissionMixin, View):
    permission_required = "members.view_member"

    def get(self, request):
        members = Member.objects.visible_to(request.user)
        return render(
            request,
            "web/staff_home.html",
            {
                "desk": desk_status(),
                "member_count": members.filter(is_active=True).count(),
            },
        )
