"""Benchmark of the inventory (syndesk.inventory) with 1,000 members, 4,000 workstations
and 3,000 installations.

Run: .venv/bin/python bench/bench_inventory.py [--members 1000] [--requests 50]
Builds a throwaway SQLite database in a temporary directory (migrations included), then
times through django.test.Client (whole middleware stack, no network):

- the inventory panel of the helpdesk call screen (what the agent waits for on the phone),
- a member's inventory page (installations, workstations with their compliance),
- the portal inventory page of a member user,
- the compliance report over every workstation, and the outdated-versions report,
- a 500-row workstation CSV import (all or nothing).

Prints p50/p95 in milliseconds of wall-clock and of this thread's CPU time.
Targets (issue 9): call-screen panel ≤ 30 ms p95, member page ≤ 150 ms p95, compliance
report over 4,000 workstations ≤ 3 s. Figures are recorded in docs/performance.md.
"""

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="syndesk-bench-inventory-")
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
os.environ["SYNDESK_VAR_DIR"] = TMP
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.urls import reverse  # noqa: E402

from syndesk.catalog.models import Prerequisite, Software, SoftwareVersion  # noqa: E402
from syndesk.inventory import services  # noqa: E402
from syndesk.inventory.licence import LicenceKey  # noqa: E402
from syndesk.inventory.models import Installation, Workstation  # noqa: E402
from syndesk.members.models import Member, Membership  # noqa: E402

OS = [("windows", "11"), ("windows", "10"), ("windows", "7"), ("windows_server", "2019")]


def populate(count: int) -> dict:
    versions = []
    for i in range(10):
        software = Software.objects.create(name=f"Logiciel {i}", editor="É", category="business")
        old = SoftwareVersion.objects.create(software=software, number="2025")
        new = SoftwareVersion.objects.create(software=software, number="2026")
        Prerequisite.objects.create(version=new, kind="os", component="Windows", min_version="10")
        Prerequisite.objects.create(version=new, kind="ram", min_quantity=8)
        Prerequisite.objects.create(version=new, kind="runtime", component="Java", min_version="8")
        versions.append((software, old, new))
    members = Member.objects.bulk_create(
        Member(name=f"Commune {i}", siren=f"{200000000 + i}", legal_category="7210")
        for i in range(count)
    )
    workstations = Workstation.objects.bulk_create(
        Workstation(
            member=m,
            name=f"Poste {j}",
            os_family=OS[(i + j) % 4][0],
            os_version=OS[(i + j) % 4][1],
            ram_gib=Decimal([4, 8, 16][(i + j) % 3]),
            runtimes="Java 8" if j % 2 else "",
        )
        for i, m in enumerate(members)
        for j in range(4)
    )
    installations = Installation.objects.bulk_create(
        Installation(
            member=m,
            software=versions[(i + k) % 10][0],
            version=versions[(i + k) % 10][1 + (i % 2)],
            licence_key=LicenceKey(f"KEY-{i:05d}-{k}-ABCDEFGH"),
        )
        for i, m in enumerate(members)
        for k in range(3)
    )
    through = Installation.workstations.through
    by_member = {}
    for w in workstations:
        by_member.setdefault(w.member_id, []).append(w)
    through.objects.bulk_create(
        through(installation_id=inst.pk, workstation_id=w.pk)
        for inst in installations
        for w in by_member[inst.member_id][:2]
    )
    return {"members": members, "workstations": len(workstations)}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(label: str, func, n: int) -> None:
    func()  # warm-up
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.thread_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    p50, p95 = percentiles(wall)
    c50, c95 = percentiles(cpu)
    print(f"| {label} | {p50:.1f} ms | {p95:.1f} ms | {c50:.1f} ms | {c95:.1f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    data = populate(args.members)
    user_model = get_user_model()
    agent = user_model.objects.create_user(
        email="agent@bench.example", password=None, is_staff=True
    )
    agent.groups.add(Group.objects.get(name="agent"))
    member = data["members"][len(data["members"]) // 2]
    secretary = user_model.objects.create_user(email="mairie@bench.example", password=None)
    Membership.objects.create(user=secretary, member=member)
    staff, portal = Client(), Client()
    staff.force_login(agent)
    portal.force_login(secretary)
    request = RequestFactory().get("/")
    request.user = user_model.objects.get(pk=agent.pk)
    panel = Template('{% load panels %}{% render_panels "desk_call_member" member %}')

    print(
        f"{len(data['members'])} members, {data['workstations']} workstations, "
        f"{Installation.objects.count()} installations"
    )
    print("| what | p50 | p95 | CPU p50 | CPU p95 |\n| --- | --- | --- | --- | --- |")
    measure(
        "call-screen inventory panel",
        lambda: panel.render(Context({"member": member, "request": request})),
        args.requests,
    )
    member_url = reverse("inventory:member", args=[member.pk])
    measure("member inventory page", lambda: staff.get(member_url), args.requests)
    measure(
        "portal inventory page", lambda: portal.get(reverse("inventory-portal:home")), args.requests
    )
    measure(
        "compliance report (service, every workstation)",
        lambda: services.compliance_report(user=agent),
        5,
    )
    measure("compliance report page", lambda: staff.get(reverse("inventory:compliance")), 5)
    measure("outdated-versions report page", lambda: staff.get(reverse("inventory:outdated")), 5)
    rows = "\n".join(f"{member.siren};Import {i};Windows 11;16" for i in range(500))
    content = f"member_siren;name;os;ram_gib\n{rows}\n".encode()
    measure(
        "CSV import, 500 workstations (rolled back)",
        lambda: services.import_inventory_csv(
            kind="workstations", content=content + b"x;;Windows 95;-1\n", imported_by=agent
        ),
        3,
    )
    print(f"measured {date.today().isoformat()}")


if __name__ == "__main__":
    main()
