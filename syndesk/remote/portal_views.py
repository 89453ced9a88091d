"""The member portal's remote-maintenance pages (/portail/telemaintenance/): the requests of
the organisation, a request's page (the consent page while it waits for an answer, the live
page while it is open, the record afterwards), accept/refuse, presence beats (htmx
``every N s``), hand-over and "Terminer la session", and the PDF proof.

Scope: sessions are reached by their unguessable token AND ``visible_to(user)``. A user of
another organisation opening a link gets a 404, exactly as for an unknown token; the attempt
is recorded on the session's trail (without showing who to the member). Staff opening the
portal pages are sent to the back office; an agent POSTing to the member-only actions (close,
presence) is refused with 403, and the attempt is recorded by the service.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from syndesk.core.forms import apply_service_error
from syndesk.core.permissions import MemberUserMixin
from syndesk.members.models import Contact
from syndesk.members.portal import active_member

from . import rules, services
from .documents import render_proof, trail_of
from .forms import DecisionForm, HandoverForm
from .models import RemoteSession, Status
from .panels import portal_ticket_sessions
from .views import client_ip


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:400]


def get_session_or_404(request, token) -> RemoteSession:
    """The session behind a link, if the user may see it; otherwise 404 — and when the
    session exists (another organisation's user followed a forwarded link), the attempt is
    recorded."""
    found = RemoteSession.objects.visible_to(request.user).for_page().filter(token=token).first()
    if found is not None:
        return found
    other = RemoteSession.objects.filter(token=token).first()
    if other is not None:
        services.record_access_refused(session=other, by=request.user, ip=client_ip(request))
    raise Http404


class _PortalView(MemberUserMixin, View):
    """Portal pages: staff are sent to the back office on GET."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and request.user.is_authenticated and request.user.is_staff:
            token = kwargs.get("token")
            if token is not None:
                session = RemoteSession.objects.filter(token=token).only("pk").first()
                if session is not None:
                    return redirect("remote:session", pk=session.pk)
            return redirect("web:staff")
        return super().dispatch(request, *args, **kwargs)


class SessionListView(_PortalView):
    def get(self, request):
        member = active_member(request)
        if member is None:
            return render(request, "members/portal_no_member.html", status=403)
        sessions = list(
            RemoteSession.objects.visible_to(request.user)
            .for_member(member)
            .select_related("ticket", "tool", "requested_by", "closed_by")[:100]
        )
        return render(request, "remote/portal/list.html", {"sessions": sessions})


def _handover_form(session, user, data=None) -> HandoverForm:
    users = (
        get_user_model()
        .objects.filter(memberships__member_id=session.member_id, is_active=True, is_staff=False)
        .exclude(pk=user.pk)
        .order_by("last_name", "first_name", "email")
    )
    contacts = Contact.objects.visible_to(user).filter(member_id=session.member_id)
    return HandoverForm(data, users=list(users[:100]), contacts=list(contacts[:100]))


def _session_context(request, session, **extra) -> dict:
    context = {
        "session": session,
        "trail": trail_of(session, staff=False),
        "beat": services.beat_seconds(),
        "launch_link": session.launch_link(),
        "now": timezone.now(),
    }
    if session.status == Status.REQUESTED:
        text = services.consent_text(session)
        context["consent_text"] = text
        context["decision_form"] = extra.pop(
            "decision_form", DecisionForm(initial={"text_sha256": rules.text_hash(text)})
        )
        context["expired"] = timezone.now() >= session.expires_at
    if session.status == Status.OPEN:
        context["handover_form"] = extra.pop("handover_form", _handover_form(session, request.user))
    context.update(extra)
    return context


def _render_session(request, session, status=200, **extra):
    return render(
        request,
        "remote/portal/session.html",
        _session_context(request, session, **extra),
        status=status,
    )


class SessionView(_PortalView):
    def get(self, request, token):
        session = get_session_or_404(request, token)
        return _render_session(request, session)


class _DecisionView(_PortalView):
    decide = staticmethod(services.accept_session)
    done_message = ""

    def post(self, request, token):
        session = get_session_or_404(request, token)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return _render_session(request, session, status=400, decision_form=form)
        text = services.consent_text(session) if session.status == Status.REQUESTED else None
        shown = text if text and rules.text_hash(text) == form.cleaned_data["text_sha256"] else ""
        try:
            session = self.decide(
                session=session,
                user=request.user,
                ip=client_ip(request),
                user_agent=_user_agent(request),
                text=shown,
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
            session = get_session_or_404(request, token)
            return _render_session(request, session, status=400, decision_form=form)
        messages.success(request, self.done_message)
        return redirect("remote-portal:session", token=session.token)


class AcceptView(_DecisionView):
    decide = staticmethod(services.accept_session)

    @property
    def done_message(self):
        return _("Vous avez donné votre accord : la session est ouverte. Restez présent.")


class RefuseView(_DecisionView):
    decide = staticmethod(services.refuse_session)

    @property
    def done_message(self):
        return _("Vous avez refusé la session ; l'agent en est informé.")


class PresenceView(_PortalView):
    """One presence beat (htmx, every N seconds while the page is open): records it and
    answers the live fragment, which carries the next trigger while the session is open."""

    def post(self, request, token):
        session = get_session_or_404(request, token)
        try:
            session = services.record_presence(
                session=session, by=request.user, ip=client_ip(request)
            )
        except PermissionDenied:
            raise
        except ValidationError:
            session = get_session_or_404(request, token)
        return render(
            request,
            "remote/portal/_live.html",
            {"session": session, "beat": services.beat_seconds(), "now": timezone.now()},
        )


class CloseView(_PortalView):
    def post(self, request, token):
        session = get_session_or_404(request, token)
        try:
            services.close_session(session=session, by=request.user, ip=client_ip(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Session terminée. Merci."))
        return redirect("remote-portal:session", token=session.token)


class HandoverView(_PortalView):
    def post(self, request, token):
        session = get_session_or_404(request, token)
        form = _handover_form(session, request.user, request.POST)
        if form.is_valid():
            try:
                services.handover(
                    session=session, by=request.user, ip=client_ip(request), **form.target()
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Relais enregistré."))
                return redirect("remote-portal:session", token=session.token)
        session = get_session_or_404(request, token)
        return _render_session(request, session, status=400, handover_form=form)


class TicketSessionsView(_PortalView):
    """The sessions of a ticket, loaded by htmx into the portal's ticket page (empty when
    there is none, or when the ticket is not the user's)."""

    def get(self, request, reference):
        return render(
            request,
            "remote/portal/_ticket_sessions.html",
            {"remote_sessions": portal_ticket_sessions(request.user, reference)},
        )


class ProofPdfView(_PortalView):
    def get(self, request, token):
        session = get_session_or_404(request, token)
        response = HttpResponse(render_proof(session), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="telemaintenance-{session.ticket.reference}.pdf"'
        )
        return response
