"""Benchmark of remote maintenance with many sessions: the presence beat (every 15 s from
each open member page), the agent's live panel (polled every few seconds), the session page,
the ticket page with its panel, the reports, and one run of the minute watch.

Run:
    .venv/bin/python bench/bench_remote.py                    # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syndesk_remote \\
        .venv/bin/python bench/bench_remote.py                # throwaway <name>_bench database
Options: --sessions 50000 --open 500 --requests 100.

What it does: migrates a throwaway database, inserts the sessions (bulk, 6 trail events
each, spread over three years; ``--open`` of them open, with a silent presence so that the
watch has work), signs a member user and an agent in with ``django.test.Client`` (the whole
middleware stack, no network) and times N requests of each page after a warm-up; prints
p50/p95 in milliseconds and the number of SQL queries. Figures go to docs/performance.md.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--sessions", type=int, default=50_000)
parser.add_argument("--open", type=int, default=500)
parser.add_argument("--requests", type=int, default=100)
ARGS = parser.parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
if POSTGRES:
    parts = urlsplit(DATABASE_URL)
    BENCH_NAME = f"{parts.path.lstrip('/') or 'postgres'}_bench"
    ADMIN = urlunsplit(parts._replace(path="/postgres"))
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_NAME}"))
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_NAME}"')
else:
    TMP = tempfile.mkdtemp(prefix="syndesk-bench-remote-")
    os.environ["SYNDESK_VAR_DIR"] = TMP
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(TMP) / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from syndesk.conftest import make_user  # noqa: E402
from syndesk.core import roles  # noqa: E402
from syndesk.desk.models import Channel, Ticket  # noqa: E402
from syndesk.desk.models import Status as TicketStatus  # noqa: E402
from syndesk.members.models import LegalCategory, Member  # noqa: E402
from syndesk.remote import services  # noqa: E402
from syndesk.remote.models import (  # noqa: E402
    CloseKind,
    EventKind,
    PresenceSpan,
    RemoteSession,
    RemoteTool,
    SessionEvent,
    Status,
)

BATCH = 5_000


def build() -> dict:
    call_command("migrate", verbosity=0)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    members = Member.objects.bulk_create(
        Member(
            name=f"Commune {i}",
            legal_category=LegalCategory.COMMUNE,
            postal_code="50000",
            city=f"Commune {i}",
            siren=f"B{i:08d}",
        )
        for i in range(200)
    )
    agent = make_user("agent@bench.example", role=roles.AGENT)
    member_user = make_user("mairie@bench.example", member=members[0])
    now = datetime.now(UTC)
    tickets = Ticket.objects.bulk_create(
        Ticket(
            reference=f"AS-B-{i:07d}",
            member=members[i % len(members)],
            channel=Channel.PHONE,
            subject=f"Demande {i}",
            status=TicketStatus.IN_PROGRESS if i < ARGS.open + 10 else TicketStatus.CLOSED,
            created_at=now - timedelta(days=(i * 1093) % 1095),
        )
        for i in range(ARGS.sessions)
    )
    tool = RemoteTool.objects.get(name="RustDesk")
    rows = []
    for i, ticket in enumerate(tickets):
        opened = i < ARGS.open
        # Open sessions started 10 minutes ago (a silent presence, not yet abandoned).
        start = now - timedelta(minutes=12) if opened else ticket.created_at + timedelta(minutes=30)
        kind = Status.OPEN if opened else [Status.CLOSED, Status.REFUSED, Status.ABANDONED][i % 3]
        done = kind in (Status.CLOSED, Status.ABANDONED)
        rows.append(
            RemoteSession(
                ticket=ticket,
                member_id=ticket.member_id,
                tool=tool,
                tool_session_id=str(100000000 + i),
                reason="Vérifier le paramétrage",
                requested_by=agent,
                requested_at=start,
                expires_at=start + timedelta(minutes=30),
                status=kind,
                opened_at=start + timedelta(minutes=2) if kind != Status.REFUSED else None,
                closed_at=start + timedelta(minutes=40) if done else None,
                closed_by=member_user if kind == Status.CLOSED else None,
                close_kind={Status.CLOSED: CloseKind.BY_USER, Status.ABANDONED: "abandoned"}.get(
                    kind, ""
                ),
                present_user=member_user if kind != Status.REFUSED else None,
                last_presence_at=(now - timedelta(minutes=5)) if opened else None,
            )
        )
    sessions = RemoteSession.objects.bulk_create(rows, batch_size=BATCH)
    events = []
    for session in sessions:
        for n, kind in enumerate(
            [
                EventKind.REQUESTED,
                EventKind.ACCEPTED,
                EventKind.HANDOVER,
                EventKind.PRESENCE_LOST,
                EventKind.PRESENCE_RESTORED,
                EventKind.CLOSED,
            ]
        ):
            events.append(
                SessionEvent(
                    session=session, kind=kind, at=session.requested_at + timedelta(minutes=n)
                )
            )
        if len(events) >= BATCH:
            SessionEvent.objects.bulk_create(events)
            events = []
    SessionEvent.objects.bulk_create(events)
    PresenceSpan.objects.bulk_create(
        PresenceSpan(session=s, user=member_user, started_at=s.opened_at, last_at=s.opened_at)
        for s in sessions[: ARGS.open]
    )
    return {"agent": agent, "member_user": member_user, "open": sessions[: ARGS.open]}


def measure(label: str, client: Client, method: str, urls: list[str]) -> None:
    call = getattr(client, method)
    call(urls[0])  # warm-up
    times, queries = [], 0
    for i in range(ARGS.requests):
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = call(url)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{label:<32} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  {queries} queries"
    )


def main() -> None:
    t0 = time.perf_counter()
    data = build()
    print(
        f"{'PostgreSQL' if POSTGRES else 'SQLite'}: {ARGS.sessions} sessions, "
        f"{ARGS.sessions * 6} events, {ARGS.open} open; built in {time.perf_counter() - t0:.1f} s"
    )
    agent, member = Client(), Client()
    agent.force_login(data["agent"])
    member.force_login(data["member_user"])
    opened = [
        s for s in data["open"] if s.member_id == data["member_user"].memberships.get().member_id
    ]
    sample = data["open"][:50]
    measure(
        "presence beat (member, POST)",
        member,
        "post",
        [reverse("remote-portal:presence", kwargs={"token": s.token}) for s in opened[:20]],
    )
    measure(
        "live panel (agent, htmx GET)",
        agent,
        "get",
        [reverse("remote:live", args=[s.pk]) for s in sample],
    )
    measure(
        "session page (agent)",
        agent,
        "get",
        [reverse("remote:session", args=[s.pk]) for s in sample],
    )
    measure(
        "ticket page with panel (agent)",
        agent,
        "get",
        [reverse("desk:ticket", args=[s.ticket.reference]) for s in sample[:20]],
    )
    measure("reports, this year (agent)", agent, "get", [reverse("remote:reports")])
    measure(
        "member's session page",
        member,
        "get",
        [reverse("remote-portal:session", kwargs={"token": s.token}) for s in opened[:20]],
    )
    t0 = time.perf_counter()
    result = services.remote_watch(datetime.now(UTC))
    print(
        f"remote_watch: {result.presence_lost} presence losses flagged, {result.abandoned} "
        f"abandoned in {(time.perf_counter() - t0) * 1000:.0f} ms"
    )
    t0 = time.perf_counter()
    services.remote_watch(datetime.now(UTC))
    print(f"remote_watch with nothing to do: {(time.perf_counter() - t0) * 1000:.1f} ms")
    if POSTGRES:
        connection.close()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
