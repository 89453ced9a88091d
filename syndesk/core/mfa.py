"""Two-factor sign-in (DOMAIN.md §6, "MFA for staff"): an authenticator app (TOTP, RFC 6238)
and ten single-use backup codes, both django-otp devices with its throttling of failed
attempts. Staff must enrol while STAFF_MFA_REQUIRED is on; member users may.

A password alone never opens a session for a user with a confirmed device: the login view
keeps a short "pending" state in the session (begin_pending_login) and logs the user in only
once a code is verified (finish_pending_login)."""

import re
import time
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import backends
from .audit import log_action

BACKUP_CODE_COUNT = 10
# Failed codes are audit-logged from this many consecutive failures on: by then the device
# is throttled (1, 2, 4… seconds between tries), so the log cannot be flooded.
AUDIT_FAILURES_FROM = 3
PENDING_SESSION_KEY = "mfa_pending"
# Set at a password sign-in of staff who must enrol; the middleware then allows nothing but
# the enrolment page until a device is confirmed.
ENROL_SESSION_KEY = "mfa_enrol_required"
NEW_CODES_SESSION_KEY = "mfa_new_backup_codes"
_TOTP_CODE = re.compile(r"^\d{6}$")


class MfaError(Exception):
    """A refused code or operation; the message is shown to the user as it is."""


class InvalidCode(MfaError):
    pass


class Throttled(MfaError):
    def __init__(self, locked_until: datetime):
        self.locked_until = locked_until
        super().__init__("throttled")

    @property
    def seconds(self) -> int:
        return max(1, int((self.locked_until - timezone.now()).total_seconds() + 0.999))


class MfaRequired(MfaError):
    pass


def is_required(user) -> bool:
    return bool(user.is_staff and settings.STAFF_MFA_REQUIRED)


def is_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice | None:
    """The device being enrolled (not yet confirmed by a first code), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def start_enrolment(*, user) -> TOTPDevice:
    """A new unconfirmed authenticator for `user` (the same one on a reload). A confirmed
    device stays in use until the new one is confirmed."""
    device = pending_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="totp", confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The key in base32, as authenticator apps take it by hand, in groups of four."""
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice, *, title: str) -> str:
    """The otpauth:// URI as an inline SVG (no script, no style attribute: CSP-safe)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr")


def _normalise(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


@dataclass
class _Outcome:
    device: object | None
    locked_until: datetime | None = None
    failures: int = 0


def _check(user, token: str, *, allow_backup: bool, pending: TOTPDevice | None = None):
    """Verify `token` against one device inside a transaction (row locked, so that two
    concurrent tries cannot both pass); the throttling counters must be committed, so
    nothing raises in here."""
    token = _normalise(token)
    if pending is not None:
        model, confirmed, kind = TOTPDevice, False, "totp"
    elif _TOTP_CODE.match(token) or not allow_backup:
        model, confirmed, kind = TOTPDevice, True, "totp"
    else:
        model, confirmed, kind = StaticDevice, True, "backup"
    with transaction.atomic():
        devices = model.objects.select_for_update().filter(user=user, confirmed=confirmed)
        if pending is not None:
            devices = devices.filter(pk=pending.pk)
        device = devices.order_by("-pk").first()
        if device is None:
            return _Outcome(None), kind
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return _Outcome(None, locked_until=info["locked_until"]), kind
        if device.verify_token(token):
            return _Outcome(device), kind
        return _Outcome(None, failures=device.throttling_failure_count), kind


def verify(*, user, token: str, stage: str, allow_backup: bool = True, pending=None):
    """The device that accepts `token` for `user`, or InvalidCode / Throttled. `stage` names
    the step in the audit entry ("login", "enrol", "disable", "backup_codes")."""
    outcome, kind = _check(user, token, allow_backup=allow_backup, pending=pending)
    if outcome.device is not None:
        return outcome.device
    if outcome.locked_until is not None:
        raise Throttled(outcome.locked_until)
    if outcome.failures >= AUDIT_FAILURES_FROM:
        # Never the code itself: only that it failed, where, and how many times in a row.
        log_action(
            "accounts.mfa.failed",
            target=user,
            data={"stage": stage, "device": kind, "failures": outcome.failures},
        )
    raise InvalidCode("invalid")


def _new_backup_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def confirm_enrolment(*, user, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the pending authenticator with its first code; it replaces any previous one.
    Returns the new backup codes (shown once)."""
    verify(user=user, token=token, stage="enrol", allow_backup=False, pending=device)
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_backup_codes(user)
        log_action("accounts.mfa.enabled", actor=user, target=user, data={"replaced": replaced})
    return codes


def regenerate_backup_codes(*, user, token: str) -> list[str]:
    """New backup codes (the old ones stop working), against a current code."""
    verify(user=user, token=token, stage="backup_codes")
    with transaction.atomic():
        codes = _new_backup_codes(user)
        log_action("accounts.mfa.backup_codes_regenerated", actor=user, target=user)
    return codes


def disable(*, user, token: str) -> None:
    """Remove every device of `user`, against a current code; refused while required."""
    if is_required(user):
        raise MfaRequired("required")
    verify(user=user, token=token, stage="disable")
    with transaction.atomic():
        _delete_devices(user)
        log_action("accounts.mfa.disabled", actor=user, target=user)


@transaction.atomic
def reset(*, user, reset_by) -> None:
    """A manager removes a staff member's devices (lost phone): every session the person has
    open ends (a stolen phone may hold one), and they enrol again at the next sign-in."""
    _delete_devices(user)
    user.end_sessions()
    log_action("accounts.mfa.reset", actor=reset_by, target=user)


def _delete_devices(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# Sign-in state, kept in the session.


def begin_pending_login(request, *, user, next_url: str) -> None:
    """The password was right: remember who, for MFA_PENDING_SECONDS, without logging in.
    The session key changes so that a planted session id cannot be used."""
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user": str(user.pk),
        "backend": getattr(user, "backend", backends.PATH),
        # A password change in between voids the pending sign-in.
        "hash": user.get_session_auth_hash(),
        "since": time.time(),
        "next": next_url,
    }


def pending_login(request) -> tuple[object, str] | tuple[None, str]:
    """(user, next_url) of a live pending sign-in, or (None, "")."""
    state = request.session.get(PENDING_SESSION_KEY)
    if not state:
        return None, ""
    if time.time() - state.get("since", 0) > settings.MFA_PENDING_SECONDS:
        del request.session[PENDING_SESSION_KEY]
        return None, ""
    user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != state["hash"]:
        del request.session[PENDING_SESSION_KEY]
        return None, ""
    return user, state.get("next", "")


def finish_pending_login(request, *, user, device) -> None:
    state = request.session.pop(PENDING_SESSION_KEY)
    login(request, user, backend=state["backend"])
    otp_login(request, device)


def mark_password_login(request, user) -> bool:
    """After a sign-in with a password only: flag the session when `user` must enrol
    before going anywhere. Returns whether it did."""
    if is_required(user) and not is_enabled(user):
        request.session[ENROL_SESSION_KEY] = True
        return True
    return False
