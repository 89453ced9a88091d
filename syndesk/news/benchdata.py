"""Benchmark data: published notices in bulk (``manage.py generate_bench_data``; never
imported by the application). Same shape as bench/bench_feeds.py's: a quarter each of news,
interruptions with two follow-ups, maintenance and general information; four in five tagged
with two software."""

from datetime import timedelta

from django.utils import timezone

from syndesk.news.models import Notice, NoticeUpdate, PublicationClock

BODY = (
    "La version **2026.{i}** apporte :\n\n- la norme DSN de janvier ;\n- des corrections ;\n"
    "- un [guide](https://www.example.org/guide).\n\nInstallez-la avant la paie."
)


def generate(count: int, software: list) -> int:
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
    for i, notice in enumerate(Notice.objects.order_by("pk").only("pk", "kind")):
        if i % 5 and software:  # one in five is general
            links.append(through(notice_id=notice.pk, software_id=software[i % len(software)].pk))
            other = software[(i + 7) % len(software)].pk
            if other != software[i % len(software)].pk:
                links.append(through(notice_id=notice.pk, software_id=other))
        if notice.kind == Notice.Kind.INTERRUPTION:
            updates.append(NoticeUpdate(notice=notice, body="Point d'étape.", created_at=now))
            updates.append(
                NoticeUpdate(notice=notice, body="Rétabli.", is_resolution=True, created_at=now)
            )
    through.objects.bulk_create(links, batch_size=1000)
    NoticeUpdate.objects.bulk_create(updates, batch_size=1000)
    PublicationClock.touch()
    return count
