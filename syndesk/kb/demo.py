"""Demo practical sheets for the demo catalogue (`load_kb_demo()`): realistic French sheets
about the software of the catalogue demo. Idempotent (a sheet whose title exists is left
alone) and tolerant: a sheet about software missing from the catalogue is still created,
just without that link. Made through the services, so they are audited and indexed."""

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from syndesk.catalog.models import Software
from syndesk.desk.models import Outcome, Ticket

from . import services
from .models import Sheet, SheetVote, TicketSheetLink

PUBLIC, MEMBERS, STAFF = "public", "members", "staff"


@dataclass(frozen=True)
class DemoSheet:
    title: str
    summary: str
    body: str
    software: tuple[str, ...] = ()
    tags: str = ""
    visibility: str = PUBLIC
    published: bool = True


SHEETS = [
    DemoSheet(
        "Télétransmettre un flux PES à Hélios avec S²LOW",
        "Déposer le flux comptable signé et suivre son acquittement par la DGFiP.",
        "## Avant de commencer\n\n- Le bordereau est **signé** (i-Parapheur ou certificat RGS).\n"
        "- Votre certificat S²LOW est installé dans le navigateur.\n\n"
        "## Étapes\n\n1. Connectez-vous à S²LOW et ouvrez le module **Hélios**.\n"
        "2. Cliquez sur *Télétransmettre un fichier* et choisissez le fichier PES.\n"
        "3. Vérifiez l'état : *Transmis*, puis *Acquittement reçu* sous 24 heures.\n\n"
        "En cas d'état *Erreur*, notez le message et appelez l'assistance.",
        ("S²LOW", "Hélios"),
        "télétransmission, pes, comptabilité",
    ),
    DemoSheet(
        "Comprendre un acquittement PES en anomalie",
        "Lire le fichier d'acquittement et identifier la pièce rejetée.",
        "Un acquittement **KO** indique la pièce et le code d'erreur.\n\n"
        "| Code | Signification |\n|---|---|\n| 1000 | Fichier mal formé |\n"
        "| 2000 | Signature absente ou invalide |\n\n"
        "Corrigez dans le logiciel financier, régénérez le flux puis télétransmettez à nouveau.",
        ("S²LOW", "Xémélios"),
        "pes, acquittement, télétransmission",
    ),
    DemoSheet(
        "Transmettre un acte au contrôle de légalité (ACTES)",
        "Délibérations et arrêtés : dépôt, classification et accusé de réception.",
        "1. Dans S²LOW, module **Actes**, cliquez sur *Nouvelle transmission*.\n"
        "2. Renseignez la nature, la **classification** et l'objet.\n"
        "3. Joignez l'acte en PDF et les annexes.\n"
        "4. Signez puis transmettez : l'accusé de réception de la préfecture arrive en "
        "quelques minutes.",
        ("S²LOW",),
        "actes, légalité, télétransmission",
    ),
    DemoSheet(
        "Signer un bordereau dans i-Parapheur",
        "Viser ou signer un dossier en attente, depuis un poste ou une tablette.",
        "Le dossier apparaît dans la bannette *À traiter*. Ouvrez-le, relisez les pièces, "
        "puis cliquez sur **Signer**. Le certificat sur clé USB doit être branché.\n\n"
        "Un dossier rejeté revient à l'émetteur avec votre commentaire.",
        ("i-Parapheur",),
        "signature, parapheur",
    ),
    DemoSheet(
        "Renouveler un certificat de signature électronique",
        "Anticiper l'expiration du certificat RGS de l'ordonnateur.",
        "Un certificat dure en général **trois ans**. Commandez le renouvellement deux mois "
        "avant l'échéance auprès de l'autorité de certification, puis installez-le et "
        "déclarez-le dans S²LOW et i-Parapheur.",
        ("i-Parapheur", "S²LOW"),
        "certificat, signature",
    ),
    DemoSheet(
        "Déposer une facture sur Chorus Pro",
        "Factures émises par la collectivité vers une autre entité publique.",
        "1. Connectez-vous à Chorus Pro.\n2. *Factures émises* → *Saisir une facture*.\n"
        "3. Indiquez le SIRET du destinataire et, s'il est exigé, le **code service**.\n"
        "4. Joignez le PDF et validez.",
        ("Chorus Pro",),
        "facturation, chorus",
    ),
    DemoSheet(
        "Récupérer les factures reçues dans Chorus Pro",
        "Traiter les factures des fournisseurs et les intégrer au logiciel financier.",
        "Les factures déposées par vos fournisseurs sont dans *Factures reçues*. Avec le "
        "connecteur du logiciel financier, elles arrivent automatiquement chaque nuit ; "
        "sinon, téléchargez-les et mandatez-les.",
        ("Chorus Pro", "e.magnus"),
        "facturation, chorus, mandatement",
    ),
    DemoSheet(
        "Saisir un mandat dans e.magnus",
        "Engagement, liquidation et mandatement d'une dépense.",
        "Dans **Gestion financière**, ouvrez *Dépenses* → *Mandats*. Sélectionnez "
        "l'engagement, vérifiez l'imputation et le tiers, puis validez. Le bordereau de "
        "mandats se génère en fin de journée.",
        ("e.magnus",),
        "comptabilité, mandatement",
    ),
    DemoSheet(
        "Préparer la paie du mois dans e.magnus",
        "Les étapes de la paie mensuelle, du calcul à l'édition des bulletins.",
        "1. Saisissez les éléments variables (heures, absences).\n2. Lancez le **calcul**.\n"
        "3. Contrôlez le journal de paie.\n4. Éditez les bulletins et le fichier de virement.\n"
        "5. Clôturez le mois avant la DSN.",
        ("e.magnus",),
        "paie, salaires",
    ),
    DemoSheet(
        "Déposer la DSN mensuelle sur net-entreprises",
        "Générer le fichier DSN depuis la paie et le déposer avant l'échéance.",
        "Générez la DSN depuis le logiciel de paie, puis déposez-la sur net-entreprises.fr "
        "avant le **5 ou le 15** du mois selon votre effectif. Conservez le certificat de "
        "conformité.",
        ("DSN / net-entreprises", "e.magnus"),
        "paie, dsn, déclarations",
    ),
    DemoSheet(
        "Installer la mise à jour réglementaire de janvier",
        "Budget et paie : la mise à jour annuelle obligatoire.",
        "La mise à jour de janvier intègre les nouveaux taux de cotisation et la nomenclature "
        "budgétaire. **Faites une sauvegarde** avant l'installation ; l'assistance peut "
        "l'installer à distance sur rendez-vous.",
        ("e.magnus", "Horizon On-Line"),
        "mise à jour, paie, budget",
    ),
    DemoSheet(
        "Sauvegarder les données avant une intervention",
        "Une sauvegarde vérifiée avant toute mise à jour ou restauration.",
        "Copiez la base sur un support externe ou vérifiez que la sauvegarde hébergée de la "
        "nuit est **terminée sans erreur**. Notez la date : l'assistance vous la demandera.",
        ("e.magnus", "Horizon On-Line"),
        "sauvegarde, restauration",
    ),
    DemoSheet(
        "Réinitialiser son mot de passe Horizon On-Line",
        "Mot de passe oublié ou compte bloqué après trois erreurs.",
        "Sur l'écran de connexion, cliquez sur *Mot de passe oublié* : un lien arrive par "
        "courriel. Si le compte est **bloqué**, l'administrateur de la collectivité le "
        "débloque dans *Gestion des utilisateurs*.",
        ("Horizon On-Line",),
        "mot de passe, connexion",
    ),
    DemoSheet(
        "Écran blanc au démarrage d'un logiciel en ligne",
        "Vider le cache du navigateur et vérifier les prérequis.",
        "1. Videz le cache (Ctrl+Maj+Suppr).\n2. Essayez un autre navigateur à jour.\n"
        "3. Vérifiez que le proxy de la mairie autorise le site de l'éditeur.",
        ("Horizon On-Line", "e.magnus"),
        "navigateur, connexion, dépannage",
    ),
    DemoSheet(
        "Créer un flux de télétransmission dans Pastell",
        "Paramétrer un type de dossier (actes, PES, mail sécurisé).",
        "Dans Pastell, menu **Configuration** → *Types de dossier*. Associez le connecteur "
        "S²LOW, le parapheur et, si besoin, le SAE. Testez avec un document fictif.",
        ("Pastell", "S²LOW"),
        "télétransmission, paramétrage",
    ),
    DemoSheet(
        "Envoyer un mail sécurisé avec Pastell",
        "Transmettre des pièces confidentielles avec accusé de lecture.",
        "Créez un dossier *Mail sécurisé*, ajoutez les destinataires et les pièces, puis "
        "envoyez. Le destinataire reçoit un lien ; vous voyez la date de lecture.",
        ("Pastell",),
        "messagerie, sécurité",
    ),
    DemoSheet(
        "Transmettre un acte d'état civil via COMEDEC",
        "Répondre à une demande de vérification d'état civil dématérialisée.",
        "Les demandes arrivent dans le logiciel d'état civil. Vérifiez l'acte, signez la "
        "réponse avec la carte agent et transmettez : la réponse est attendue sous "
        "**48 heures ouvrées**.",
        ("COMEDEC",),
        "état civil",
        MEMBERS,
    ),
    DemoSheet(
        "Mettre à jour la liste électorale (REU)",
        "Inscriptions, radiations et commission de contrôle.",
        "Les inscriptions déposées sur service-public.fr arrivent dans **ELIRE**. Instruisez "
        "chaque demande sous cinq jours ; la commission de contrôle se réunit avant chaque "
        "scrutin.",
        ("REU / ELIRE",),
        "élections",
        MEMBERS,
    ),
    DemoSheet(
        "Accepter une session de télémaintenance",
        "Autoriser un technicien de l'assistance à voir votre écran.",
        "Le technicien vous communique un **code à usage unique**. Lancez l'outil de "
        "télémaintenance, saisissez le code et acceptez. Vous gardez la main et pouvez "
        "fermer la session à tout moment.",
        (),
        "télémaintenance, assistance",
    ),
    DemoSheet(
        "Procédure interne : restauration d'une base e.magnus",
        "Pour les techniciens : restaurer une base depuis la sauvegarde de la nuit.",
        "1. Obtenir l'accord écrit du secrétaire de mairie.\n2. Arrêter les services.\n"
        "3. Restaurer la sauvegarde et vérifier la date des dernières écritures.\n"
        "4. Consigner l'intervention dans la demande.",
        ("e.magnus",),
        "restauration, sauvegarde, interne",
        STAFF,
    ),
    DemoSheet(
        "Brouillon : nouvelle version de Xémélios",
        "En cours de rédaction.",
        "À compléter après les tests de la nouvelle version.",
        ("Xémélios",),
        "pes",
        PUBLIC,
        published=False,
    ),
]


def _software_by_name() -> dict[str, Software]:
    names = {name for sheet in SHEETS for name in sheet.software}
    return {s.name: s for s in Software.objects.filter(name__in=names)}


@transaction.atomic
def load_kb_demo() -> dict[str, int]:
    """Create the demo sheets that do not exist yet; returns counts."""
    software = _software_by_name()
    existing = set(Sheet.objects.values_list("title", flat=True))
    created = 0
    for spec in SHEETS:
        if spec.title in existing:
            continue
        sheet = services.create_sheet(
            title=spec.title,
            summary=spec.summary,
            body=spec.body,
            software=[software[name] for name in spec.software if name in software],
            tags=spec.tags,
            visibility=spec.visibility,
            created_by=None,
        )
        if spec.published:
            services.publish_sheet(sheet=sheet, published_by=None)
        created += 1
    rng = random.Random(2026)  # noqa: S311 - demo data
    return {
        "sheets": created,
        "software": len(software),
        "resolutions": _link_resolutions(rng),
        "votes": _vote(rng),
    }


def _readable_by_members():
    return Sheet.objects.filter(
        status=Sheet.Status.PUBLISHED, visibility__in=[PUBLIC, MEMBERS]
    ).prefetch_related("software")


def _link_resolutions(rng: random.Random) -> int:
    """The desk demo resolves about one ticket in eight "by sheet" (desk does not know the
    sheets): give each of them the sheet that resolved it, one about its software, as
    resolve_by_sheet would have linked it, so that sheets show how many tickets they
    resolved. Those about software no sheet covers were solved without one."""
    by_software: dict[int, list[Sheet]] = {}
    for sheet in _readable_by_members():
        for software in sheet.software.all():
            by_software.setdefault(software.pk, []).append(sheet)
    tickets = list(
        Ticket.objects.filter(outcome=Outcome.BY_SHEET)
        .exclude(sheet_links__resolution=True)
        .only("pk", "software_id", "assignee_id", "resolved_at")
        .order_by("pk")
    )
    links, unlinked = [], []
    for ticket in tickets:
        candidates = by_software.get(ticket.software_id)
        if not candidates:
            unlinked.append(ticket.pk)
        else:
            links.append(
                TicketSheetLink(
                    ticket=ticket,
                    sheet=rng.choice(candidates),
                    resolution=True,
                    linked_by_id=ticket.assignee_id,
                )
            )
    Ticket.objects.filter(pk__in=unlinked).update(outcome=Outcome.SOLVED)
    TicketSheetLink.objects.bulk_create(links)
    # linked_at is set on creation (auto_now_add): date each link from its resolution.
    resolved = {t.pk: t.resolved_at for t in tickets}
    for link in links:
        link.linked_at = resolved[link.ticket_id] or link.linked_at
    TicketSheetLink.objects.bulk_update(links, ["linked_at"])
    return len(links)


def _vote(rng: random.Random) -> int:
    """The demo's member users said whether a few public sheets helped them."""
    users = (
        get_user_model()
        .objects.filter(email__in=["mairie@saint-hilaire.demo", "informatique@msm-normandie.demo"])
        .exclude(pk__in=SheetVote.objects.values("user_id"))  # idempotent: voted once
        .order_by("pk")
    )
    sheets = list(_readable_by_members().filter(visibility=PUBLIC).order_by("pk"))
    votes = [
        SheetVote(sheet=sheet, user=user, helpful=rng.random() < 0.8)
        for user in users
        for sheet in rng.sample(sheets, min(6, len(sheets)))
    ]
    SheetVote.objects.bulk_create(votes)
    return len(votes)
