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
