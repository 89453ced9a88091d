"""Remote-maintenance pages. Staff side (/gestion/telemaintenance/): the list of all
sessions (filters, CSV), the request from a ticket, a session's page with its live panel
(htmx polling) and trail, the closing request, the PDF proof, the reports. The member
portal's pages are in portal_views.py.

Views stay thin: a scoped fetch, a form, one service call, a redirect; a service's refusal
is shown on the form it came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from syndesk.core.forms import apply_service_error
from syndesk.core.listing import filtered_page
from syndesk.core.permissions import StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.desk.models import Ticket

from . import reports, selectors, services
from .documents import render_proof, trail_of
from .forms import ReportForm, RequestForm
from .models import RemoteSession

PAGE_SIZE = 50


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _get_session(request, pk) -> RemoteSession:
    return get_visible_or_404(RemoteSession.objects.for_page(), request.user, pk=pk)


def _live_context(session: RemoteSession) -> dict:
    return {
        "session": session,
        "launch_link": session.launch_link(),
        "poll": max(2, min(services.beat_seconds(), 5)),
        "now": timezone.now(),
    }


class SessionListView(StaffPermissionMixin, View):
    """Every session staff may see, newest first, with filters; htmx refreshes #results."""

    permission_required = "remote.view_remotesession"

    def get(self, request):
        filterset = selectors.session_list(user=request.user, data=request.GET)
        context = filtered_page(request, filterset, PAGE_SIZE)
        if request.htmx:
            return render(request, "remote/staff/list.html#results", context)
        return render(request, "remote/staff/list.html", context)


class SessionListCSVView(StaffPermissionMixin, View):
    permission_required = "remote.view_remotesession"

    def get(self, request):
        filterset = selectors.session_list(user=request.user, data=request.GET)
        if filterset.is_bound and not filterset.is_valid():
            errors = " ".join(e for errors in filterset.errors.values() for e in errors)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        content = selectors.sessions_csv(filterset.qs.iterator(chunk_size=1000))
        response = HttpResponse(content.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="telemaintenance-{stamp}.csv"'
        return response


class RequestSessionView(StaffPermissionMixin, View):
    """The request form (also shown in the ticket page's panel)."""

    permission_required = "remote.add_remotesession"

    def _ticket(self, request, reference):
        return get_visible_or_404(
            Ticket.objects.select_related("member"), request.user, reference=reference
        )

    def _render(self, request, ticket, form, status=200):
        return render(
            request, "remote/staff/request.html", {"ticket": ticket, "form": form}, status=status
        )

    def get(self, request, reference):
        ticket = self._ticket(request, reference)
        if request.htmx:  # the ticket page's panel loads the form when it is opened
            return render(
                request,
                "remote/staff/_request_form.html",
                {"ticket": ticket, "form": RequestForm()},
            )
        return self._render(request, ticket, RequestForm())

    def post(self, request, reference):
        ticket = self._ticket(request, reference)
        form = RequestForm(request.POST)
        if form.is_valid():
            try:
                session = services.request_session(
                    ticket=ticket,
                    by=request.user,
                    ip=client_ip(request),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Demande de télémaintenance envoyée à l'adhérent ; "
                        "en attente de son accord."
                    ),
                )
                return redirect("remote:session", pk=session.pk)
        return self._render(request, ticket, form, status=400)


class SessionDetailView(StaffPermissionMixin, View):
    permission_required = "remote.view_remotesession"

    def get(self, request, pk):
        session = _get_session(request, pk)
        return render(
            request,
            "remote/staff/session.html",
            {**_live_context(session), "trail": trail_of(session, staff=True)},
        )


class SessionLiveView(StaffPermissionMixin, View):
    """The live panel, polled by htmx every few seconds."""

    permission_required = "remote.view_remotesession"

    def get(self, request, pk):
        session = _get_session(request, pk)
        return render(request, "remote/staff/_live.html", _live_context(session))


class RequestCloseView(StaffPermissionMixin, View):
    permission_required = "remote.change_remotesession"

    def post(self, request, pk):
        session = _get_session(request, pk)
        try:
            services.request_close(session=session, by=request.user, ip=client_ip(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Fermeture demandée : l'utilisateur la voit sur sa page."))
        if request.htmx:
            session = _get_session(request, pk)
            return render(request, "remote/staff/_live.html", _live_context(session))
        return redirect("remote:session", pk=session.pk)


class SessionPdfView(StaffPermissionMixin, View):
    permission_required = "remote.view_remotesession"

    def get(self, request, pk):
        session = _get_session(request, pk)
        response = HttpResponse(render_proof(session), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="telemaintenance-{session.pk}-{session.ticket.reference}.pdf"'
        )
        return response


class ReportView(StaffPermissionMixin, View):
    permission_required = "remote.view_remotesession"

    def _form(self, request):
        form = ReportForm(request.GET or None)
        year = timezone.localdate().year
        if form.is_bound and form.is_valid() and form.cleaned_data["year"]:
            year = form.cleaned_data["year"]
        return form, year

    def get(self, request):
        form, year = self._form(request)
        if form.is_bound and not form.is_valid():
            return render(request, "remote/staff/reports.html", {"form": form}, status=400)
        report = reports.build(request.user, year)
        return render(request, "remote/staff/reports.html", {"form": form, "report": report})


class ReportCSVView(ReportView):
    def get(self, request):
        form, year = self._form(request)
        if form.is_bound and not form.is_valid():
            errors = " ".join(e for errors in form.errors.values() for e in errors)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        report = reports.build(request.user, year)
        response = HttpResponse(reports.to_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="telemaintenance-{year}.csv"'
        return response
