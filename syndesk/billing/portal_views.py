"""The member portal's invoices: the active member's issued invoices and credit notes, with
their status, due date and amount, and the PDF and Factur-X downloads. Strictly scoped by
``visible_to`` and the active member; drafts are never shown."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from syndesk.core.permissions import MemberUserMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.portal import active_member

from .models import Invoice
from .views import facturx_download, pdf_download

PAGE_SIZE = 50


def _portal_invoices(request, member):
    return (
        Invoice.objects.visible_to(request.user)
        .for_member(member)
        .issued()
        .select_related("credited_invoice")
        .order_by("-issue_date", "-number")
    )


class PortalInvoiceListView(MemberUserMixin, View):
    def get(self, request):
        member = active_member(request)
        if member is None:
            return render(request, "members/portal_no_member.html", status=403)
        page = Paginator(_portal_invoices(request, member), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "billing/portal/list.html",
            {"member": member, "page": page, "today": timezone.localdate()},
        )


class _PortalDownloadView(MemberUserMixin, View):
    def get_invoice(self, request, pk) -> Invoice:
        member = active_member(request)
        if member is None:
            raise Http404
        return get_visible_or_404(_portal_invoices(request, member), request.user, pk=pk)


class PortalInvoicePdfView(_PortalDownloadView):
    def get(self, request, pk):
        return pdf_download(self.get_invoice(request, pk))


class PortalInvoiceFacturxView(_PortalDownloadView):
    def get(self, request, pk):
        return facturx_download(self.get_invoice(request, pk))


def portal_invoices_panel(request, member):
    """A card on the portal's member page (slot "portal_member"): what is still due."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    today = timezone.localdate()
    open_invoices = list(
        Invoice.objects.visible_to(user).for_member(member).open().order_by("due_date")[:20]
    )
    return {
        "open_invoices": open_invoices,
        "overdue": [i for i in open_invoices if i.is_overdue(today)],
        "today": today,
    }
