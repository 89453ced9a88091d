"""The public website's static pages: how to order, legal notice, privacy, accessibility.

They read only settings (no query), so they are cheap; the text follows the contract annex
(ordering steps) and DOMAIN.md §6 (GDPR retention periods, RGAA statement)."""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

# Dated statement (RGAA: update it every three years or after a major change).
ACCESSIBILITY_STATEMENT_DATE = "2026-11-27"


def _page(template: str):
    @require_GET
    def view(request):
        syndicate = settings.SYNDICATE
        response = render(
            request,
            f"web/site/{template}.html",
            {
                "dpo_email": syndicate.get("dpo_email") or syndicate["email"],
                "host": syndicate.get("host", ""),
                "statement_date": ACCESSIBILITY_STATEMENT_DATE,
                "site_url": settings.SITE_URL,
            },
        )
        # Anonymous visitors' browsers may reuse the page for a while ("private": it sets the
        # CSRF cookie, so no shared cache should keep it); signed-in users see their name.
        if not request.user.is_authenticated:
            patch_cache_control(response, private=True, max_age=600)
        return response

    view.__name__ = template.replace("-", "_")
    return view


how_to_order = _page("how_to_order")
legal_notice = _page("legal_notice")
privacy = _page("privacy")
accessibility = _page("accessibility")


@require_GET
def annex_specimen(request):
    """The annex of particular conditions as any member will receive it, with blanks where
    its name and signatory go, so that a town hall can read it before asking for a quote."""
    from django.http import HttpResponse

    from syndesk.contracts.documents import annex_pdf
    from syndesk.members.models import LegalCategory, Member

    blank = "……………………"
    specimen = Member(
        name=blank,
        legal_category=LegalCategory.COMMUNE,
        signatory_title="Maire",
        signatory_name=blank,
    )
    response = HttpResponse(annex_pdf(specimen), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="annexe-conditions-particulieres.pdf"'
    patch_cache_control(response, public=True, max_age=3600)
    return response
