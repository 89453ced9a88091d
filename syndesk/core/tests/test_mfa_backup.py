"""Authenticators and backup codes are part of the backup: after a restore, staff sign in
with the same app and the codes they have left."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from syndesk.core import mfa
from syndesk.core.tests.test_mfa import enrol

pytestmark = pytest.mark.django_db(transaction=True)


def devices() -> tuple[list, list]:
    return (
        list(TOTPDevice.objects.order_by("pk").values()),
        sorted(StaticToken.objects.values_list("device__user__email", "token")),
    )


def test_authenticators_survive_a_backup_and_a_restore(agent, tmp_path):
    enrol(agent)
    before = devices()
    archive = tmp_path / "syndesk.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore", str(archive), verbosity=0)

    assert devices() == before  # same keys: the apps on the phones still work
    assert mfa.is_enabled(agent)
