from functools import cache

from django.conf import settings

from .roles import role_of


def syndicate(request):
    user = getattr(request, "user", None)
    return {
        "syndicate": settings.SYNDICATE,
        # Called by the template engine only where a template reads it: role_of queries
        # the user's groups, and each panel of a page runs the context processors again.
        "staff_role": cache(lambda: role_of(user)) if user is not None else None,
    }
