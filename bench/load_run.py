"""Load run of the key pages through gunicorn, on the loopback, for a fixed duration and
concurrency (issue 10). Reads the configured database, filled beforehand by
``manage.py generate_bench_data``.

Run:
    export BENCH_PASSWORD=...  DATABASE_URL=sqlite:////tmp/bench.sqlite3   # or postgres://...
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_bench_data --tickets 100000
    .venv/bin/python bench/load_run.py --duration 15 --concurrency 4 --workers 2

What it does: starts gunicorn (gunicorn.conf.py) on 127.0.0.1 and a free port, signs in as
bench-agent@bench.example (password, then the code of an authenticator it gives that account
once, as STAFF_MFA_REQUIRED asks of staff) and bench-member@bench.example, then for each page runs
``--concurrency`` threads (one keep-alive http.client connection each) for ``--duration``
seconds and prints, as a Markdown table, the number of requests, the throughput, p50/p95 of
the wall-clock latency seen by the client, of the server time and of the server's CPU time
(the ``Server-Timing`` header set by syndesk.ops.middleware: the whole Django stack, not the
socket; on a shared, loaded machine the server's wall time mostly measures waiting for a
core, its CPU time what the request costs). Nothing leaves the machine.
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--duration", type=float, default=15.0, help="seconds per page")
parser.add_argument("--concurrency", type=int, default=4, help="client threads")
parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
parser.add_argument("--only", default="", help="run the pages whose label contains this")
ARGS = parser.parse_args()

PASSWORD = os.environ.get("BENCH_PASSWORD", "")
if not PASSWORD:
    sys.exit("set BENCH_PASSWORD (as for generate_bench_data)")
if not os.environ.get("DATABASE_URL"):
    sys.exit("set DATABASE_URL to the database generate_bench_data filled")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
AGENT_EMAIL = "bench-agent@bench.example"
MEMBER_EMAIL = "bench-member@bench.example"
TIMING = re.compile(r"app;dur=([0-9.]+)")
CPU = re.compile(r"cpu;dur=([0-9.]+)")


def _targets() -> dict:
    """URLs of real objects, read from the database before the server starts."""
    import random

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from syndesk.desk.models import Ticket
    from syndesk.members.models import Membership
    from syndesk.news.services import issue_feed_token

    rng = random.Random(10)  # noqa: S311 - benchmark sampling
    member = Membership.objects.get(user__email=MEMBER_EMAIL).member
    high = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    picks = [rng.randint(1, high) for _ in range(200)]
    staff_refs = list(Ticket.objects.filter(pk__in=picks).values_list("reference", flat=True)[:50])
    member_refs = list(
        Ticket.objects.filter(member=member)
        .order_by("-created_at")
        .values_list("reference", flat=True)[:20]
    )
    token = issue_feed_token(
        member=member, issued_by=get_user_model().objects.filter(is_staff=True).first()
    )
    # Staff sign in with two factors (STAFF_MFA_REQUIRED): the benchmark agent gets an
    # authenticator once, and login() answers the code step from its key.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    agent = get_user_model().objects.get(email=AGENT_EMAIL)
    device = TOTPDevice.objects.filter(user=agent, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=agent, name="bench", confirmed=True)
    # A code is accepted once per time step: forget the previous run's sign-in (and any
    # throttling), so that runs started within 30 s of each other can sign in.
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    counts = {
        "totp_key": device.key,
        "tickets": Ticket.objects.count(),
        "member_tickets": Ticket.objects.filter(member=member).count(),
    }
    connection.close()
    return {"staff_refs": staff_refs, "member_refs": member_refs, "token": token, **counts}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(ARGS.workers),
        "GUNICORN_LOGLEVEL": "warning",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_REQUESTS": "false",
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "600",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "syndesk.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/sante/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer within 60 s")


def _cookies(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _post_form(conn, path: str, fields: dict, jar: dict, port: int):
    """GET the form at `path` for its CSRF token, POST `fields`; returns the response."""
    conn.request("GET", path, headers={"Cookie": _cookie_header(jar)})
    response = conn.getresponse()
    page = response.read().decode()
    _cookies(response, jar)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": _cookie_header(jar),
        "Referer": f"http://127.0.0.1:{port}{path}",
    }
    conn.request(
        "POST", path, body=urlencode({"csrfmiddlewaretoken": token, **fields}), headers=headers
    )
    response = conn.getresponse()
    response.read()
    _cookies(response, jar)
    return response


def login(port: int, email: str, totp_key: str = "") -> str:
    """Sign in through the login form (and the code step with `totp_key`); returns the
    Cookie header of the session."""
    jar: dict = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    response = _post_form(conn, "/connexion/", {"username": email, "password": PASSWORD}, jar, port)
    if totp_key and response.status == 302 and "/connexion/code/" in response.getheader("Location"):
        from binascii import unhexlify

        from django_otp.oath import totp

        code = f"{totp(unhexlify(totp_key)):06d}"
        response = _post_form(conn, "/connexion/code/", {"code": code}, jar, port)
    if response.status != 302 or "sessionid" not in jar:
        sys.exit(f"could not sign in as {email} (HTTP {response.status})")
    return _cookie_header(jar)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_page(port: int, urls: list[str], headers: dict, expect: int) -> dict:
    walls: list[float] = []
    servers: list[float] = []
    cpus: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + ARGS.duration

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine_w, mine_s, mine_c, i = [], [], [], offset
        while time.perf_counter() < deadline:
            url = urls[i % len(urls)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{url}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine_w.append((time.perf_counter() - started) * 1000)
            if response.status != expect:
                with lock:
                    errors.append(f"{url}: HTTP {response.status}")
            timing = response.getheader("Server-Timing") or ""
            if match := TIMING.search(timing):
                mine_s.append(float(match.group(1)))
            if match := CPU.search(timing):
                mine_c.append(float(match.group(1)))
        conn.close()
        with lock:
            walls.extend(mine_w)
            servers.extend(mine_s)
            cpus.extend(mine_c)

    # Warm-up: templates, connections, caches of every worker.
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for url in urls[: max(4, ARGS.workers * 2)]:
        warm.request("GET", url, headers=headers)
        warm.getresponse().read()
    warm.close()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(ARGS.concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(walls),
        "rps": len(walls) / elapsed,
        "wall50": statistics.median(walls) if walls else 0,
        "wall95": _percentile(walls, 0.95) if walls else 0,
        "srv50": statistics.median(servers) if servers else 0,
        "srv95": _percentile(servers, 0.95) if servers else 0,
        "cpu50": statistics.median(cpus) if cpus else 0,
        "cpu95": _percentile(cpus, 0.95) if cpus else 0,
        "errors": errors[:3],
        "error_count": len(errors),
    }


def _etag(port: int, url: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", url)
    response = conn.getresponse()
    response.read()
    return response.getheader("ETag") or ""


def main() -> None:
    targets = _targets()
    port = _free_port()
    server = _start_server(port)
    try:
        agent = {"Cookie": login(port, AGENT_EMAIL, targets["totp_key"])}
        member = {"Cookie": login(port, MEMBER_EMAIL)}
        feed = "/flux/actualites.rss"
        private = f"/flux/prive/{targets['token']}.rss"
        pages = [
            ("staff dashboard", ["/gestion/"], agent, 200, 50),
            ("agent queue (default tab)", ["/gestion/assistance/"], agent, 200, 50),
            ("agent queue: all open", ["/gestion/assistance/?view=open"], agent, 200, 50),
            (
                "ticket page (staff)",
                [f"/gestion/assistance/{quote(r)}/" for r in targets["staff_refs"]],
                agent,
                200,
                50,
            ),
            ("portal home", ["/portail/"], member, 200, 30),
            ("portal: my tickets", ["/portail/demandes/"], member, 200, 30),
            (
                "portal: ticket page",
                [f"/portail/demandes/{quote(r)}/" for r in targets["member_refs"]] or ["/portail/"],
                member,
                200,
                30,
            ),
            (
                "sheet search (staff)",
                ["/gestion/fiches/?q=bordereau", "/gestion/fiches/?q=DSN+taux"],
                agent,
                200,
                50,
            ),
            ("sheet search (public)", ["/fiches/?q=bordereau", "/fiches/?q=electeur"], {}, 200, 50),
            ("RSS feed (all notices)", [feed], {}, 200, 20),
            ("RSS feed, If-None-Match → 304", [feed], {"If-None-Match": _etag(port, feed)}, 304, 5),
            ("private feed", [private], {}, 200, 20),
            (
                "private feed, If-None-Match → 304",
                [private],
                {"If-None-Match": _etag(port, private)},
                304,
                5,
            ),
        ]
        print(
            f"\n{targets['tickets']:,} tickets ({targets['member_tickets']:,} of bench-member's "
            f"organisation); {ARGS.workers} gunicorn workers, {ARGS.concurrency} client threads, "
            f"{ARGS.duration:g} s per page\n"
        )
        columns = ["page", "requests", "req/s", "p50 wall", "p95 wall", "p50 server"]
        columns += ["p95 server", "p50 CPU", "p95 CPU", "target (p95 server)"]
        print("| " + " | ".join(columns) + " |")
        print("|" + " --- |" * len(columns))
        for label, urls, headers, expect, target in pages:
            if ARGS.only and ARGS.only not in label:
                continue
            row = run_page(port, urls, headers, expect)
            flag = "" if row["srv95"] <= target else " ✗"
            print(
                f"| {label} | {row['requests']} | {row['rps']:.1f} | {row['wall50']:.1f} ms "
                f"| {row['wall95']:.1f} ms | {row['srv50']:.1f} ms | {row['srv95']:.1f} ms "
                f"| {row['cpu50']:.1f} ms | {row['cpu95']:.1f} ms | ≤ {target} ms{flag} |",
                flush=True,
            )
            if row["error_count"]:
                print(f"  {row['error_count']} errors, e.g. {row['errors']}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
