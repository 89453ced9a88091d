"""Operations on accounts and the business calendar."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .accounts import send_activation_email
from .audit import log_action
from .models import ClosureDay
from .roles import ROLES


@transaction.atomic
def create_staff_user(*, email: str, first_name: str, last_name: str, role: str, created_by):
    """Create a staff account with one role and mail its activation link."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = get_user_model().objects.create_user(
        email=email, first_name=first_name, last_name=last_name, is_staff=True
    )
    user.groups.set([Group.objects.get(name=role)])
    log_action("core.staff.created", actor=created_by, target=user, data={"role": role})
    transaction.on_commit(
        lambda: send_activation_email(user, template="staff_welcome", context={"role": ROLES[role]})
    )
    return user


@transaction.atomic
def change_staff_role(*, user, role: str, is_active: bool, changed_by):
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user.groups.set([Group.objects.get(name=role)])
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    log_action(
        "core.staff.changed",
        actor=changed_by,
        target=user,
        data={"role": role, "is_active": is_active},
    )
    return user


@transaction.atomic
def activate_account(*, user, password: str) -> None:
    """First password through an activation link (invitation or new staff account)."""
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    log_action("core.account.activated", actor=user, target=user)


@transaction.atomic
def add_closure_day(*, day: date, label: str, added_by) -> ClosureDay:
    closure = ClosureDay.objects.create(date=day, label=label)
    log_action(
        "core.closure.added",
        actor=added_by,
        target=closure,
        data={"date": day.isoformat(), "label": label},
    )
    return closure


@transaction.atomic
def remove_closure_day(*, closure: ClosureDay, removed_by) -> None:
    log_action(
        "core.closure.removed",
        actor=removed_by,
        target=closure,
        data={"date": closure.date.isoformat(), "label": closure.label},
    )
    closure.delete()
