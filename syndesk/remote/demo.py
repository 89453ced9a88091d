"""Demo remote maintenance: the tools (seeded by migration) and a few historical sessions of
the Saint-Hilaire-du-Harcouët town hall, through the services (dated with ``at=``): one
closed by the user after a hand-over, one refused, one abandoned, one expired.

Load it after the desk demo (it needs its open tickets, the agent and the portal account).
Idempotent: when a session exists, nothing is done."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from syndesk.desk.models import OPEN_STATUSES, Ticket
from syndesk.members.models import Membership

from . import services
from .models import RemoteSession, RemoteTool

AGENT = "agent@syndesk.demo"
PORTAL_ACCOUNT = "mairie@saint-hilaire.demo"
DEMO_IP = "192.0.2.44"  # documentation range (RFC 5737)
DEMO_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0"


def load_remote_demo(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    users = get_user_model().objects
    agent = users.filter(email=AGENT).first()
    secretary = users.filter(email=PORTAL_ACCOUNT).first()
    tools = {t.name: t for t in RemoteTool.objects.all()}
    if RemoteSession.objects.exists() or not (agent and secretary and tools):
        return {"sessions": RemoteSession.objects.count()}
    membership = Membership.objects.filter(user=secretary).select_related("member").first()
    if membership is None:
        return {"sessions": 0}
    tickets = list(
        Ticket.objects.filter(
            member=membership.member,
            status__in=OPEN_STATUSES,
            created_at__lt=now - timedelta(days=1),
        ).order_by("created_at")[:4]
    )
    if not tickets:
        return {"sessions": 0}
    colleague = (
        Membership.objects.filter(member=membership.member, user__is_staff=False)
        .exclude(user=secretary)
        .select_related("user")
        .first()
    )
    count = 0
    plans = ["closed", "refused", "abandoned", "expired"]
    for index, (ticket, plan) in enumerate(zip(tickets * 4, plans, strict=False)):
        start = min(ticket.created_at + timedelta(hours=1), now - timedelta(hours=6 + index))
        tool = tools.get("RustDesk" if index % 2 == 0 else "AnyDesk") or next(iter(tools.values()))
        session = services.request_session(
            ticket=ticket,
            tool=tool,
            reason=(
                "Vérifier le paramétrage de l'édition des bordereaux"
                if plan != "refused"
                else "Contrôler la configuration de l'imprimante"
            ),
            tool_session_id=f"{412 + index} 557 {890 + index}",
            by=agent,
            ip="192.0.2.10",
            at=start,
        )
        count += 1
        decided = start + timedelta(minutes=3)
        if plan == "expired":
            services.expire_requests(
                now=start + timedelta(minutes=services.request_ttl().seconds // 60 + 1)
            )
            continue
        if plan == "refused":
            services.refuse_session(
                session=session, user=secretary, ip=DEMO_IP, user_agent=DEMO_BROWSER, at=decided
            )
            continue
        session = services.accept_session(
            session=session, user=secretary, ip=DEMO_IP, user_agent=DEMO_BROWSER, at=decided
        )
        for beat in range(1, 40):
            services.record_presence(
                session=session, by=secretary, ip=DEMO_IP, at=decided + timedelta(seconds=15 * beat)
            )
        if plan == "abandoned":
            services.abandon_stale(now=decided + services.max_duration() + timedelta(minutes=1))
            continue
        if colleague is not None:
            services.handover(
                session=session,
                by=secretary,
                to_user=colleague.user,
                ip=DEMO_IP,
                at=decided + timedelta(minutes=10),
            )
        services.request_close(session=session, by=agent, at=decided + timedelta(minutes=11))
        services.close_session(
            session=session,
            by=colleague.user if colleague is not None else secretary,
            ip=DEMO_IP,
            at=decided + timedelta(minutes=12),
        )
    return {"sessions": count}
