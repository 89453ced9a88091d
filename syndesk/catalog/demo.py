"""Demo catalogue: the software a syndicate actually assists with (DOMAIN.md §4), a support
offer with options, and one tariff deliberation.

Facts stay within what DOMAIN.md §4 and its cited sources say. Release dates come from the
Libriciel CHANGELOGs it cites (github.com/libriciel/s2low, github.com/libriciel/pastell);
where only a cadence is known (a January regulatory release), the date is left empty.
Prerequisites are illustrative, not the editors' published requirements.

TARIFF AMOUNTS ARE ILLUSTRATIVE: no peer syndicate's grid was found (DOMAIN.md §5). They
only show the three pricing methods; a deployment records its own deliberations.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from syndesk.members.models import PopulationType

from . import rules
from .models import (
    Deliberation,
    Offer,
    OfferKind,
    Prerequisite,
    PrerequisiteKind,
    Software,
    SoftwareCategory,
    SoftwareVersion,
    TariffGrid,
)
from .services import save_tariff_grid

BUSINESS = SoftwareCategory.BUSINESS
DEMAT = SoftwareCategory.DEMATERIALISATION
NOT_SUBJECT = "TVA non applicable — article 256 B du CGI"
JANUARY_RELEASE = (
    "Mise à jour réglementaire annuelle de janvier (paie/DSN, budget) ; "
    "date de sortie exacte non renseignée."
)


@dataclass(frozen=True)
class Req:
    kind: str
    component: str = ""
    min_version: str = ""
    min_quantity: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class Version:
    number: str
    release_date: date | None = None
    notes: str = ""
    prerequisites: tuple[Req, ...] = ()


@dataclass(frozen=True)
class Tool:
    name: str
    editor: str
    category: str
    description: str
    versions: tuple[Version, ...] = field(default=())


WINDOWS_10 = Req(PrerequisiteKind.OS, "Windows", "10", text="ou version ultérieure")
RAM_8 = Req(PrerequisiteKind.RAM, min_quantity=Decimal(8))
BROWSER = Req(PrerequisiteKind.BROWSER, "Navigateur récent (Firefox, Edge, Chrome)")

SOFTWARE = [
    Tool(
        "e.magnus",
        "Berger-Levrault",
        BUSINESS,
        "Suite de gestion des mairies : finances, ressources humaines et paie, état civil, "
        "élections. Gamme issue de Magnus.",
        (
            Version("2025", notes=JANUARY_RELEASE),
            Version("2026", notes=JANUARY_RELEASE, prerequisites=(WINDOWS_10, RAM_8)),
        ),
    ),
    Tool(
        "Horizon On-Line",
        "JVS-Mairistem",
        BUSINESS,
        "Comptabilité, budget, paie et état civil des collectivités, en ligne "
        "(Horizon On-Line, Horizon Cloud).",
        (
            Version("2025", notes=JANUARY_RELEASE),
            Version("2026", notes=JANUARY_RELEASE, prerequisites=(BROWSER,)),
        ),
    ),
    Tool(
        "Gammes WIN et WEB",
        "AGEDI",
        BUSINESS,
        "Comptabilité, facturation de l'eau et émission des factures au format PES ASAP.",
        (Version("2026", notes=JANUARY_RELEASE),),
    ),
    Tool(
        "Coloris",
        "Cosoluce",
        BUSINESS,
        "Gammes de gestion pour les petites communes.",
    ),
    Tool(
        "Suite Ségilog",
        "Ségilog",
        BUSINESS,
        "Logiciels de gestion pour les petites communes.",
    ),
    Tool(
        "Civil Net RH",
        "Ciril GROUP",
        BUSINESS,
        "Gestion des ressources humaines et de la paie des collectivités de taille importante.",
    ),
    Tool(
        "Civil Net Finances",
        "Ciril GROUP",
        BUSINESS,
        "Gestion financière et comptable des collectivités de taille importante.",
    ),
    Tool(
        "Xémélios",
        "DGFiP",
        DEMAT,
        "Outil gratuit de la DGFiP : visionneuse des fichiers PES/XML (paie, pièces "
        "justificatives), générateur de PES PJ et outil de signature.",
        (
            Version(
                "actuelle",
                notes="Diffusion irrégulière par la DGFiP ; numéro de version à renseigner.",
                prerequisites=(Req(PrerequisiteKind.RUNTIME, "Java", "8"), WINDOWS_10),
            ),
        ),
    ),
    Tool(
        "S²LOW",
        "Libriciel (ADULLACT à l'origine)",
        DEMAT,
        "Opérateur de transmission homologué : contrôle de légalité des actes (@ctes) et "
        "flux comptables PES vers Hélios.",
        (
            Version("5.0.47", date(2025, 2, 11), "Dernière version de la branche 5.0."),
            Version(
                "5.1.0",
                date(2025, 2, 12),
                "Rend obsolètes l'outil de signature intégré et les mails sécurisés "
                "(remplacés par ceux de Pastell).",
                (
                    BROWSER,
                    Req(
                        PrerequisiteKind.OTHER,
                        text="Certificat électronique de niveau RGS pour la télétransmission",
                    ),
                ),
            ),
        ),
    ),
    Tool(
        "Pastell",
        "Libriciel",
        DEMAT,
        "Plateforme de circulation des documents et des flux : connecteurs vers l'opérateur "
        "de transmission, le parapheur, l'archivage électronique (SAE) et la GED.",
        (
            Version("4.0.15", date(2024, 8, 12)),
            Version(
                "4.1.0",
                date(2024, 9, 27),
                "Nécessite la mise à jour du générateur SEDA en version 1.1.0.",
                (BROWSER,),
            ),
        ),
    ),
    Tool(
        "i-Parapheur",
        "Libriciel",
        DEMAT,
        "Parapheur électronique : circuits de validation et signature électronique des actes "
        "et des flux comptables.",
    ),
    Tool(
        "Chorus Pro",
        "AIFE",
        DEMAT,
        "Portail de facturation électronique du secteur public : dépôt et réception des "
        "factures des fournisseurs.",
        (
            Version(
                "Spécifications 4.21", notes="Spécifications externes publiées en décembre 2021."
            ),
        ),
    ),
    Tool(
        "COMEDEC",
        "ANTS / ministère de la Justice",
        DEMAT,
        "Échange dématérialisé des données d'état civil ; obligatoire depuis novembre 2018 "
        "pour les communes dotées d'une maternité. Plateforme sans numéro de version.",
    ),
    Tool(
        "REU / ELIRE",
        "INSEE",
        DEMAT,
        "Répertoire électoral unique depuis 2019 : le logiciel d'élections de la mairie se "
        "synchronise avec le portail ELIRE. Activité de pointe avant chaque scrutin.",
    ),
    Tool(
        "DSN / net-entreprises",
        "GIP-MDS",
        DEMAT,
        "Déclarations sociales nominatives et prélèvement à la source de l'impôt sur le "
        "revenu ; une nouvelle norme DSN s'applique chaque mois de janvier.",
        (
            Version("Norme 2025", notes="Norme annuelle applicable en janvier."),
            Version("Norme 2026", notes="Norme annuelle applicable en janvier."),
        ),
    ),
]

SUPPORT_CODE = "assistance"
# (code, name, kind, software name, description)
OFFERS = [
    (
        SUPPORT_CODE,
        "Assistance logiciels métiers et dématérialisation",
        OfferKind.SUPPORT,
        None,
        "Abonnement annuel de l'annexe : assistance téléphonique et télémaintenance aux heures "
        "ouvrables, fil d'information et fiches pratiques, pour les logiciels métiers et les "
        "outils de dématérialisation couverts.",
    ),
    ("option-paie-emagnus", "Option paie e.magnus", OfferKind.OPTION, "e.magnus", ""),
    (
        "option-etat-civil-emagnus",
        "Option état civil et élections e.magnus",
        OfferKind.OPTION,
        "e.magnus",
        "",
    ),
    (
        "option-paie-horizon",
        "Option paie Horizon On-Line",
        OfferKind.OPTION,
        "Horizon On-Line",
        "",
    ),
    (
        "option-finances-horizon",
        "Option finances Horizon On-Line",
        OfferKind.OPTION,
        "Horizon On-Line",
        "",
    ),
    (
        "option-teletransmission",
        "Option télétransmission S²LOW (actes et flux comptables)",
        OfferKind.OPTION,
        "S²LOW",
        "",
    ),
    (
        "option-parapheur",
        "Option parapheur électronique i-Parapheur",
        OfferKind.OPTION,
        "i-Parapheur",
        "",
    ),
]

DELIBERATION = {
    "number": "2025-38",
    "date": date(2025, 11, 20),
    "enforceable_on": date(2025, 12, 5),
    "subject": "Tarifs 2026 des services numériques",
}
EFFECTIVE = date(2026, 1, 1)
# Illustrative amounts (see the module docstring). The demo members carry the municipal
# population (INSEE legal populations file), so the grids refer to it.
SUPPORT_BRACKETS = [
    rules.Bracket(0, 499, Decimal("350.00")),
    rules.Bracket(500, 1999, Decimal("650.00")),
    rules.Bracket(2000, 4999, Decimal("1100.00")),
    rules.Bracket(5000, 9999, Decimal("1800.00")),
    rules.Bracket(10000, None, Decimal("2900.00")),
]
PER_INHABITANT = {
    "per_inhabitant": Decimal("0.30"),
    "floor": Decimal("150.00"),
    "ceiling": Decimal("2500.00"),
}
GRIDS = {
    SUPPORT_CODE: (rules.BRACKET, {}),
    "option-paie-emagnus": (rules.PER_INHABITANT, PER_INHABITANT),
    "option-paie-horizon": (rules.PER_INHABITANT, PER_INHABITANT),
    "option-etat-civil-emagnus": (rules.FLAT, {"amount": Decimal("180.00")}),
    "option-finances-horizon": (rules.FLAT, {"amount": Decimal("200.00")}),
    "option-teletransmission": (rules.FLAT, {"amount": Decimal("250.00")}),
    "option-parapheur": (rules.FLAT, {"amount": Decimal("300.00")}),
}


def _load_software() -> dict[str, Software]:
    by_name = {}
    for tool in SOFTWARE:
        software, _created = Software.objects.update_or_create(
            name=tool.name,
            defaults={
                "editor": tool.editor,
                "category": tool.category,
                "description": tool.description,
            },
        )
        by_name[tool.name] = software
        for spec in tool.versions:
            version, _created = SoftwareVersion.objects.update_or_create(
                software=software,
                number=spec.number,
                defaults={"release_date": spec.release_date, "notes": spec.notes},
            )
            for req in spec.prerequisites:
                Prerequisite.objects.get_or_create(
                    version=version,
                    kind=req.kind,
                    component=req.component,
                    text=req.text,
                    defaults={"min_version": req.min_version, "min_quantity": req.min_quantity},
                )
    return by_name


def _load_offers(software: dict[str, Software]) -> dict[str, Offer]:
    offers = {}
    for position, (code, name, kind, software_name, description) in enumerate(OFFERS):
        offers[code], _created = Offer.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "software": software.get(software_name) if software_name else None,
                "description": description,
                "vat_rate": None,
                "vat_mention": NOT_SUBJECT,
                "position": position,
            },
        )
    return offers


def _load_grids(offers: dict[str, Offer]) -> None:
    deliberation, _created = Deliberation.objects.update_or_create(
        number=DELIBERATION["number"],
        defaults={k: v for k, v in DELIBERATION.items() if k != "number"},
    )
    for code, (method, terms) in GRIDS.items():
        offer = offers[code]
        if TariffGrid.objects.filter(offer=offer, effective_from=EFFECTIVE).exists():
            continue  # recorded grids are not rewritten (they may already apply)
        save_tariff_grid(
            grid=TariffGrid(
                deliberation=deliberation,
                offer=offer,
                effective_from=EFFECTIVE,
                method=method,
                population_type=PopulationType.MUNICIPALE,
                **terms,
            ),
            brackets=SUPPORT_BRACKETS if method == rules.BRACKET else [],
            saved_by=None,
        )


@transaction.atomic
def load_catalog_demo() -> dict[str, int]:
    """Create or refresh the demo catalogue; running it twice changes nothing."""
    software = _load_software()
    offers = _load_offers(software)
    _load_grids(offers)
    return {
        "software": Software.objects.count(),
        "versions": SoftwareVersion.objects.count(),
        "offers": Offer.objects.count(),
        "deliberations": Deliberation.objects.count(),
        "grids": TariffGrid.objects.count(),
    }
