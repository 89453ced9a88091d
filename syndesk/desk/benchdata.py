"""Benchmark data for the helpdesk: tickets over ten years with their events, inserted in
batches (raw ``executemany`` on SQLite, ``COPY`` on PostgreSQL) with the indexes in place.

Used by ``manage.py generate_bench_data`` (syndesk/ops) and ``bench/bench_desk.py``. Never
imported by the application. 0.5 % of the tickets are open (the queues), the rest closed;
SLA due dates are plain offsets from the opening (business-time arithmetic for a million
rows would only slow the generation down; the queries do not care)."""

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, Min

from syndesk.catalog.models import Software
from syndesk.core import roles
from syndesk.core.models import AuditEntry, NumberSequence
from syndesk.members.models import Member

from .models import Category, Channel, Outcome, Priority, Status, Ticket, TicketMessage, TimeEntry

SEED = 1_000_000
OPEN_SHARE = 0.005
YEARS = 10
SAMPLED = 100
BATCH = 10_000

COLUMNS = [
    "reference", "member_id", "contact_id", "requester_id", "opened_by_id", "software_id",
    "version_id", "channel", "category", "priority", "status", "outcome", "assignee_id",
    "subject", "description", "entitled", "entitlement_note", "exclusion_id",
    "duplicate_of_id", "follow_up_of_id", "email_message_id", "first_response_due",
    "resolution_due", "first_responded_at", "resolved_at", "closed_at", "paused_since",
    "paused_business", "satisfaction", "satisfaction_comment", "rated_at", "rated_by_id",
    "created_at", "updated_at",
]  # fmt: skip
DATETIMES = {
    "first_response_due", "resolution_due", "first_responded_at", "resolved_at", "closed_at",
    "paused_since", "rated_at", "created_at", "updated_at",
}  # fmt: skip
MESSAGE_COLUMNS = [
    "ticket_id", "kind", "via", "author_id", "contact_id", "author_email", "from_staff",
    "body", "email_message_id", "in_reply_to", "created_at",
]  # fmt: skip
SUBJECTS = [
    "Bordereau de mandats rejeté par la trésorerie",
    "Saisie d'un mandat d'annulation",
    "Flux PES refusé par Hélios",
    "DSN rejetée : anomalie sur le taux",
    "Acte bloqué en attente de transmission",
    "Impression du budget impossible",
    "Créer un nouvel agent dans la paie",
    "Inscrire un électeur arrivé dans la commune",
]
OPEN_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.WAITING_MEMBER, Status.WAITING_VENDOR]
DUE = {  # (first response, resolution) offsets per priority, wall-clock approximations
    Priority.URGENT: (timedelta(hours=1), timedelta(hours=4)),
    Priority.HIGH: (timedelta(hours=2), timedelta(days=1)),
    Priority.NORMAL: (timedelta(hours=4), timedelta(days=3)),
    Priority.LOW: (timedelta(days=1), timedelta(days=5)),
}
DATETIME_INDEXES = [i for i, name in enumerate(COLUMNS) if name in DATETIMES]


def agents(count: int = 10, *, prefix: str = "agent") -> list:
    """`count` support agents (role group agent)."""
    roles.sync_roles()
    user_model = get_user_model()
    group = Group.objects.get(name=roles.AGENT)
    made = []
    for i in range(count):
        agent = user_model.objects.create_user(
            email=f"{prefix}{i}@bench.example", first_name=f"Agent{i}", is_staff=True
        )
        agent.groups.add(group)
        made.append(agent)
    return made


def software(count: int = 15) -> list:
    return Software.objects.bulk_create(
        Software(name=f"Logiciel {i:02d}", editor="Éditeur", category="business")
        for i in range(count)
    )


def _adapter() -> Callable:
    """How a UTC datetime goes into a raw INSERT: SQLite stores naive UTC text (what
    ``connection.ops.adapt_datetimefield_value`` does, without its per-value overhead);
    psycopg takes the aware value."""
    if connection.vendor == "sqlite":
        return lambda v: v.replace(tzinfo=None).isoformat(" ")
    return lambda v: v


def _prep(values: list, adapt, indexes) -> tuple:
    for i in indexes:
        if values[i] is not None:
            values[i] = adapt(values[i])
    return tuple(values)


def _insert(cursor, model, columns: list[str], rows: list[tuple]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # COPY: the bulk path of PostgreSQL (psycopg 3), several times faster.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _fast_sqlite(cursor) -> None:
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # Bulk load: no fsync per batch, a 256 MB page cache for the indexes (SQLite allows
        # it outside a transaction only; a test runs inside one).
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -262144")


def generate_tickets(
    count: int,
    agents: list,
    members: list,
    software: list,
    *,
    batch: int = BATCH,
    log: Callable[[str], None] = print,
) -> dict:
    """Insert `count` tickets spread over ten years; returns {"seconds": ...}."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark data
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    agent_ids = [a.pk for a in agents]
    member_ids = [m.pk for m in members]
    software_ids = [s.pk for s in software] + [None]
    priorities = [Priority.NORMAL] * 14 + [Priority.HIGH] * 3 + [Priority.LOW] * 2
    priorities.append(Priority.URGENT)
    categories = [c for c in Category.values if c != Category.OUT_OF_SCOPE]
    channels = Channel.values
    per_year: dict[int, int] = {}
    created_all = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    open_from = count - int(count * OPEN_SHARE)
    zero = timedelta(0) if connection.features.has_native_duration_field else 0
    adapt = _adapter()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _fast_sqlite(cursor)
        for first in range(0, count, batch):
            rows = []
            for i in range(first, min(first + batch, count)):
                created = created_all[i]
                year = created.year
                per_year[year] = per_year.get(year, 0) + 1
                priority = rng.choice(priorities)
                first_due, resolution_due = DUE[priority]
                is_open = i >= open_from
                status = rng.choice(OPEN_STATUSES) if is_open else Status.CLOSED
                answered = created + timedelta(minutes=rng.randint(5, 300))
                resolved = answered + timedelta(hours=rng.randint(1, 80))
                waiting = status in (Status.WAITING_MEMBER, Status.WAITING_VENDOR)
                rows.append(
                    _prep(
                        [
                            f"AS-{year}-{per_year[year]:05d}",
                            rng.choice(member_ids),
                            None,
                            None,
                            None,
                            rng.choice(software_ids),
                            None,
                            rng.choice(channels),
                            rng.choice(categories),
                            priority,
                            status,
                            "" if is_open else Outcome.SOLVED,
                            None if is_open and rng.random() < 0.2 else rng.choice(agent_ids),
                            rng.choice(SUBJECTS),
                            "Le message apparaît à chaque tentative depuis hier.",
                            rng.random() > 0.05,
                            "Abonnement actif.",
                            None,
                            None,
                            None,
                            "",
                            created + first_due,
                            created + resolution_due,
                            None if status == Status.NEW else answered,
                            None if is_open else resolved,
                            None if is_open else resolved + timedelta(days=7),
                            answered if waiting else None,
                            zero,
                            "",
                            "",
                            None,
                            None,
                            created,
                            created if is_open else resolved + timedelta(days=7),
                        ],
                        adapt,
                        DATETIME_INDEXES,
                    )
                )
            _insert(cursor, Ticket, COLUMNS, rows)
            done = min(first + batch, count)
            if done % 100_000 == 0 or done == count:
                rate = done / (time.perf_counter() - started)
                log(f"  {done:>9,} tickets  ({rate:,.0f} rows/s)")
    for year, last in per_year.items():
        NumberSequence.objects.update_or_create(series="AS", year=year, defaults={"last": last})
    return {"seconds": time.perf_counter() - started}


def generate_events(
    agents: list,
    *,
    per_ticket: int = 2,
    batch: int = BATCH,
    log: Callable[[str], None] = print,
) -> int:
    """The conversation of every ticket: the member's request and the agent's answers
    (`per_ticket` messages in all), streamed over the tickets in batches."""
    rng = random.Random(SEED + 1)  # noqa: S311 - benchmark data
    agent_ids = [a.pk for a in agents]
    adapt = _adapter()
    indexes = [MESSAGE_COLUMNS.index("created_at")]
    count, rows = 0, []
    started = time.perf_counter()
    tickets = Ticket.objects.order_by("pk").values_list("pk", "created_at", "assignee_id")
    with connection.cursor() as cursor:
        _fast_sqlite(cursor)
        for pk, created, assignee in tickets.iterator(chunk_size=batch):
            for n in range(per_ticket):
                staff = n % 2 == 1
                rows.append(
                    _prep(
                        [
                            pk,
                            TicketMessage.Kind.PUBLIC,
                            TicketMessage.Via.WEB,
                            (assignee or rng.choice(agent_ids)) if staff else None,
                            None,
                            "",
                            staff,
                            "Bonjour,\n\nVoici la marche à suivre pour relancer le flux."
                            if staff
                            else "Le message d'erreur apparaît à chaque tentative.",
                            "",
                            "",
                            created + timedelta(hours=n),
                        ],
                        adapt,
                        indexes,
                    )
                )
            if len(rows) >= batch:
                _insert(cursor, TicketMessage, MESSAGE_COLUMNS, rows)
                count += len(rows)
                rows = []
                if count % 200_000 < batch:
                    rate = count / (time.perf_counter() - started)
                    log(f"  {count:>9,} ticket events  ({rate:,.0f} rows/s)")
        if rows:
            _insert(cursor, TicketMessage, MESSAGE_COLUMNS, rows)
            count += len(rows)
    return count


def work_sample(agents: list, rng: random.Random, *, sampled: int = SAMPLED) -> None:
    """Give sampled tickets what a worked ticket has: a longer conversation, time, history."""
    bounds = Ticket.objects.aggregate(low=Min("pk"), high=Max("pk"))
    population = range(bounds["low"], bounds["high"] + 1)
    ids = rng.sample(population, min(sampled, len(population)))
    ids += list(
        Ticket.objects.filter(member_id=Member.objects.order_by("pk").first().pk)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:5]
    )
    tickets = Ticket.objects.filter(pk__in=ids)
    ticket_type = ContentType.objects.get_for_model(Ticket)
    messages, entries, audit = [], [], []
    for ticket in tickets:
        for n in range(8):
            staff = n % 2 == 1
            messages.append(
                TicketMessage(
                    ticket=ticket,
                    kind=TicketMessage.Kind.INTERNAL if n == 5 else TicketMessage.Kind.PUBLIC,
                    author=rng.choice(agents) if staff else None,
                    from_staff=staff,
                    body="Bonjour,\n\nVoici la marche à suivre pour relancer le flux.",
                    created_at=ticket.created_at + timedelta(hours=n),
                )
            )
        for n in range(2):
            entries.append(
                TimeEntry(
                    ticket=ticket,
                    agent=rng.choice(agents),
                    minutes=15,
                    date=(ticket.created_at + timedelta(days=n)).date(),
                )
            )
        for action in ("desk.ticket.opened", "desk.ticket.assigned", "desk.ticket.replied"):
            audit.append(
                AuditEntry(
                    action=action,
                    target_type=ticket_type,
                    target_id=str(ticket.pk),
                    target_repr=str(ticket)[:255],
                    data={"status": ["new", "in_progress"]},
                )
            )
    TicketMessage.objects.bulk_create(messages)
    TimeEntry.objects.bulk_create(entries)
    AuditEntry.objects.bulk_create(audit)
