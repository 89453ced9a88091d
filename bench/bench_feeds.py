"""Benchmark of the news feeds (syndesk.news) with 5,000 published notices.

Run: .venv/bin/python bench/bench_feeds.py [--requests 200] [--notices 5000]
Builds a throwaway SQLite database in a temporary directory (migrations included), then
times N requests through django.test.Client (the whole middleware stack, no network):

- a full feed GET with the cache emptied before each request (rendering every time),
- a full feed GET served from the cache (the normal case between two publications),
- a conditional GET that matches (If-None-Match, then If-Modified-Since): 304,
- the same for a member's private feed, a per-software feed and the iCalendar.

Prints p50/p95 in milliseconds, of wall-clock time and of this thread's CPU time (on a
shared, loaded machine the wall-clock p95 mostly measures waiting for a core).
Targets (issue 7): feed ≤ 20 ms p95, 304 ≤ 5 ms p95.
Figures are recorded in docs/performance.md.
"""

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="syndesk-bench-feeds-")
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
os.environ["SYNDESK_VAR_DIR"] = TMP
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syndesk.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from syndesk.catalog.models import Software  # noqa: E402
from syndesk.contracts.models import Subscription  # noqa: E402
from syndesk.members.models import Member  # noqa: E402
from syndesk.news import services  # noqa: E402
from syndesk.news.models import Notice, NoticeUpdate, PublicationClock  # noqa: E402

BODY = (
    "La version **2026.{i}** apporte :\n\n- la norme DSN de janvier ;\n- des corrections ;\n"
    "- un [guide](https://www.example.org/guide).\n\nInstallez-la avant la paie."
)


def populate(count: int) -> dict:
    softwares = [
        Software.objects.create(name=f"Logiciel {i}", editor="Éditeur", category="business")
        for i in range(20)
    ]
    now = timezone.now()
    kinds = [Notice.Kind.NEWS, Notice.Kind.INTERRUPTION, Notice.Kind.MAINTENANCE, Notice.Kind.INFO]
    notices = []
    for i in range(count):
        kind = kinds[i % 4]
        published = now - timedelta(hours=count - i)
        windowed = kind in (Notice.Kind.INTERRUPTION, Notice.Kind.MAINTENANCE)
        notices.append(
            Notice(
                kind=kind,
                title=f"Avis n° {i} — {kind}",
                body=BODY.format(i=i),
                status=Notice.Status.PUBLISHED,
                published_at=published,
                updated_at=published,
                starts_at=published if windowed else None,
                ends_at=published + timedelta(hours=2) if windowed else None,
                resolved_at=published + timedelta(hours=2) if windowed else None,
                severity=Notice.Severity.DEGRADED if windowed else "",
                guid=f"tag:bench.example,2026-01-01:notice:{i}",
            )
        )
    Notice.objects.bulk_create(notices, batch_size=500)
    through = Notice.software.through
    links, updates = [], []
    for i, notice in enumerate(Notice.objects.order_by("pk")):
        if i % 5:  # one in five is general
            links.append(through(notice_id=notice.pk, software_id=softwares[i % 20].pk))
            links.append(through(notice_id=notice.pk, software_id=softwares[(i + 7) % 20].pk))
        if notice.kind == Notice.Kind.INTERRUPTION:
            updates.append(NoticeUpdate(notice=notice, body="Point d'étape.", created_at=now))
            updates.append(
                NoticeUpdate(notice=notice, body="Rétabli.", is_resolution=True, created_at=now)
            )
    through.objects.bulk_create(links, batch_size=1000)
    NoticeUpdate.objects.bulk_create(updates, batch_size=1000)
    PublicationClock.touch()
    member = Member.objects.create(name="Commune de banc d'essai", siren="215007402")
    subscription = Subscription.objects.create(member=member, start=date(2025, 1, 1))
    subscription.software.add(*softwares[:3])
    token = services.issue_feed_token(member=member, issued_by=None)
    return {"software": softwares[0], "token": token}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1e3, p95 * 1e3


def measure(label: str, client: Client, url: str, n: int, *, cold=False, headers=None) -> None:
    headers = headers or {}
    expected = 304 if headers else 200
    response = client.get(url, headers=headers)  # warm-up (and cache fill)
    assert response.status_code == expected, (url, response.status_code)
    wall, cpu = [], []
    for _ in range(n):
        if cold:
            cache.clear()
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.get(url, headers=headers)
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        assert response.status_code == expected
    p50, p95 = percentiles(wall)
    c50, c95 = percentiles(cpu)
    print(
        f"{label:<46} wall p50 {p50:7.2f} p95 {p95:7.2f} ms | "
        f"cpu p50 {c50:7.2f} p95 {c95:7.2f} ms ({len(response.content)} B)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--notices", type=int, default=5000)
    args = parser.parse_args()
    n = args.requests

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = populate(args.notices)
    print(
        f"{Notice.objects.count()} notices, {NoticeUpdate.objects.count()} follow-ups, "
        f"built in {time.perf_counter() - started:.1f} s (SQLite under {TMP}); N={n}\n"
    )
    client = Client()
    rss, atom = "/flux/actualites.rss", "/flux/actualites.atom"
    private = f"/flux/prive/{data['token']}.rss"
    software = f"/flux/logiciels/{data['software'].pk}.atom"
    ical = "/flux/maintenance.ics"

    measure("RSS, all, rendered (cache emptied each time)", client, rss, n, cold=True)
    measure("RSS, all, from the cache", client, rss, n)
    measure("Atom, all, rendered", client, atom, n, cold=True)
    etag = client.get(rss)["ETag"]
    last_modified = client.get(rss)["Last-Modified"]
    measure("RSS, If-None-Match matches (304)", client, rss, n, headers={"If-None-Match": etag})
    measure(
        "RSS, If-Modified-Since matches (304)",
        client,
        rss,
        n,
        headers={"If-Modified-Since": last_modified},
    )
    measure("private feed, rendered", client, private, n, cold=True)
    measure("private feed, from the cache", client, private, n)
    etag = client.get(private)["ETag"]
    measure(
        "private feed, If-None-Match (304)", client, private, n, headers={"If-None-Match": etag}
    )
    measure("per-software Atom, rendered", client, software, n, cold=True)
    etag = client.get(software)["ETag"]
    measure("per-software Atom (304)", client, software, n, headers={"If-None-Match": etag})
    measure("iCalendar, rendered", client, ical, n, cold=True)
    etag = client.get(ical)["ETag"]
    measure("iCalendar (304)", client, ical, n, headers={"If-None-Match": etag})
    measure("status page (HTML, not cached)", client, "/etat-du-service/", n)


if __name__ == "__main__":
    main()
