"""Take the README screenshots from a running Syndesk loaded with the demo data.

Starts nothing itself (the demo manager has no authenticator app: the server runs without
the staff two-factor requirement):

    .venv/bin/python manage.py load_demo
    DEBUG=true STAFF_MFA_REQUIRED=false \
        .venv/bin/python manage.py runserver 127.0.0.1:8765 --noreload &
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8765

Writes docs/screenshot-{home,dashboard,members,billing,queue,ticket,portal}.png (1280x800, French
locale) with Debian's Chromium; never downloads a browser.
"""

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-syndesk-2026"  # noqa: S105 - the public demo password (syndesk.members.demo)
MANAGER = "responsable@syndesk.demo"
AGENT = "agent@syndesk.demo"
FIRST_TICKET = object()  # not a URL: follow the queue's first ticket
MEMBER_USER = "mairie@saint-hilaire.demo"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion/"))


def shoot(page: Page, path: Path) -> None:
    # Park the caret and pointer outside the page so that no focus ring or hover shows.
    page.mouse.move(0, VIEWPORT["height"] - 1)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=path, type="png", full_page=False)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for email, shots in [
                (None, [("/", "home")]),
                (
                    MANAGER,
                    [
                        ("/gestion/", "dashboard"),
                        ("/gestion/adherents/", "members"),
                        ("/gestion/facturation/", "billing"),
                    ],
                ),
                (AGENT, [("/gestion/assistance/?view=open", "queue"), (FIRST_TICKET, "ticket")]),
                (MEMBER_USER, [("/portail/", "portal")]),
            ]:
                context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
                page = context.new_page()
                page.set_default_timeout(10_000)
                if email:
                    log_in(page, base_url, email)
                for url, name in shots:
                    if url is FIRST_TICKET:  # the queue's first ticket, whatever its number
                        page.locator("tbody a").first.click()
                    else:
                        page.goto(base_url + url)
                    expect(page.get_by_role("heading", level=1)).to_be_visible()
                    shoot(page, args.out / f"screenshot-{name}.png")
                context.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
