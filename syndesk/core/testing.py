"""Test helpers shared by every app's tests.

`assert_isolated` is the reusable proof that a member user cannot reach another member's
objects: not by a list page, not by guessing an id in a URL, not by POSTing to it.
"""

from collections.abc import Callable, Iterable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def assert_isolated(
    client,
    user,
    *,
    list_urls: Iterable[str] = (),
    hidden_text: str = "",
    object_urls: Iterable[str] = (),
    post_urls: Iterable[tuple[str, dict]] = (),
    unchanged: Callable[[], object] | None = None,
) -> None:
    """Sign `user` in and check they cannot see or change another member's objects.

    - each of `list_urls` answers 200 (or redirects) without `hidden_text` in the page;
    - each of `object_urls` answers 404 or 403 (never the object);
    - each (url, data) of `post_urls` answers 404 or 403, and `unchanged()` returns the
      same value before and after all the POSTs (pass a function reading the objects).
    """
    client.force_login(user)
    for url in list_urls:
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        if hidden_text:
            assert hidden_text not in response.content.decode(), f"{hidden_text!r} leaks on {url}"
    for url in object_urls:
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
    before = unchanged() if unchanged else None
    for url, data in post_urls:
        response = client.post(url, data)
        assert response.status_code in (403, 404), (url, response.status_code)
    if unchanged:
        assert unchanged() == before, "a forbidden POST changed data"


def count_queries(func: Callable[[], object]) -> int:
    """Number of SQL queries `func` runs (for query-count guards on pages)."""
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def watch_console(page) -> list[str]:
    """Collect a Playwright page's script errors and CSP violations (reported as console
    errors); a browser test asserts the list is empty at the end. Missing resources (the
    favicon, a deliberate 403) are not script errors."""
    problems: list[str] = []
    page.set_default_timeout(5_000)
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def current_code(device) -> str:
    """The code an authenticator app would show for `device`, one step later if this step's
    code has already been used (django-otp accepts each time step once)."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits)
    now.time = time.time()
    ahead = max(0, device.last_t + 1 - now.t())
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, drift=ahead)
    clock.time = now.time
    return f"{clock.token():0{device.digits}d}"


def submit_login(page, email: str) -> None:
    """Click "Se connecter" on the filled login form. Staff sign in with two factors
    (STAFF_MFA_REQUIRED): they are given an authenticator, and the code step is answered as
    a person would, from the app."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(email__iexact=email)
    if not user.is_staff:
        page.get_by_role("button", name="Se connecter").click()
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="totp", confirmed=True)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres ou code de secours").fill(current_code(device))
    page.get_by_role("button", name="Valider").click()
