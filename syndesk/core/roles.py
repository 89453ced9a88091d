"""Staff roles: Django groups whose permissions each app declares on its AppConfig."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

AGENT = "agent"
BILLING = "billing"
MANAGER = "manager"
ROLES = {
    AGENT: _("Agent d'assistance"),
    BILLING: _("Gestion administrative et financière"),
    MANAGER: _("Responsable de service"),
}


def declared_permissions() -> dict[str, set[str]]:
    """Union of every app's `role_permissions`, as {role: {"app_label.codename"}}."""
    merged: dict[str, set[str]] = {role: set() for role in ROLES}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            merged[role].update(perms)
    return merged


def sync_roles() -> None:
    """Create the role groups and give each exactly its declared permissions."""
    for role, perms in declared_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # apps not yet migrated add theirs on their own migrate
                wanted.append(perm)
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    if kwargs.get("plan") is not None and not kwargs["plan"]:
        return
    sync_roles()


def role_of(user) -> str | None:
    """The strongest staff role of a user, or None for a member user."""
    if not user.is_authenticated or not user.is_staff:
        return None
    if user.is_superuser:
        return MANAGER
    names = {g.name for g in user.groups.all()}
    for role in (MANAGER, BILLING, AGENT):
        if role in names:
            return role
    return None
