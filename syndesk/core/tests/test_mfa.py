"""Two-factor sign-in: enrolment, the two-step login, backup codes, enforcement for staff,
and the ways in that must not skip the code (activation, password reset, the admin)."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.urls import resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from syndesk.core import mfa
from syndesk.core.accounts import activation_token
from syndesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
START = "2026-03-02 09:00:00"


def code_for(device, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or `steps_ahead` 30 s steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    if steps_ahead:
        value = totp(
            device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead
        )
    return f"{value:0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = mfa.start_enrolment(user=user)
    codes = mfa.confirm_enrolment(user=user, device=device, token=code_for(device))
    device.refresh_from_db()
    return device, codes


def text(response) -> str:
    return html.unescape(response.content.decode())


def sign_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.email, "password": PASSWORD, **extra})


def is_logged_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


# Enrolment


def test_the_page_shows_a_qr_code_and_the_secret_of_an_unconfirmed_device(client, alice):
    client.force_login(alice)
    response = client.get(reverse("mfa"))
    body = text(response)
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert not mfa.is_enabled(alice)
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert "style=" not in svg
    assert "<script" not in svg
    assert mfa.secret_of(device) in body
    assert "Double authentification" in body


def test_a_reload_keeps_the_same_secret(client, alice):
    client.force_login(alice)
    client.get(reverse("mfa"))
    client.get(reverse("mfa"))
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_a_first_code_confirms_the_device_and_the_backup_codes_show_once(client, alice, clock):
    client.force_login(alice)
    client.get(reverse("mfa"))
    device = TOTPDevice.objects.get(user=alice)
    response = client.post(reverse("mfa"), {"action": "confirm", "code": code_for(device)})
    assert response["Location"] == reverse("mfa-codes")
    shown = client.get(reverse("mfa-codes"))
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert "Imprimez-les ou copiez-les" in text(shown)
    assert client.get(reverse("mfa-codes"))["Location"] == reverse("mfa")
    assert mfa.is_enabled(alice)
    entry = AuditEntry.objects.get(action="accounts.mfa.enabled")
    assert entry.actor == alice
    assert entry.data == {"replaced": False}


def test_a_wrong_first_code_is_refused_at_the_field(client, alice, clock):
    client.force_login(alice)
    client.get(reverse("mfa"))
    response = client.post(reverse("mfa"), {"action": "confirm", "code": "000000"})
    assert response.status_code == 200
    assert response.context["confirm_form"].errors["code"] == [
        "Ce code n'est pas valide ou a déjà servi."
    ]
    assert not mfa.is_enabled(alice)


def test_an_unconfirmed_device_leaves_the_login_in_one_step(client, alice):
    mfa.start_enrolment(user=alice)
    response = sign_in(client, alice)
    assert response["Location"] == reverse("web:after-login")
    assert is_logged_in(client)


def test_a_new_device_replaces_the_old_one_once_confirmed(client, agent, clock):
    _old, _codes = enrol(agent)
    client.force_login(agent)
    client.post(reverse("mfa"), {"action": "replace"})
    new = mfa.pending_device(agent)
    assert new is not None
    assert mfa.is_enabled(agent)
    clock.tick(30)
    client.post(reverse("mfa"), {"action": "confirm", "code": code_for(new)})
    assert list(TOTPDevice.objects.filter(user=agent)) == [new]
    assert AuditEntry.objects.filter(action="accounts.mfa.enabled").latest("pk").data == {
        "replaced": True
    }


# Sign-in


def test_the_password_alone_does_not_log_in_a_user_with_a_device(client, alice, clock):
    device, _codes = enrol(alice)
    response = sign_in(client, alice)
    assert response["Location"] == reverse("login-code")
    assert not is_logged_in(client)
    assert client.get(reverse("web:portal")).status_code == 302
    clock.tick(30)
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == reverse("web:after-login")
    assert is_logged_in(client)
    assert int(client.session[SESSION_KEY]) == alice.pk


def test_a_wrong_code_gets_a_message_at_the_field(client, alice, clock):
    enrol(alice)
    sign_in(client, alice)
    response = client.post(reverse("login-code"), {"code": "123456"})
    assert response.context["form"].errors["code"] == ["Ce code n'est pas valide ou a déjà servi."]
    assert not is_logged_in(client)


def test_repeated_wrong_codes_are_throttled_and_audited_without_the_code(client, alice, clock):
    device, _codes = enrol(alice)
    sign_in(client, alice)
    client.post(reverse("login-code"), {"code": "111111"})
    clock.tick(30)
    # One failure: the next try waits 1 s, two: 2 s… even a right code is refused meanwhile.
    client.post(reverse("login-code"), {"code": "222222"})
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response.context["form"].errors["code"] == [
        "Trop de codes erronés : réessayez dans 2 secondes."
    ]
    assert not is_logged_in(client)
    assert not AuditEntry.objects.filter(action="accounts.mfa.failed").exists()
    clock.tick(3)
    client.post(reverse("login-code"), {"code": "333333"})
    entry = AuditEntry.objects.get(action="accounts.mfa.failed")
    assert entry.target_id == str(alice.pk)
    assert entry.data == {"stage": "login", "device": "totp", "failures": 3}
    assert "333333" not in str(entry.data)
    clock.tick(5)
    client.post(reverse("login-code"), {"code": code_for(device)})
    assert is_logged_in(client)


def test_a_backup_code_logs_in_once(client, alice, clock):
    _device, codes = enrol(alice)
    sign_in(client, alice)
    response = client.post(reverse("login-code"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert is_logged_in(client)
    assert StaticToken.objects.count() == 9
    client.post(reverse("logout"))
    sign_in(client, alice)
    response = client.post(reverse("login-code"), {"code": codes[0]})
    assert response.context["form"].errors["code"] == ["Ce code n'est pas valide ou a déjà servi."]
    assert not is_logged_in(client)


def test_the_pending_sign_in_expires_after_five_minutes(client, alice, clock):
    device, _codes = enrol(alice)
    sign_in(client, alice)
    clock.tick(timedelta(minutes=5, seconds=1))
    response = client.post(reverse("login-code"), {"code": code_for(device)}, follow=True)
    assert response.redirect_chain[0][0] == reverse("login")
    assert "Votre connexion a expiré" in text(response)
    assert not is_logged_in(client)


def test_the_code_page_without_a_password_first_goes_back_to_the_login(client):
    assert client.get(reverse("login-code"))["Location"] == reverse("login")


def test_a_password_change_voids_the_pending_sign_in(client, alice, clock):
    device, _codes = enrol(alice)
    sign_in(client, alice)
    alice.set_password("Un-autre-mot-de-passe-2026")
    alice.save()
    clock.tick(30)
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == reverse("login")
    assert not is_logged_in(client)


def test_next_is_kept_through_the_second_step(client, alice, clock):
    device, _codes = enrol(alice)
    sign_in(client, alice, next="/portail/demandes/")
    clock.tick(30)
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == "/portail/demandes/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_an_outside_next_is_refused(client, alice, clock, target):
    device, _codes = enrol(alice)
    sign_in(client, alice, next=target)
    clock.tick(30)
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == reverse("web:after-login")


def test_an_outside_next_in_the_session_is_refused_at_the_exit(client, alice, clock):
    device, _codes = enrol(alice)
    sign_in(client, alice)
    session = client.session
    session[mfa.PENDING_SESSION_KEY]["next"] = "https://evil.example/"
    session.save()
    clock.tick(30)
    response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == reverse("web:after-login")


# Enforcement


def test_staff_without_a_device_must_enrol_before_anything_else(client, agent, clock):
    response = sign_in(client, agent)
    assert response["Location"] == reverse("mfa")
    assert client.get(reverse("desk:queue"))["Location"] == reverse("mfa")
    assert client.get(reverse("web:staff"))["Location"] == reverse("mfa")
    assert "exige la double authentification" in text(client.get(reverse("mfa")))
    device = TOTPDevice.objects.get(user=agent)
    client.post(reverse("mfa"), {"action": "confirm", "code": code_for(device)})
    assert client.get(reverse("mfa-codes")).status_code == 200
    assert client.get(reverse("desk:queue")).status_code == 200


def test_staff_may_still_sign_out_while_enrolling(client, agent):
    sign_in(client, agent)
    client.post(reverse("logout"))
    assert not is_logged_in(client)


def test_staff_go_on_without_mfa_when_it_is_not_required(client, agent, settings):
    settings.STAFF_MFA_REQUIRED = False
    assert sign_in(client, agent)["Location"] == reverse("web:after-login")
    assert client.get(reverse("desk:queue")).status_code == 200


def test_member_users_are_not_forced_to_enrol(client, alice):
    sign_in(client, alice)
    assert client.get(reverse("web:portal")).status_code == 200


# Backup codes and switching off


def test_new_backup_codes_need_a_code_and_void_the_old_ones(client, alice, clock):
    device, old_codes = enrol(alice)
    client.force_login(alice)
    response = client.post(reverse("mfa"), {"action": "regenerate", "code": "000000"})
    assert response.context["regenerate_form"].errors["code"]
    clock.tick(30)
    response = client.post(reverse("mfa"), {"action": "regenerate", "code": code_for(device)})
    assert response["Location"] == reverse("mfa-codes")
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    assert len(tokens) == 10
    assert not tokens & set(old_codes)
    assert AuditEntry.objects.filter(action="accounts.mfa.backup_codes_regenerated").count() == 1


def test_switching_off_needs_a_current_code(client, alice, clock):
    device, _codes = enrol(alice)
    client.force_login(alice)
    response = client.post(reverse("mfa"), {"action": "disable", "code": "000000"})
    assert response.context["disable_form"].errors["code"]
    assert mfa.is_enabled(alice)
    clock.tick(30)
    client.post(reverse("mfa"), {"action": "disable", "code": code_for(device)})
    assert not mfa.is_enabled(alice)
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert AuditEntry.objects.get(action="accounts.mfa.disabled").actor == alice


def test_staff_cannot_switch_off_while_it_is_required(client, agent, clock):
    device, _codes = enrol(agent)
    client.force_login(agent)
    page = text(client.get(reverse("mfa")))
    assert "Désactiver la double authentification" not in page
    clock.tick(30)
    response = client.post(reverse("mfa"), {"action": "disable", "code": code_for(device)})
    assert response.context["disable_form"].errors["code"] == [
        "La double authentification est obligatoire pour votre compte."
    ]
    assert mfa.is_enabled(agent)


# Recovery by a manager


def test_a_manager_resets_a_staff_members_mfa_with_an_audit_entry(client, manager, agent, clock):
    enrol(agent)
    client.force_login(manager)
    page = text(client.get(reverse("core:staff-edit", args=[agent.pk])))
    assert "Réinitialiser la double authentification" in page
    response = client.post(reverse("core:staff-mfa-reset", args=[agent.pk]))
    assert response["Location"] == reverse("core:staff-edit", args=[agent.pk])
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    entry = AuditEntry.objects.get(action="accounts.mfa.reset")
    assert entry.actor == manager
    assert entry.target_id == str(agent.pk)


def test_a_reset_ends_the_sessions_the_person_has_open(client, manager, agent, clock):
    from django.test import Client

    enrol(agent)
    phone, laptop = Client(), Client()
    phone.force_login(agent)
    laptop.force_login(agent)
    assert phone.get(reverse("desk:queue")).status_code == 200
    client.force_login(manager)
    client.post(reverse("core:staff-mfa-reset", args=[agent.pk]))
    for session in (phone, laptop):
        response = session.get(reverse("desk:queue"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert SESSION_KEY not in session.session
    # The manager's own session goes on; the agent signs in again and is asked to enrol.
    assert client.get(reverse("core:staff-edit", args=[agent.pk])).status_code == 200
    agent.set_password(PASSWORD)
    agent.save()
    assert sign_in(phone, agent)["Location"] == reverse("mfa")


def test_session_hash_is_djangos_until_sessions_are_ended(agent):
    from django.contrib.auth.base_user import AbstractBaseUser

    assert agent.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(agent)
    before = agent.get_session_auth_hash()
    agent.end_sessions()
    assert agent.session_generation == 1
    assert agent.get_session_auth_hash() not in (before, "")
    agent.end_sessions()
    assert agent.session_generation == 2


def test_only_managers_reset_mfa(client, agent, billing, clock):
    enrol(agent)
    client.force_login(billing)
    assert client.post(reverse("core:staff-mfa-reset", args=[agent.pk])).status_code == 403
    assert mfa.is_enabled(agent)


# Other ways in


def test_an_activation_link_does_not_skip_the_code(client, alice, clock):
    enrol(alice)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    url = reverse("activate", args=[uid, activation_token.make_token(alice)])
    new = "Un-mot-de-passe-solide-2026"
    response = client.post(url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("login")
    assert not is_logged_in(client)


def test_an_activated_staff_account_goes_to_enrolment(client, agent):
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    url = reverse("activate", args=[uid, activation_token.make_token(agent)])
    new = "Un-mot-de-passe-solide-2026"
    response = client.post(url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("mfa")
    assert client.get(reverse("web:staff"))["Location"] == reverse("mfa")


def test_a_password_reset_never_logs_in(client, alice, clock):
    enrol(alice)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    url = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(alice)])
    assert resolve(url).func.view_initkwargs["post_reset_login"] is False
    form_url = client.get(url)["Location"]
    new = "Un-mot-de-passe-solide-2026"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("password_reset_complete")
    assert not is_logged_in(client)


def test_the_admin_login_goes_through_the_two_step_login(client):
    response = client.get("/admin/login/?next=/admin/members/")
    assert response["Location"] == reverse("login") + "?next=%2Fadmin%2Fmembers%2F"
