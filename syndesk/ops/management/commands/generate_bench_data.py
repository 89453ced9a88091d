"""National-scale benchmark data into the configured database (see docs/performance.md).

    BENCH_PASSWORD=... manage.py generate_bench_data --tickets 1000000

At 1,000,000 tickets: 5,000 members, the tickets with their events, 10,000 practical
sheets, 5,000 notices and 20,000 invoices (when the billing generator is present); the
other volumes scale with --tickets unless given. Creates the staff user
bench-agent@bench.example and the member user bench-member@bench.example, both with the
password in BENCH_PASSWORD."""

import importlib
import os
import random
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from syndesk.core import roles
from syndesk.desk import benchdata as desk
from syndesk.desk.models import Ticket
from syndesk.kb import benchdata as kb
from syndesk.members import benchdata as members
from syndesk.members.models import Membership
from syndesk.news import benchdata as news

AT_1M = {"members": 5_000, "sheets": 10_000, "notices": 5_000, "invoices": 20_000}
AGENT_EMAIL = "bench-agent@bench.example"
MEMBER_EMAIL = "bench-member@bench.example"


def scaled(tickets: int, volume: str, minimum: int = 10) -> int:
    return max(minimum, round(AT_1M[volume] * tickets / 1_000_000))


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        for volume in AT_1M:
            parser.add_argument(f"--{volume}", type=int, help=f"default: {AT_1M[volume]:,} at 1M")
        parser.add_argument("--events", type=int, default=2, help="messages per ticket")
        parser.add_argument("--batch", type=int, default=desk.BATCH)

    def _step(self, label, func, *args, **kwargs):
        started = time.perf_counter()
        result = func(*args, **kwargs)
        self.stdout.write(f"{label}: {time.perf_counter() - started:.1f} s")
        self.stdout.flush()
        return result

    def handle(self, *args, tickets, events, batch, **options):
        password = os.environ.get("BENCH_PASSWORD", "")
        if not password:
            raise CommandError("set BENCH_PASSWORD (the password of the benchmark accounts)")
        if tickets < 1:
            raise CommandError("--tickets must be positive")
        if Ticket.objects.exists() or get_user_model().objects.filter(email=AGENT_EMAIL).exists():
            raise CommandError("the database already holds tickets: use an empty, migrated one")
        volumes = {v: options[v] if options[v] is not None else scaled(tickets, v) for v in AT_1M}
        self.stdout.write(
            f"tickets: {tickets:,}, " + ", ".join(f"{k}: {v:,}" for k, v in volumes.items())
        )
        started = time.perf_counter()
        log = self.stdout.write

        org = self._step("members", members.generate, volumes["members"])
        staff = self._step("agents", desk.agents, 10)
        soft = self._step("software", desk.software, 15)
        self._accounts(password, org[0])
        self._step(
            "tickets", desk.generate_tickets, tickets, staff, org, soft, batch=batch, log=log
        )
        if events:
            self._step(
                "ticket events",
                desk.generate_events,
                staff,
                per_ticket=events,
                batch=batch,
                log=log,
            )
        self._step("worked tickets", desk.work_sample, staff, random.Random(desk.SEED))  # noqa: S311
        self._step("sheets", kb.generate, volumes["sheets"], soft)
        self._step("notices", news.generate, volumes["notices"], soft)
        billing = self._billing()
        if billing is not None:
            self._step("invoices", billing.generate, volumes["invoices"])
        else:
            self.stdout.write("invoices: skipped (syndesk/billing/benchdata.py not present)")
        with connection.cursor() as cursor:
            # PostgreSQL: VACUUM as autovacuum soon would (index-only scans); it cannot run
            # inside a transaction (a test's), where ANALYZE alone does.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(f"done in {time.perf_counter() - started:.0f} s")

    def _accounts(self, password: str, member) -> None:
        user_model = get_user_model()
        agent = user_model.objects.create_user(
            email=AGENT_EMAIL,
            password=password,
            first_name="Bench",
            last_name="Agent",
            is_staff=True,
        )
        agent.groups.add(Group.objects.get(name=roles.AGENT))
        user = user_model.objects.create_user(
            email=MEMBER_EMAIL, password=password, first_name="Bench", last_name="Member"
        )
        Membership.objects.create(user=user, member=member)
        from datetime import date

        from syndesk.contracts.models import Subscription

        Subscription.objects.create(member=member, start=date(2020, 1, 1))

    def _billing(self):
        try:
            module = importlib.import_module("syndesk.billing.benchdata")
        except ModuleNotFoundError:
            return None
        return module if hasattr(module, "generate") else None
