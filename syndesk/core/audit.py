"""The audit log: services call log_action explicitly for every business operation."""

from django.contrib.contenttypes.models import ContentType

from .models import AuditEntry


def log_action(action: str, *, actor=None, target=None, data: dict | None = None) -> AuditEntry:
    """Record `action` (a dotted code such as "members.member.created")."""
    entry = AuditEntry(action=action, data=data or {})
    if actor is not None and getattr(actor, "is_authenticated", False):
        entry.actor = actor
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target)
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:255]
    entry.save()
    return entry


def history_of(target):
    """Audit entries about one object, newest first."""
    return AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).select_related("actor")
