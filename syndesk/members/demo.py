"""Deterministic demo data: real member organisations of the Manche (public reference data
committed under data/), plausible identifiers that pass validation, invented people."""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from stdnum.fr import siren as siren_check
from stdnum.fr import siret as siret_check

from syndesk.core import roles

from .models import Contact, LegalCategory, Member, MemberPhone, Membership, PopulationType

DATA_DIR = Path(__file__).parent / "data"
DEMO_PASSWORD = "demo-syndesk-2026"  # noqa: S105 - printed by `make demo`, demo only
COMMUNE_COUNT = 134
CCAS_COUNT = 8

FIRST_NAMES = [
    "Nathalie",
    "Sandrine",
    "Isabelle",
    "Valérie",
    "Christine",
    "Sophie",
    "Céline",
    "Catherine",
    "Martine",
    "Sylvie",
    "Philippe",
    "Jean-Luc",
    "Thierry",
    "Patrick",
    "Michel",
    "Hervé",
    "Pascal",
    "Gérard",
    "Daniel",
    "Alain",
    "Émilie",
    "Aurélie",
]
LAST_NAMES = [
    "Lecoq",
    "Lefranc",
    "Marie",
    "Hamel",
    "Lebrun",
    "Leroux",
    "Guérin",
    "Lemoine",
    "Jeanne",
    "Lecardonnel",
    "Hébert",
    "Lemonnier",
    "Poisson",
    "Levallois",
    "Osmont",
    "Leconte",
    "Tanqueray",
    "Lehodey",
    "Dupont",
    "Lepetit",
    "Quesnel",
    "Fautrat",
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    label: str


STAFF = [
    ("responsable@syndesk.demo", "Marie", "Lenoir", roles.MANAGER),
    ("agent@syndesk.demo", "Agnès", "Hue", roles.AGENT),
    ("finances@syndesk.demo", "Bruno", "Roger", roles.BILLING),
]


def with_luhn(prefix: str, length: int, check) -> str:
    """Complete `prefix` with the smallest digits that make a valid identifier."""
    missing = length - len(prefix)
    for n in range(10**missing):
        candidate = f"{prefix}{n:0{missing}d}"
        if check.is_valid(candidate):
            return candidate
    raise ValueError(prefix)


def billing_siret(siren: str) -> str:
    return with_luhn(f"{siren}0001", 14, siret_check)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _phone(rng: random.Random) -> str:
    return f"+3323{rng.randint(3000000, 3999999)}"


def _upsert_member(*, siren: str, **fields) -> Member:
    # One generator per member, seeded by its SIREN: reruns give the same people.
    rng = random.Random(int(siren))  # noqa: S311 - demo data, not security
    member = Member.objects.filter(siren=siren).first() or Member(siren=siren)
    fields["signatory_name"] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES).upper()}"
    for key, value in fields.items():
        setattr(member, key, value)
    member.siret = billing_siret(siren)
    member.save()
    if not member.phones.exists():
        MemberPhone.objects.create(member=member, number=_phone(rng))
    if not member.contacts.exists():
        secretary = Contact(
            member=member,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            role="Secrétaire de mairie"
            if member.legal_category == LegalCategory.COMMUNE
            else "Responsable administratif",
            is_primary=True,
        )
        secretary.email = f"secretariat@{member.search_name.replace(' ', '-')}.demo"
        secretary.phone = member.phones.first().number
        secretary.save()
    return member


def _select_communes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The 30 largest communes, then every third of the others (stable order)."""
    by_size = sorted(rows, key=lambda r: (-int(r["population"] or 0), r["insee_code"]))
    chosen = by_size[:30] + by_size[30::3]
    return sorted(chosen[:COMMUNE_COUNT], key=lambda r: r["insee_code"])


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Create or refresh the demo data; running it twice changes nothing."""
    roles.sync_roles()
    epcis = {}
    for row in _rows("epci-50.csv"):
        kind = (
            LegalCategory.COMMUNAUTE_AGGLOMERATION
            if row["kind"] == "ca"
            else LegalCategory.COMMUNAUTE_COMMUNES
        )
        epcis[row["name"]] = _upsert_member(
            siren=row["siren"],
            name=row["name"],
            legal_category=kind,
            signatory_title="Président",
            chorus_service_code="FACTURES",
            commitment_number_required=True,
        )
    communes = []
    for row in _select_communes(_rows("communes-50.csv")):
        siren = with_luhn(f"21{row['insee_code']}", 9, siren_check)
        communes.append(
            _upsert_member(
                siren=siren,
                name=row["name"],
                legal_category=LegalCategory.COMMUNE,
                insee_code=row["insee_code"],
                postal_code=row["postal_code"],
                city=row["name"],
                address="Mairie\nPlace de la Mairie",
                parent=epcis.get(row["epci_name"]),
                population=int(row["population"]) if row["population"] else None,
                population_type=PopulationType.MUNICIPALE,
                population_year=int(row["population_year"]) if row["population_year"] else None,
                signatory_title="Maire",
            )
        )
    largest = sorted(communes, key=lambda m: -(m.population or 0))[:CCAS_COUNT]
    for commune in largest:
        _upsert_member(
            siren=with_luhn(f"26{commune.insee_code}", 9, siren_check),
            name=f"CCAS de {commune.name}",
            legal_category=LegalCategory.CCAS,
            insee_code=commune.insee_code,
            postal_code=commune.postal_code,
            city=commune.city,
            parent=None,
            signatory_title="Vice-président(e)",
        )
    _load_accounts(communes, epcis)
    return {"members": Member.objects.count(), "users": get_user_model().objects.count()}


def demo_accounts() -> list[DemoAccount]:
    accounts = [DemoAccount(email, f"{roles.ROLES[role]}") for email, _f, _l, role in STAFF]
    accounts.append(
        DemoAccount(
            "mairie@saint-hilaire.demo", "Secrétaire de mairie de Saint-Hilaire-du-Harcouët"
        )
    )
    accounts.append(
        DemoAccount(
            "informatique@msm-normandie.demo", "Agent de l'EPCI, accès à plusieurs communes"
        )
    )
    return accounts


def _account(email: str, first: str, last: str, *, staff: bool = False):
    user_model = get_user_model()
    user = user_model.objects.filter(email=email).first()
    if user is None:
        user = user_model.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            is_staff=staff,
        )
    return user


def _load_accounts(communes: list[Member], epcis: dict[str, Member]) -> None:
    for email, first, last, role in STAFF:
        user = _account(email, first, last, staff=True)
        user.groups.add(Group.objects.get(name=role))
    by_name = {m.name: m for m in communes}
    saint_hilaire = by_name.get("Saint-Hilaire-du-Harcouët") or communes[0]
    secretary = _account("mairie@saint-hilaire.demo", "Sylvie", "Lemonnier")
    Membership.objects.get_or_create(
        user=secretary, member=saint_hilaire, defaults={"role": "Secrétaire de mairie"}
    )
    epci = epcis.get("CA Mont-Saint-Michel-Normandie") or next(iter(epcis.values()))
    officer = _account("informatique@msm-normandie.demo", "Hervé", "Quesnel")
    Membership.objects.get_or_create(
        user=officer, member=epci, defaults={"role": "Chargé de mission numérique"}
    )
    for commune in [c for c in communes if c.parent_id == epci.pk][:3]:
        Membership.objects.get_or_create(
            user=officer, member=commune, defaults={"role": "Assistance mutualisée"}
        )
