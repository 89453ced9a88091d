"""Seed the annex's six exclusions ("Ne sont pas compris dans l'assistance") and default
SLA targets. Both are editable by managers afterwards; this migration only creates rows
that do not exist yet, and its reverse removes nothing a manager may have changed."""

from datetime import timedelta

from django.db import migrations

SUPPLIERS = (
    "Conformément à l'annexe des conditions particulières, cette demande doit être "
    "sollicitée par la collectivité auprès de ses fournisseurs et interlocuteurs habituels."
)


def _answer(what: str, advice: str) -> str:
    return (
        "Bonjour,\n\n"
        f"Votre demande concerne {what}, qui n'est pas compris dans l'assistance sur les "
        f"logiciels métiers et la dématérialisation. {SUPPLIERS} {advice}\n\n"
        "Nous restons à votre disposition pour toute question d'utilisation de vos "
        "logiciels.\n\nCordialement,\nLe service d'assistance"
    )


EXCLUSIONS = [
    (
        "Interventions sur site",
        "sur site\nsur place\nse déplacer\ndéplacement\nvenir en mairie\nvenir sur place\nintervention sur site",
        _answer(
            "une intervention sur site",
            "L'assistance est assurée par téléphone et par télémaintenance, y compris lorsque "
            "la nature du dysfonctionnement rendrait un déplacement nécessaire.",
        ),
    ),
    (
        "Développement, personnalisation ou modification des progiciels",
        "développement\ndévelopper\nnouveau programme\npersonnalisation\npersonnaliser\nmodifier le logiciel\nmodification du logiciel\nsur mesure",
        _answer(
            "le développement d'un nouveau programme ou la personnalisation d'un progiciel",
            "Pour une évolution du logiciel, adressez-vous à son éditeur.",
        ),
    ),
    (
        "Formation du personnel",
        "formation\nformer\napprendre à utiliser\nréglementation\nenvironnement réglementaire",
        _answer(
            "la formation du personnel aux fonctionnalités du progiciel ou à son environnement "
            "réglementaire",
            "L'éditeur du logiciel ou un organisme de formation pourra vous proposer une session.",
        ),
    ),
    (
        "Mises à jour des postes de travail, du serveur et des périphériques",
        "mise à jour windows\nmises à jour windows\nwindows update\nmise à jour du poste\nmise à jour du serveur\nantivirus\nanti virus\npilote\nimprimante\npériphérique",
        _answer(
            "la mise à jour d'un poste de travail, du serveur ou d'un périphérique",
            "Votre prestataire informatique habituel est l'interlocuteur pour ces opérations.",
        ),
    ),
    (
        "Paramétrage du photocopieur et des dossiers de scan",
        "photocopieur\ncopieur\nscanner\nscan\nnumérisation\ndossier de scan",
        _answer(
            "le paramétrage du photocopieur ou des dossiers de numérisation",
            "Le fournisseur ou le loueur de votre photocopieur assure ce paramétrage.",
        ),
    ),
    (
        "Réinstallation de Xémélios et des certificats de la DGFiP",
        "xémélios\nxemelios\ncertificat dgfip\ncertificats dgfip\nréinstaller xémélios",
        _answer(
            "la réinstallation de l'application Xémélios ou des certificats fournis par la DGFiP",
            "Votre prestataire informatique ou votre correspondant de la DGFiP pourra vous aider.",
        ),
    ),
]

# Defaults, editable by managers (desk > SLA targets). Business time: only the opening hours
# count; "one business day" is 8 hours (a Monday-Thursday day; Friday is 7 hours).
HOUR = timedelta(hours=1)
DAY = 8 * HOUR
TARGETS = [
    (4, 1 * HOUR, 4 * HOUR),  # urgent: 1 h / 4 h
    (3, 2 * HOUR, 1 * DAY),  # high: 2 h / 1 business day
    (2, 4 * HOUR, 3 * DAY),  # normal: 4 h / 3 business days
    (1, 1 * DAY, 5 * DAY),  # low: 1 business day / 5 business days
]


def seed(apps, schema_editor):
    Exclusion = apps.get_model("desk", "Exclusion")
    SLATarget = apps.get_model("desk", "SLATarget")
    for position, (title, keywords, answer) in enumerate(EXCLUSIONS, start=1):
        Exclusion.objects.get_or_create(
            title=title,
            defaults={"keywords": keywords, "answer": answer, "position": position * 10},
        )
    for priority, first_response, resolution in TARGETS:
        SLATarget.objects.get_or_create(
            priority=priority,
            defaults={"first_response": first_response, "resolution": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
