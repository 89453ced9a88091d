"""The demo notices: idempotent, tolerant of a catalogue without the demo software."""

from datetime import date

import pytest
from django.utils import timezone

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.news.demo import load_news_demo
from syndesk.news.models import Notice

pytestmark = pytest.mark.django_db


def test_without_the_demo_software_only_general_notices_are_made(db):
    counts = load_news_demo()
    assert counts["software"] == 0
    assert set(Notice.objects.values_list("title", flat=True)) == {
        "Bienvenue sur le fil d'information de l'assistance",
        "Standard téléphonique : appels coupés",
    }
    assert not Notice.objects.filter(software__isnull=False).exists()


def test_with_the_catalogue_every_situation_is_shown_once(db):
    for name in ["e.magnus", "Pastell", "S²LOW", "i-Parapheur", "Chorus Pro", "Hélios"]:
        Software.objects.create(name=name, editor="Éditeur", category="demat")
    SoftwareVersion.objects.create(
        software=Software.objects.get(name="Pastell"), number="4.1.0", release_date=date(2026, 9, 1)
    )
    first = load_news_demo()
    assert first["versions"] == 1
    now = timezone.now()
    published = Notice.objects.published()
    assert published.ongoing_interruptions(now).count() == 1
    assert published.coming_maintenance(now).filter(starts_at__gt=now).count() == 2
    assert published.filter(kind="interruption", resolved_at__lte=now).count() == 2
    assert published.filter(version__number="4.1.0").exists()
    for notice in published:
        assert notice.guid.startswith("tag:")
        assert notice.published_at <= now
        assert notice.ends_at is None or notice.starts_at < notice.ends_at
    total = Notice.objects.count()
    assert load_news_demo() == {"notices": 0, "versions": 0, "software": 6}
    assert Notice.objects.count() == total
