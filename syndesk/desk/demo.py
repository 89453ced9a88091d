"""Demo helpdesk: a realistic year of calls and tickets across the demo members and software.

Load it after the members, catalogue (and contracts, when there is a demo for them) demos:
members, staff and software are looked up by name and whatever is missing is skipped (no
member or no agent: nothing is loaded). Deterministic: one seeded generator, dates counted
back from ``today``. Idempotent: demo tickets carry a Message-ID on the ``DEMO_DOMAIN``
domain; when one exists the loader does nothing.

Two writers, on purpose:

* the past year (all but the last two weeks: about 1,200 closed tickets, their
  conversation, calls and time spent) is written with ``bulk_create``. Through the services
  a ticket costs about 40 ms and 40 queries (measured on the recent ones): close to a minute
  for the year on SQLite, plus an audit entry per step and queued mail. These rows describe
  a past the audit log did not witness, so it stays empty for them. Each row is still built
  from the same rules: references from the gapless yearly sequence (advanced under its row
  lock), SLA due dates from ``rules.due_date`` in business time, entitlement with the
  decision of ``services.evaluate_entitlement`` on the ticket's day (from subscriptions
  loaded once; a test checks that both agree);
* the last two weeks (the open work an agent finds on Monday, and the secretary of
  Saint-Hilaire-du-Harcouët's portal requests) go through the services (``open_ticket``,
  ``assign``, ``add_reply``, ``pause_sla``, ``resolve``, ``rate``...), dated with ``at=``
  and without notifications: their history, pauses and SLA clocks are the real thing.

Subscriptions come from the contracts data. Nine requests in ten come from a member
subscribed on that day when there is one; the others are flagged "hors abonnement", as the
desk flags them (so are all of them before the first subscription starts).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.contracts.models import Subscription
from syndesk.core import roles
from syndesk.core.calendar import current_calendar
from syndesk.core.models import AuditEntry, NumberSequence
from syndesk.members.models import Contact, Member, MemberPhone, Membership

from . import rules, services
from .models import (
    Call,
    Category,
    Channel,
    Exclusion,
    Outcome,
    Priority,
    Satisfaction,
    SLATarget,
    Status,
    Ticket,
    TicketMessage,
    TimeEntry,
)

SEED = 20260501
DEMO_DOMAIN = "demo.syndesk.invalid"
HISTORY_TICKETS = 1200
RECENT_DAYS = 14
RECENT_TICKETS = 40
EXTRA_CALLS = 300  # calls answered on the spot, without a ticket
BATCH = 500
PORTAL_ACCOUNT = "mairie@saint-hilaire.demo"
PORTAL_MEMBER = "Saint-Hilaire-du-Harcouët"

# The member's business suite (one per member) and the shared dematerialisation tools.
SUITES = [
    "e.magnus",
    "Horizon On-Line",
    "Gammes WIN et WEB",
    "Coloris",
    "Suite Ségilog",
    "Civil Net Finances",
]
DEMAT = [
    ("S²LOW", 8),
    ("Pastell", 6),
    ("i-Parapheur", 5),
    ("Chorus Pro", 6),
    ("DSN / net-entreprises", 6),
    ("Xémélios", 3),
    ("REU / ELIRE", 3),
    ("COMEDEC", 2),
    ("Civil Net RH", 2),
]

CATEGORIES = [
    (Category.USAGE, 46),
    (Category.ANOMALY, 28),
    (Category.RESTORE, 4),
    (Category.NEW_VERSION, 8),
    (Category.OUT_OF_SCOPE, 7),
    (Category.OTHER, 7),
]
PRIORITIES = [(Priority.NORMAL, 70), (Priority.HIGH, 15), (Priority.LOW, 10), (Priority.URGENT, 5)]
CHANNELS = [(Channel.PHONE, 66), (Channel.EMAIL, 16), (Channel.PORTAL, 14), (Channel.REMOTE, 4)]

SUBJECTS = {
    Category.USAGE: [
        "Saisie d'un mandat d'annulation sur {software}",
        "Comment éditer le grand livre de l'exercice ?",
        "Rattachement des charges en fin d'exercice",
        "Créer un nouvel agent dans la paie",
        "Édition des bulletins de paie en PDF",
        "Transmettre une délibération au contrôle de légalité",
        "Saisie d'un acte de naissance",
        "Inscrire un électeur arrivé dans la commune",
        "Signer un bordereau dans le parapheur",
        "Déposer une facture sur Chorus Pro",
        "Modifier l'imputation d'un titre",
        "Export des écritures pour la trésorerie",
    ],
    Category.ANOMALY: [
        "Bordereau de mandats rejeté par la trésorerie",
        "Message d'erreur à l'ouverture de {software}",
        "Flux PES refusé par Hélios",
        "DSN rejetée : anomalie sur le taux de prélèvement à la source",
        "Acte bloqué « en attente de transmission »",
        "Impression du budget primitif impossible",
        "Lenteurs importantes sur {software} depuis ce matin",
        "Certificat de signature refusé",
        "Totaux de la balance incohérents",
    ],
    Category.RESTORE: [
        "Restauration de la base après une coupure de courant",
        "Tiers supprimé par erreur : restauration demandée",
        "Récupérer les données de l'exercice précédent",
    ],
    Category.NEW_VERSION: [
        "Installation de la version {version} de {software}",
        "Mise à jour réglementaire de janvier sur {software}",
        "Aide à la montée de version de {software}",
    ],
    Category.OTHER: [
        "Changement de secrétaire de mairie : accès à transmettre",
        "Question sur le contenu de l'abonnement",
        "Demande de rappel par un technicien",
    ],
}
# Out-of-scope requests, by the first word of the exclusion's title.
OUT_OF_SCOPE = {
    "Interventions": "Pouvez-vous venir sur place installer le nouveau poste ?",
    "Développement": "Personnaliser un état de paie sur mesure",
    "Formation": "Formation des nouveaux agents à {software}",
    "Mises": "Mise à jour Windows du poste du secrétariat",
    "Paramétrage": "Paramétrer le scan vers un dossier sur le photocopieur",
    "Réinstallation": "Réinstaller Xémélios sur le nouveau poste",
}
DETAILS = [
    "Le message apparaît à chaque tentative depuis hier.",
    "Nous devons le faire avant la fin de la semaine.",
    "La trésorerie nous a signalé le problème ce matin.",
    "Le poste concerné est celui de l'accueil.",
    "Rien n'a changé de notre côté depuis la dernière fois.",
    "Je joins le numéro du bordereau concerné.",
]
FIRST_REPLIES = [
    "Bonjour,\n\nJe prends votre demande en charge et reviens vers vous rapidement.",
    "Bonjour,\n\nPouvez-vous nous indiquer le message exact affiché ?",
    "Bonjour,\n\nSuite à notre échange téléphonique, voici la marche à suivre.",
    "Bonjour,\n\nNous avons reproduit le problème ; une correction est en cours.",
]
MEMBER_REPLIES = [
    "Merci, c'est bien ce message qui s'affiche.",
    "J'ai essayé, cela ne fonctionne toujours pas.",
    "Voici les précisions demandées.",
]
SOLUTIONS = [
    "Bonjour,\n\nLe paramétrage est corrigé : vous pouvez relancer l'opération.",
    "Bonjour,\n\nLe flux a été régénéré et accepté par la trésorerie.",
    "Bonjour,\n\nLa fiche pratique jointe détaille la procédure ; n'hésitez pas à nous rappeler.",
    "Bonjour,\n\nLa mise à jour est installée et vérifiée avec vous.",
]
COMMENTS = [
    "Réponse rapide, merci !",
    "Très clair, merci pour la fiche.",
    "Problème réglé du premier coup.",
]
CRITICISMS = ["Un peu long à obtenir une réponse.", "Il a fallu rappeler deux fois."]
CALL_NOTES = [
    "Renseignement donné par téléphone.",
    "Question d'utilisation réglée pendant l'appel.",
    "Rappel d'une procédure de clôture.",
]


def _weighted(rng: random.Random, items: list[tuple]):
    values, weights = zip(*items, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


@dataclass
class _Member:
    member: Member
    weight: float
    suite: Software | None
    contact: Contact | None
    phone: str
    users: list = field(default_factory=list)
    since: date = date.max  # start of its subscription
    covered: list[Software] = field(default_factory=list)  # software its subscription lists


@dataclass
class _Context:
    rng: random.Random
    now: datetime
    calendar: object
    members: list[_Member]
    software: dict[str, Software]
    versions: dict[int, list[SoftwareVersion]]
    agents: list
    targets: dict
    exclusions: list[Exclusion]
    #: member id -> its open subscriptions (terminations and software prefetched)
    subscriptions: dict[int, list[Subscription]] = field(default_factory=dict)

    def entitled(self, member: Member, software: Software | None, on: date) -> rules.Entitlement:
        """The decision of ``services.evaluate_entitlement`` (the test suite checks they
        agree), from subscriptions loaded once instead of three queries per ticket."""
        label = date_format(on, "j F Y")
        current = [s for s in self.subscriptions.get(member.pk, ()) if s.start <= on]
        if not any(s.covers(on) for s in current):
            return rules.evaluate_entitlement(subscribed=False, on_label=label)
        if software is None:
            return rules.evaluate_entitlement(subscribed=True, on_label=label)
        covered = {item.pk for s in current for item in s.software.all()}
        return rules.evaluate_entitlement(
            subscribed=True,
            on_label=label,
            software_name=software.name,
            software_supported=software.is_supported,
            software_covered=(software.pk in covered) if covered else None,
        )


def _business_instant(ctx: _Context, start: date, end: date) -> datetime:
    """A random instant during the desk's opening hours between two dates."""
    span = (end - start).days
    for _attempt in range(50):
        day = start + timedelta(days=ctx.rng.randint(0, max(span, 0)))
        intervals = ctx.calendar.open_intervals(day)
        if intervals:
            lo, hi = ctx.rng.choice(intervals)
            seconds = int((hi - lo).total_seconds())
            at = lo + timedelta(minutes=ctx.rng.randrange(0, max(seconds // 60, 1)))
            if at < ctx.now:
                return at
    return ctx.calendar.next_opening(timezone.make_aware(datetime.combine(start, time(8))))


def _business_delay(ctx: _Context, at: datetime, minutes: int) -> datetime:
    return ctx.calendar.add(at, timedelta(minutes=minutes))


@dataclass
class _Plan:
    created: datetime
    who: _Member
    channel: str
    category: str
    priority: int
    software: Software | None
    subject: str
    description: str
    exclusion: Exclusion | None = None
    requester: object = None


def _caller(ctx: _Context, at: datetime) -> _Member | None:
    """Who asks for help at ``at``: members weighted by size. Members call because they
    subscribed: one not subscribed that day is kept once in seven (None otherwise), so the
    volume follows the subscriptions (unless there are none at all)."""
    who = ctx.rng.choices(ctx.members, weights=[m.weight for m in ctx.members], k=1)[0]
    subscribed = who.since <= timezone.localtime(at).date()
    if ctx.subscriptions and not subscribed and ctx.rng.random() < 6 / 7:
        return None
    return who


def _plans(ctx: _Context, count: int, start: date, end: date) -> list[_Plan]:
    """About ``count`` requests at random business instants between two dates, in order."""
    plans: list[_Plan] = []
    for _attempt in range(count * 20):
        if len(plans) == count:
            break
        at = _business_instant(ctx, start, end)
        who = _caller(ctx, at)
        if who is not None:
            plans.append(_plan(ctx, at, who))
    return sorted(plans, key=lambda plan: plan.created)


def _plan(ctx: _Context, created: datetime, who: _Member) -> _Plan:
    rng = ctx.rng
    category = _weighted(rng, CATEGORIES)
    channel = _weighted(rng, CHANNELS)
    requester = None
    if channel == Channel.PORTAL:
        if who.users:
            requester = rng.choice(who.users)
        else:
            channel = Channel.EMAIL
    demat = [(ctx.software[n], w) for n, w in DEMAT if n in ctx.software]
    if who.covered and rng.random() < 0.85:
        software = rng.choice(who.covered)  # what the subscription lists
    elif who.suite is not None and (rng.random() < 0.55 or not demat):
        software = who.suite
    else:
        software = _weighted(rng, demat) if demat else None
    exclusion = None
    if category == Category.OUT_OF_SCOPE and ctx.exclusions:
        exclusion = rng.choice(ctx.exclusions)
        subject = OUT_OF_SCOPE.get(exclusion.title.split()[0], exclusion.title)
        if "Xémélios" in subject and "Xémélios" in ctx.software:
            software = ctx.software["Xémélios"]
        elif exclusion.title.split()[0] in ("Interventions", "Mises", "Paramétrage"):
            software = None  # about the premises or the hardware, not a software
    elif category == Category.OUT_OF_SCOPE:
        category = Category.OTHER
        subject = rng.choice(SUBJECTS[category])
    else:
        subject = rng.choice(SUBJECTS[category])
    versions = ctx.versions.get(software.pk, []) if software else []
    subject = subject.format(
        software=software.name if software else "notre logiciel",
        version=versions[0].number if versions else "",
    ).replace("la version  de", "la nouvelle version de")
    description = f"{subject}. {rng.choice(DETAILS)}"
    return _Plan(
        created=created,
        who=who,
        channel=channel,
        category=category,
        priority=_weighted(rng, PRIORITIES),
        software=software,
        subject=subject,
        description=description,
        exclusion=exclusion,
        requester=requester,
    )


# --------------------------------------------------------------------------- the past year


def _references(plans: list[_Plan]) -> list[str]:
    """Gapless yearly references for the plans (in date order), advancing the sequences."""
    per_year: dict[int, int] = {}
    for plan in plans:
        year = timezone.localtime(plan.created).year
        per_year[year] = per_year.get(year, 0) + 1
    start: dict[int, int] = {}
    for year, count in per_year.items():
        NumberSequence.objects.get_or_create(series=rules.TICKET_SERIES, year=year)
        sequence = NumberSequence.objects.select_for_update().get(
            series=rules.TICKET_SERIES, year=year
        )
        start[year] = sequence.last
        sequence.last += count
        sequence.save(update_fields=["last"])
    references = []
    for plan in plans:
        year = timezone.localtime(plan.created).year
        start[year] += 1
        references.append(rules.ticket_reference(year, start[year]))
    return references


def _write_history(ctx: _Context, plans: list[_Plan]) -> dict[str, int]:
    rng, now = ctx.rng, ctx.now
    tickets, script = [], []
    for number, (plan, reference) in enumerate(
        zip(plans, _references(plans), strict=True), start=1
    ):
        target = ctx.targets.get(plan.priority)
        created = plan.created
        entitlement = ctx.entitled(plan.who.member, plan.software, created.date())
        ticket = Ticket(
            reference=reference,
            member=plan.who.member,
            contact=plan.who.contact if plan.channel != Channel.PORTAL else None,
            requester=plan.requester,
            software=plan.software,
            channel=plan.channel,
            category=plan.category,
            priority=plan.priority,
            subject=plan.subject,
            description=plan.description,
            entitled=entitlement.entitled,
            entitlement_note=entitlement.reason[:255],
            email_message_id=f"<demo-{number:06d}@{DEMO_DOMAIN}>",
            created_at=created,
            status=Status.CLOSED,
            assignee=rng.choice(ctx.agents),
        )
        ticket.opened_by = plan.requester or (
            None if plan.channel == Channel.EMAIL else ticket.assignee
        )
        if target is not None:
            ticket.first_response_due = rules.due_date(ctx.calendar, created, target.first_response)
            ticket.resolution_due = rules.due_date(ctx.calendar, created, target.resolution)
        # About one ticket in eight answered late, one in ten resolved late.
        first_budget = target.first_response if target else timedelta(hours=4)
        late_first = rng.random() < 0.12
        share = rng.uniform(1.1, 2.5) if late_first else rng.uniform(0.05, 0.9)
        answered = _business_delay(
            ctx, created, max(5, int(first_budget.total_seconds() / 60 * share))
        )
        steps: list[tuple[str, datetime, str]] = [("request", created, plan.description)]
        if plan.exclusion is not None:
            answered = _business_delay(ctx, created, rng.randint(5, 90))
            ticket.category, ticket.exclusion = Category.OUT_OF_SCOPE, plan.exclusion
            ticket.outcome = Outcome.REDIRECTED
            ticket.first_responded_at = ticket.resolved_at = ticket.closed_at = answered
            steps.append(("staff", answered, plan.exclusion.answer))
        else:
            resolution_budget = target.resolution if target else timedelta(hours=24)
            late = (late_first and rng.random() < 0.5) or rng.random() < 0.06
            share = rng.uniform(1.05, 2.0) if late else rng.uniform(0.1, 0.95)
            resolved = _business_delay(
                ctx, created, max(10, int(resolution_budget.total_seconds() / 60 * share))
            )
            # Near the end of the past year, a long resolution is cut short of today.
            resolved = max(min(resolved, now - timedelta(days=2)), answered + timedelta(minutes=5))
            ticket.first_responded_at, ticket.resolved_at = answered, resolved
            ticket.closed_at = resolved + timedelta(days=services.DEFAULT_AUTO_CLOSE_DAYS)
            if ticket.closed_at > now:  # not yet closed automatically
                ticket.status, ticket.closed_at = Status.RESOLVED, None
            ticket.outcome = _weighted(
                rng,
                [
                    (Outcome.SOLVED, 82),
                    (Outcome.BY_SHEET, 12),
                    (Outcome.DUPLICATE, 3),
                    (Outcome.ABANDONED, 3),
                ],
            )
            if ticket.outcome in (Outcome.DUPLICATE, Outcome.ABANDONED):
                ticket.status, ticket.resolved_at, ticket.closed_at = Status.CLOSED, None, resolved
            steps.append(("staff", answered, rng.choice(FIRST_REPLIES)))
            if rng.random() < 0.3 and resolved - answered > timedelta(hours=1):
                steps.append(
                    ("member", answered + (resolved - answered) / 2, rng.choice(MEMBER_REPLIES))
                )
            if ticket.resolved_at:
                steps.append(("staff", resolved, rng.choice(SOLUTIONS)))
            # Members with portal accounts rate about half of their resolved requests,
            # whatever the channel (the portal offers it on every resolved request).
            if ticket.resolved_at and plan.who.users and rng.random() < 0.55:
                happy = rng.random() < 0.82
                ticket.satisfaction = Satisfaction.SATISFIED if happy else Satisfaction.UNSATISFIED
                if rng.random() < 0.4:
                    ticket.satisfaction_comment = rng.choice(COMMENTS if happy else CRITICISMS)
                ticket.rated_at = resolved + timedelta(hours=rng.randint(1, 48))
                ticket.rated_by = plan.requester or plan.who.users[0]
        tickets.append(ticket)
        script.append(steps)
    for start in range(0, len(tickets), BATCH):
        Ticket.objects.bulk_create(tickets[start : start + BATCH])

    messages, calls, entries = [], [], []
    for ticket, steps, plan in zip(tickets, script, plans, strict=True):
        for kind, at, body in steps:
            staff = kind == "staff"
            messages.append(
                TicketMessage(
                    ticket=ticket,
                    kind=TicketMessage.Kind.PUBLIC,
                    via=TicketMessage.Via.EMAIL
                    if plan.channel == Channel.EMAIL and not staff
                    else TicketMessage.Via.WEB,
                    author=ticket.assignee if staff else plan.requester,
                    contact=None if staff or plan.requester else plan.who.contact,
                    author_email="" if staff or plan.requester else _email(plan.who.contact),
                    from_staff=staff,
                    body=body,
                    created_at=at,
                )
            )
        if rng.random() < 0.15:
            messages.append(
                TicketMessage(
                    ticket=ticket,
                    kind=TicketMessage.Kind.INTERNAL,
                    author=ticket.assignee,
                    from_staff=True,
                    body="Vu avec l'éditeur : comportement connu, correctif prévu.",
                    created_at=steps[1][1] if len(steps) > 1 else ticket.created_at,
                )
            )
        if plan.channel == Channel.PHONE:
            start = ticket.created_at - timedelta(minutes=rng.randint(1, 4))
            calls.append(
                Call(
                    number=plan.who.phone,
                    member=plan.who.member,
                    contact=plan.who.contact,
                    agent=ticket.assignee,
                    ticket=ticket,
                    started_at=start,
                    ended_at=start + timedelta(minutes=rng.randint(4, 25)),
                )
            )
        if ticket.outcome != Outcome.ABANDONED:
            minutes = rng.choice([5, 10, 10, 15, 15, 20, 30, 45, 60])
            if plan.category in (Category.RESTORE, Category.NEW_VERSION):
                minutes = rng.choice([45, 60, 90, 120, 180])
            entries.append(
                TimeEntry(
                    ticket=ticket,
                    agent=ticket.assignee,
                    minutes=minutes,
                    date=timezone.localtime(ticket.first_responded_at or ticket.created_at).date(),
                )
            )
            if ticket.resolved_at and rng.random() < 0.3:
                entries.append(
                    TimeEntry(
                        ticket=ticket,
                        agent=ticket.assignee,
                        minutes=rng.choice([10, 15, 30]),
                        date=timezone.localtime(ticket.resolved_at).date(),
                    )
                )
    earliest = min((p.created.date() for p in plans), default=now.date())
    for _ in range(EXTRA_CALLS if plans else 0):
        who = rng.choices(ctx.members, weights=[m.weight for m in ctx.members], k=1)[0]
        start = _business_instant(ctx, earliest, now.date() - timedelta(days=RECENT_DAYS))
        calls.append(
            Call(
                number=who.phone,
                member=who.member,
                contact=who.contact,
                agent=rng.choice(ctx.agents),
                started_at=start,
                ended_at=start + timedelta(minutes=rng.randint(2, 12)),
                notes=rng.choice(CALL_NOTES),
            )
        )
    TicketMessage.objects.bulk_create(messages, batch_size=BATCH)
    Call.objects.bulk_create(calls, batch_size=BATCH)
    TimeEntry.objects.bulk_create(entries, batch_size=BATCH)
    return {"tickets": len(tickets), "messages": len(messages), "calls": len(calls)}


def _email(contact: Contact | None) -> str:
    return (contact.email if contact else "") or ""


# --------------------------------------------------------------------------- the last weeks


@contextmanager
def _dated(at: datetime):
    """The audit entries a scripted step writes carry the step's time, not the time the demo
    was loaded: the ticket's history then reads as the weeks it plays."""
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    AuditEntry.objects.filter(pk__gt=last).update(created_at=at)


def _open_recent(plan: _Plan, number: int, opened_by) -> Ticket:
    return services.open_ticket(
        member=plan.who.member,
        subject=plan.subject,
        description=plan.description,
        channel=plan.channel,
        opened_by=opened_by,
        requester=plan.requester,
        contact=None if plan.channel == Channel.PORTAL else plan.who.contact,
        software=plan.software,
        category=plan.category if plan.category != Category.OUT_OF_SCOPE else Category.OTHER,
        priority=plan.priority,
        email_message_id=f"<demo-recent-{number:04d}@{DEMO_DOMAIN}>",
        at=plan.created,
        notify=False,
    )


def _play(ctx: _Context, plan: _Plan, number: int, outcome: str) -> Ticket | None:
    """Open and work one recent ticket through the services, dated with ``at=``."""
    rng = ctx.rng
    agent = rng.choice(ctx.agents)
    opened_by = (
        plan.requester
        if plan.channel == Channel.PORTAL
        else (None if plan.channel == Channel.EMAIL else agent)
    )
    try:
        with _dated(plan.created):
            ticket = _open_recent(plan, number, opened_by)
    except ValidationError:  # DESK_ENTITLEMENT_POLICY = "refuse" and not entitled
        return None
    if plan.channel == Channel.PHONE:
        start = plan.created - timedelta(minutes=2)
        Call.objects.create(
            number=plan.who.phone,
            member=plan.who.member,
            contact=plan.who.contact,
            agent=agent,
            ticket=ticket,
            started_at=start,
            ended_at=start + timedelta(minutes=rng.randint(4, 20)),
        )
    if outcome == "new":
        return ticket
    at = _business_delay(ctx, plan.created, rng.randint(10, 150))
    if at >= ctx.now:
        return ticket
    with _dated(at):
        ticket = services.assign(ticket=ticket, assignee=agent, by=agent, at=at)
        waiting = outcome == "waiting_member"
        services.add_reply(
            ticket=ticket,
            body=rng.choice(FIRST_REPLIES),
            by=agent,
            wait_for_member=waiting,
            at=at,
            notify=False,
        )
        services.log_time(
            ticket=ticket,
            minutes=rng.choice([10, 15, 20, 30]),
            by=agent,
            on=timezone.localtime(at).date(),
        )
    if outcome == "waiting_vendor":
        with _dated(at + timedelta(minutes=5)):
            services.pause_sla(
                ticket=ticket,
                reason="Anomalie transmise à l'éditeur, correctif attendu",
                status=Status.WAITING_VENDOR,
                by=agent,
                at=at + timedelta(minutes=5),
            )
    if outcome in ("resolved", "rated"):
        resolved = _business_delay(ctx, at, rng.randint(30, 600))
        if resolved < ctx.now:
            with _dated(resolved):
                ticket = services.resolve(ticket=ticket, by=agent, at=resolved, notify=False)
                services.add_reply(
                    ticket=ticket, body=rng.choice(SOLUTIONS), by=agent, at=resolved, notify=False
                )
            rater = plan.requester or (plan.who.users[0] if plan.who.users else None)
            if outcome == "rated" and rater is not None:
                rated = min(resolved + timedelta(hours=3), ctx.now)
                with _dated(rated):
                    services.rate(
                        ticket=ticket,
                        satisfied=True,
                        comment=rng.choice(COMMENTS),
                        by=rater,
                        at=rated,
                    )
            closing = resolved + timedelta(days=services.DEFAULT_AUTO_CLOSE_DAYS)
            if closing < ctx.now:
                with _dated(closing):
                    services.close(ticket=ticket, by=None, at=closing)
    return ticket


def _write_recent(ctx: _Context, plans: list[_Plan], portal: _Member | None) -> int:
    rng = ctx.rng
    outcomes = [
        ("new", 12),
        ("in_progress", 20),
        ("waiting_member", 12),
        ("waiting_vendor", 8),
        ("resolved", 30),
        ("rated", 18),
    ]
    scripted: list[tuple[_Plan, str]] = []
    for plan in plans:
        outcome = _weighted(rng, outcomes)
        if plan.category == Category.OUT_OF_SCOPE:
            outcome = "new"  # left for the agent: the scope guard suggests the exclusion
        scripted.append((plan, outcome))
    if portal is not None and portal.users:
        # What the demo secretary finds in the portal: an answer to give, an answer to
        # rate, a request sent this week.
        for days, outcome in ((6, "waiting_member"), (3, "resolved"), (2, "new")):
            day = (ctx.now - timedelta(days=days)).date()
            plan = _plan(ctx, _business_instant(ctx, day, day), who=portal)
            plan.channel, plan.requester = Channel.PORTAL, portal.users[0]
            if plan.category == Category.OUT_OF_SCOPE:
                plan.category, plan.exclusion = Category.ANOMALY, None
            scripted.append((plan, outcome))
    # Two requests that breach their SLA now: urgent, still unanswered; high, still open.
    late = _plans(
        ctx, 2, (ctx.now - timedelta(days=8)).date(), (ctx.now - timedelta(days=5)).date()
    )
    for priority, plan in zip((Priority.URGENT, Priority.HIGH), late, strict=False):
        plan.priority = priority
        if plan.category == Category.OUT_OF_SCOPE:
            plan.category, plan.exclusion = Category.ANOMALY, None
        scripted.append((plan, "new" if priority == Priority.URGENT else "in_progress"))
    scripted.sort(key=lambda item: item[0].created)
    for number, (plan, outcome) in enumerate(scripted, start=1):
        _play(ctx, plan, number, outcome)
    return len(scripted)


# --------------------------------------------------------------------------- entry point


def _context(now: datetime) -> _Context | None:
    user_model = get_user_model()
    agents = list(
        user_model.objects.filter(
            is_active=True, is_staff=True, groups__name__in=[roles.AGENT, roles.MANAGER]
        )
        .distinct()
        .order_by("pk")
    )
    members = list(Member.objects.filter(is_active=True).order_by("pk"))
    if not agents or not members:
        return None
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    software = {s.name: s for s in Software.objects.all()}
    suites = [software[name] for name in SUITES if name in software]
    contacts: dict[int, Contact] = {}
    for contact in Contact.objects.order_by("-is_primary", "pk"):
        contacts.setdefault(contact.member_id, contact)
    phones: dict[int, str] = {}
    for phone in MemberPhone.objects.order_by("pk"):
        phones.setdefault(phone.member_id, phone.number)
    users: dict[int, list] = {}
    for membership in Membership.objects.select_related("user").order_by("pk"):
        if membership.user.is_active and not membership.user.is_staff:
            users.setdefault(membership.member_id, []).append(membership.user)
    versions: dict[int, list[SoftwareVersion]] = {}
    for version in SoftwareVersion.objects.order_by("-release_date", "-pk"):
        versions.setdefault(version.software_id, []).append(version)
    subscriptions: dict[int, list[Subscription]] = {}
    for subscription in (
        Subscription.objects.exclude(status=Subscription.Status.ENDED)
        .prefetch_related("terminations", "software")
        .order_by("pk")
    ):
        subscriptions.setdefault(subscription.member_id, []).append(subscription)
    demo_members = []
    for member in members:
        member_rng = random.Random(member.pk)  # noqa: S311 - demo data, not security
        weight = 1 + (member.population or 800) ** 0.5 / 10
        contact = contacts.get(member.pk)
        demo_members.append(
            _Member(
                member=member,
                weight=weight,
                suite=member_rng.choice(suites) if suites else None,
                contact=contact,
                phone=phones.get(member.pk) or (contact.phone if contact else "") or "+33200000000",
                users=users.get(member.pk, []),
                since=min((s.start for s in subscriptions.get(member.pk, ())), default=date.max),
                covered=sorted(
                    {x for s in subscriptions.get(member.pk, ()) for x in s.software.all()},
                    key=lambda x: x.name,
                ),
            )
        )
    return _Context(
        rng=rng,
        now=now,
        calendar=current_calendar(),
        members=demo_members,
        software=software,
        versions=versions,
        agents=agents,
        targets=SLATarget.objects.as_map(),
        exclusions=list(Exclusion.objects.active()),
        subscriptions=subscriptions,
    )


def demo_loaded() -> bool:
    return Ticket.objects.filter(email_message_id__endswith=f"@{DEMO_DOMAIN}>").exists()


@transaction.atomic
def load_desk_demo(*, today: date | None = None) -> dict[str, int]:
    """Load a year of demo calls and tickets ending ``today`` (default: today); nothing
    when the demo tickets exist already or when no member or agent exists. Returns counts
    (``skipped``: 1 when nothing was loaded)."""
    if demo_loaded():
        return {"tickets": 0, "messages": 0, "calls": 0, "skipped": 1}
    if today is None:
        now = timezone.now()
    else:
        now = timezone.make_aware(datetime.combine(today, time(16, 30)))
    ctx = _context(now)
    if ctx is None:
        return {"tickets": 0, "messages": 0, "calls": 0, "skipped": 1}
    first = (now - timedelta(days=365)).date()
    cutoff = (now - timedelta(days=RECENT_DAYS)).date()
    portal = next((m for m in ctx.members if m.member.name == PORTAL_MEMBER), None)
    history = _plans(ctx, HISTORY_TICKETS, first, cutoff)
    if portal is not None and portal.users:
        # The demo secretary's year: about one request a month through the portal.
        for month in range(1, 12):
            day = (now - timedelta(days=30 * month)).date()
            if day >= first:
                plan = _plan(ctx, _business_instant(ctx, day, day), who=portal)
                plan.channel, plan.requester = Channel.PORTAL, portal.users[0]
                history.append(plan)
        history.sort(key=lambda p: p.created)
    counts = _write_history(ctx, history)
    recent_start = cutoff + timedelta(days=1)
    recent = _plans(ctx, RECENT_TICKETS, recent_start, now.date())
    counts["tickets"] += _write_recent(ctx, recent, portal)
    counts["skipped"] = 0
    return counts
