from .portal import active_member, member_choices


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    return {
        "active_member": active_member(request),
        "my_members": lambda: list(member_choices(user)),
    }
