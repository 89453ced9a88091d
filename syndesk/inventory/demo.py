"""Demo inventory: software with licences and workstations for some demo members (the
portal's town hall first), a few declarations in each state, and some workstations that
fail the editors' prerequisites (old Windows, 4 GB of RAM). Idempotent: rows are matched
by member and name (or software); declarations are created once."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.members.models import Member, Membership

from .licence import LicenceKey
from .models import (
    Declaration,
    DeclarationKind,
    DeclarationStatus,
    Installation,
    Role,
    UpdateStatus,
    Workstation,
)

PORTAL_MEMBER = "Saint-Hilaire-du-Harcouët"
OTHER_MEMBERS = 24
SEED = 2026
MACHINES = [
    # name, role, OS family, version, RAM, free disk, browser, version, runtimes
    ("Accueil", Role.WORKSTATION, "windows", "11", "16", "180", "firefox", "128", ""),
    ("Secrétariat", Role.WORKSTATION, "windows", "10", "8", "95", "edge", "131", "Java 8"),
    ("Comptabilité", Role.WORKSTATION, "windows", "10", "4", "40", "firefox", "115", "Java 8"),
    ("État civil", Role.WORKSTATION, "windows", "7", "4", "25", "ie", "11", ""),
    ("SRV-MAIRIE", Role.SERVER, "windows_server", "2019", "32", "600", "", "", ".NET 4.8"),
]
BUSINESS = ["e.magnus", "Horizon On-Line", "Gammes WIN et WEB"]
DEMAT = ["Xémélios", "S²LOW", "Pastell"]


def _key(rng: random.Random, prefix: str) -> LicenceKey:
    blocks = ["".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=4)) for _ in range(3)]
    return LicenceKey(f"{prefix}-{'-'.join(blocks)}")


def _versions() -> dict[str, list[SoftwareVersion]]:
    found: dict[str, list[SoftwareVersion]] = {}
    for version in SoftwareVersion.objects.select_related("software").order_by("pk"):
        found.setdefault(version.software.name, []).append(version)
    return found


def _member_inventory(member: Member, versions, portal: bool) -> None:
    # One generator per member (demo data, not secrets): the same member gets the same
    # machines on every run, whatever was created before.
    rng = random.Random(f"{SEED}:{member.siren}")  # noqa: S311
    machines = MACHINES[:4] if portal else rng.sample(MACHINES, rng.randint(1, 3))
    workstations = []
    for name, role, family, os_version, ram, disk, browser, b_version, runtimes in machines:
        workstation, _created = Workstation.objects.get_or_create(
            member=member,
            name=name,
            defaults={
                "role": role,
                "os_family": family,
                "os_version": os_version,
                "ram_gib": Decimal(ram),
                "free_disk_gib": Decimal(disk),
                "cpu": "Intel Core i5" if role == Role.WORKSTATION else "Intel Xeon E-2334",
                "cpu_cores": 4 if role == Role.WORKSTATION else 8,
                "browser": browser,
                "browser_version": b_version,
                "runtimes": runtimes,
                "antivirus": "Microsoft Defender",
                "antivirus_up_to_date": os_version != "7",
                "update_status": UpdateStatus.PENDING
                if os_version == "7"
                else UpdateStatus.UP_TO_DATE,
                "last_checked": timezone.localdate() - timedelta(days=rng.randint(5, 200)),
            },
        )
        workstations.append(workstation)
    names = (
        ["e.magnus", "Xémélios", "S²LOW"]
        if portal
        else [
            rng.choice(BUSINESS),
            *rng.sample(DEMAT, rng.randint(0, 2)),
        ]
    )
    for name in names:
        known = versions.get(name)
        if not known:
            continue
        software = known[0].software
        version = known[0] if (len(known) > 1 and rng.random() < 0.4) else known[-1]
        on = [w for w in workstations if w.role == Role.SERVER or rng.random() < 0.7]
        key = _key(rng, software.name[:4].upper().replace(".", ""))
        seats = rng.choice([1, 2, 3, 5])
        contract = f"CT-{rng.randint(10000, 99999)}"
        installation, created = Installation.objects.get_or_create(
            member=member,
            software=software,
            defaults={
                "version": version,
                "licence_key": key,
                "seats": seats,
                "licence_expiry": date(timezone.localdate().year + 1, 12, 31),
                "vendor_contract_ref": contract,
            },
        )
        if created:
            installation.workstations.set(on or workstations[:1])


def _declarations(member: Member, versions) -> int:
    if Declaration.objects.filter(member=member).exists():
        return 0
    user = Membership.objects.filter(member=member).select_related("user").order_by("pk").first()
    submitted_by = user.user if user else None
    emagnus = (versions.get("e.magnus") or [None])[-1]
    pastell = (versions.get("Pastell") or [None])[-1]
    now = timezone.now()
    rows = [
        Declaration(
            member=member,
            kind=DeclarationKind.PLANNED,
            workstation_name="Accueil 2",
            planned_date=timezone.localdate() + timedelta(days=30),
            os_family="windows",
            os_version="11",
            ram_gib=Decimal("8"),
            free_disk_gib=Decimal("256"),
            browser="edge",
            software=emagnus.software if emagnus else None,
            version=emagnus,
            description="Remplacement du poste de l'accueil.",
            submitted_by=submitted_by,
        ),
        Declaration(
            member=member,
            kind=DeclarationKind.HARDWARE,
            workstation_name="Comptabilité",
            os_family="windows",
            os_version="10",
            ram_gib=Decimal("4"),
            status=DeclarationStatus.NEEDS_DETAILS,
            reason="Pouvez-vous préciser l'espace disque libre et la version de Java ?",
            details_requested_at=now - timedelta(days=9),
            submitted_by=submitted_by,
        ),
    ]
    if pastell:
        rows.append(
            Declaration(
                member=member,
                kind=DeclarationKind.SOFTWARE,
                software=pastell.software,
                version=pastell,
                licence_key=LicenceKey("PAST-DEMO-2026-0042"),
                seats=2,
                status=DeclarationStatus.SUBMITTED,
                submitted_by=submitted_by,
            )
        )
    Declaration.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def load_inventory_demo() -> dict[str, int]:
    """Create or complete the demo inventory; running it twice changes nothing."""
    versions = _versions()
    if not versions or not Software.objects.exists():
        return {"installations": 0, "workstations": 0, "declarations": 0}
    members = list(
        Member.objects.filter(is_active=True)
        .exclude(name=PORTAL_MEMBER)
        .order_by("-population", "pk")[:OTHER_MEMBERS]
    )
    portal = Member.objects.filter(name=PORTAL_MEMBER).first()
    declarations = 0
    if portal is not None:
        _member_inventory(portal, versions, portal=True)
        declarations += _declarations(portal, versions)
    for member in members:
        _member_inventory(member, versions, portal=False)
    if members:
        declarations += _declarations(members[0], versions)
    return {
        "installations": Installation.objects.count(),
        "workstations": Workstation.objects.count(),
        "declarations": declarations,
    }
