"""Demo notices: news, new versions from the catalogue, one interruption under way, past
ones, planned maintenance. Software is looked up by name (the catalogue demo creates it);
whatever is missing is skipped. Running it again creates nothing new: each demo notice is
recognised by its title."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.core.audit import log_action

from .models import Notice, NoticeUpdate, PublicationClock
from .services import create_version_notice

# Names as in DOMAIN.md §4; the first match of each group is used.
SOFTWARE = {
    "finance": ["e.magnus", "e.magnus Finances", "Horizon On-Line"],
    "payroll": ["e.magnus Paie", "e.magnus", "Horizon On-Line"],
    "pastell": ["Pastell"],
    "s2low": ["S²LOW", "S2LOW"],
    "parapheur": ["i-Parapheur", "iParapheur"],
    "chorus": ["Chorus Pro"],
    "helios": ["Hélios", "Helios"],
}
VERSION_NOTICES = 4  # the most recent catalogue versions of the demo software


@dataclass
class DemoNotice:
    title: str
    kind: str
    body: str
    software: list[str] = field(default_factory=list)
    published: timedelta = timedelta(0)  # before now
    # Windows are placed from today's midnight (Paris) so that times look like real ones
    # (18:00, not 13:47); `from_now` places them from the current hour instead.
    starts: timedelta | None = None
    ends: timedelta | None = None
    from_now: bool = False
    severity: str = ""
    updates: list[tuple[timedelta, str]] = field(default_factory=list)
    resolution: tuple[timedelta, str] | None = None


def _demo_notices() -> list[DemoNotice]:
    d, h = timedelta(days=1), timedelta(hours=1)
    return [
        DemoNotice(
            "Bienvenue sur le fil d'information de l'assistance",
            Notice.Kind.INFO,
            "Retrouvez ici les **nouveautés des logiciels**, les **interruptions de service** "
            "et les **maintenances programmées**.\n\n"
            "Abonnez-vous au flux RSS ou, depuis le portail, au flux privé de votre "
            "collectivité : il ne contient que les avis qui concernent vos logiciels.",
            published=60 * d,
        ),
        DemoNotice(
            "Déclarations sociales : la norme DSN de janvier est disponible",
            Notice.Kind.NEWS,
            "La nouvelle norme DSN s'applique aux paies de janvier. Installez la mise à jour "
            "réglementaire de votre logiciel de paie **avant** de calculer les salaires.\n\n"
            "- vérifiez le taux de prélèvement à la source ;\n"
            "- contrôlez le premier envoi sur net-entreprises.",
            ["payroll"],
            published=20 * d,
        ),
        DemoNotice(
            "Pastell : lenteurs à l'envoi des actes",
            Notice.Kind.INTERRUPTION,
            "Les envois d'actes vers le contrôle de légalité sont très lents depuis ce matin. "
            "Les actes déposés ne sont pas perdus : inutile de les renvoyer.",
            ["pastell", "s2low"],
            starts=-2 * h,
            from_now=True,
            severity=Notice.Severity.DEGRADED,
            updates=[(-1 * h, "L'éditeur a identifié la cause ; un correctif est en cours.")],
        ),
        DemoNotice(
            "Chorus Pro indisponible",
            Notice.Kind.INTERRUPTION,
            "Le portail Chorus Pro ne répond plus. Les dépôts de factures sont impossibles.",
            ["chorus"],
            starts=-12 * d + 9 * h,
            severity=Notice.Severity.OUTAGE,
            updates=[(-12 * d + 11 * h, "L'AIFE confirme l'incident.")],
            resolution=(-12 * d + 13 * h, "Le portail est de nouveau accessible."),
        ),
        DemoNotice(
            "Standard téléphonique : appels coupés",
            Notice.Kind.INTERRUPTION,
            "Certains appels vers l'assistance sont coupés. Écrivez-nous en attendant.",
            starts=-40 * d + 14 * h,
            severity=Notice.Severity.MINOR,
            resolution=(-40 * d + 16 * h, "L'opérateur a rétabli la ligne."),
        ),
        DemoNotice(
            "Maintenance du parapheur électronique",
            Notice.Kind.MAINTENANCE,
            "Le parapheur sera indisponible pendant la mise à jour. Signez vos documents "
            "urgents la veille.",
            ["parapheur"],
            published=2 * d,
            starts=5 * d + 18 * h,
            ends=5 * d + 21 * h,
            severity=Notice.Severity.OUTAGE,
        ),
        DemoNotice(
            "Hélios : maintenance de la DGFiP",
            Notice.Kind.MAINTENANCE,
            "Les flux PES ne seront pas traités pendant la maintenance de la DGFiP.",
            ["helios"],
            published=1 * d,
            starts=12 * d + 19 * h,
            ends=13 * d + 7 * h,
            severity=Notice.Severity.OUTAGE,
        ),
        DemoNotice(
            "Mise à jour de la plateforme de télétransmission",
            Notice.Kind.MAINTENANCE,
            "Nouvelle version installée ; aucun changement pour vous.",
            ["s2low"],
            published=30 * d,
            starts=-25 * d + 18 * h,
            ends=-25 * d + 20 * h,
            severity=Notice.Severity.OUTAGE,
            resolution=(-25 * d + 19 * h, "Mise à jour terminée plus tôt que prévu."),
        ),
    ]


def _software_by_key() -> dict[str, Software]:
    names = {name for candidates in SOFTWARE.values() for name in candidates}
    found = {s.name: s for s in Software.objects.filter(name__in=names)}
    chosen = {}
    for key, candidates in SOFTWARE.items():
        for name in candidates:
            if name in found:
                chosen[key] = found[name]
                break
    return chosen


def _create(spec: DemoNotice, software: dict[str, Software], now) -> Notice | None:
    wanted = [software[key] for key in spec.software if key in software]
    if spec.software and not wanted:
        return None  # its software is not in the catalogue: skip rather than mislabel
    local = timezone.localtime(now)
    hour = local.replace(minute=0, second=0, microsecond=0)
    anchor = hour if spec.from_now else local.replace(hour=0, minute=0, second=0, microsecond=0)
    published_at = now - spec.published
    if spec.kind == Notice.Kind.INTERRUPTION and spec.starts is not None:
        # An interruption is announced shortly after it starts.
        published_at = min(anchor + spec.starts + timedelta(minutes=10), now)
    notice = Notice.objects.create(
        kind=spec.kind,
        title=spec.title,
        body=spec.body,
        severity=spec.severity,
        starts_at=anchor + spec.starts if spec.starts is not None else None,
        ends_at=anchor + spec.ends if spec.ends is not None else None,
        status=Notice.Status.PUBLISHED,
        published_at=published_at,
        updated_at=published_at,
        guid=f"pending:{spec.title}",
    )
    notice.guid = notice.tag_guid()
    notice.software.set(wanted)
    last = published_at
    for offset, text in spec.updates:
        at = min(anchor + offset, now)
        NoticeUpdate.objects.create(notice=notice, body=text, created_at=at)
        last = max(last, at)
    if spec.resolution:
        offset, text = spec.resolution
        at = min(anchor + offset, now)
        NoticeUpdate.objects.create(notice=notice, body=text, created_at=at, is_resolution=True)
        last = notice.resolved_at = notice.ends_at = max(last, at)
    notice.updated_at = last
    notice.save()
    log_action("news.notice.published", target=notice, data={"demo": True})
    return notice


def _version_notices(software: dict[str, Software], now) -> int:
    created = 0
    versions = (
        SoftwareVersion.objects.filter(software__in=set(software.values()))
        .select_related("software")
        .order_by("-release_date", "-pk")[:VERSION_NOTICES]
    )
    for version in versions:
        if Notice.objects.filter(version=version).exists():
            continue
        notice = create_version_notice(version=version, created_by=None)
        released = version.release_date
        published_at = (
            timezone.make_aware(datetime.combine(released, time(9)))
            if released and released <= now.date()
            else now - timedelta(days=1)
        )
        Notice.objects.filter(pk=notice.pk).update(
            status=Notice.Status.PUBLISHED, published_at=published_at, updated_at=published_at
        )
        created += 1
    return created


@transaction.atomic
def load_news_demo() -> dict[str, int]:
    """Create the demo notices that do not exist yet; returns how many were created."""
    now = timezone.now()
    software = _software_by_key()
    existing = set(Notice.objects.values_list("title", flat=True))
    created = 0
    for spec in _demo_notices():
        if spec.title not in existing and _create(spec, software, now) is not None:
            created += 1
    versions = _version_notices(software, now)
    if created or versions:
        PublicationClock.touch()
    return {"notices": created, "versions": versions, "software": len(set(software.values()))}
