from django.conf import settings

from .roles import role_of


def syndicate(request):
    user = getattr(request, "user", None)
    return {
        "syndicate": settings.SYNDICATE,
        "staff_role": role_of(user) if user is not None else None,
    }
