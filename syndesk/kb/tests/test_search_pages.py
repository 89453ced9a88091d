"""The search pages (staff list, public list) draw the same HTML as the templates they
replaced, cost the same queries whatever the hits, and the typo fallback's vocabulary
follows the sheets (SQLite and PostgreSQL alike)."""

import pytest
from django.db.models import Prefetch
from django.template import Context, Template
from django.urls import reverse

from syndesk.catalog.models import Software
from syndesk.core.testing import count_queries
from syndesk.kb import services
from syndesk.kb.forms import SheetFilterForm, StaffSheetFilterForm
from syndesk.kb.fuzzy import search_with_typos
from syndesk.kb.models import Sheet, Tag

pytestmark = pytest.mark.django_db


# The loop body kb/_hits.html had before the hits were drawn in Python (views._draw_hits).
HIT_TEMPLATE = (
    "{% load i18n %}"
    '<li class="kb-hit card"><h2><a href="{% if staff %}{% url \'kb:detail\' hit.sheet.pk %}'
    "{% else %}{% url 'kb-public:detail' hit.sheet.slug %}{% endif %}\">"
    "{% if hit.title is None %}{{ hit.sheet.title }}{% else %}{{ hit.title }}{% endif %}"
    "</a></h2>\n"
    '  {% include "kb/_sheet_meta.html" with sheet=hit.sheet %}\n'
    '  <p class="kb-snippet">{{ hit.snippet }}</p>\n'
    '  {% if staff %}<p class="muted">{% blocktranslate count counter=hit.sheet.resolved_count'
    "|default:0 %}{{ counter }} demande résolue{% plural %}{{ counter }} demandes résolues"
    "{% endblocktranslate %}</p>{% endif %}</li>"
)


def _template_html(hit, *, staff: bool) -> str:
    sheet = Sheet.objects.prefetch_related(
        Prefetch("software", queryset=Software.objects.only("pk", "name")), "tags"
    ).get(pk=hit.sheet.pk)
    sheet.resolved_count = getattr(hit.sheet, "resolved_count", None)
    view = type("Hit", (), {"sheet": sheet, "snippet": hit.snippet, "title": hit.title})
    return Template(HIT_TEMPLATE).render(Context({"hit": view, "staff": staff}))


@pytest.mark.parametrize("staff", [False, True])
def test_each_hit_is_drawn_as_the_template_drew_it(
    client, agent, sheet_factory, pastell, open_ticket, staff
):
    hostile = Software.objects.create(name="<b>Éditeur & fils</b>", editor="X", category="x")
    sheets = [
        sheet_factory(
            title="Sauvegarde <i>complète</i>", software=[pastell, hostile], tags="paie, a&b"
        ),
        sheet_factory(title="Sauvegarde sans logiciel", tags="sauvegarde"),
        sheet_factory(title="Sauvegarde sans mot-clé", software=[pastell]),
        sheet_factory(title="Sauvegarde nue", summary="Une <b>sauvegarde</b> & rien d'autre"),
    ]
    services.resolve_by_sheet(ticket=open_ticket(), sheet=sheets[1], by=agent)
    services.resolve_by_sheet(ticket=open_ticket(), sheet=sheets[2], by=agent)
    services.resolve_by_sheet(ticket=open_ticket(), sheet=sheets[2], by=agent)
    if staff:
        client.force_login(agent)
    response = client.get(reverse("kb:list" if staff else "kb-public:list"), {"q": "sauvegarde"})
    hits = response.context["hits"]
    assert len(hits) == 4
    for hit in hits:
        assert str(hit.html) == _template_html(hit, staff=staff)
    text = response.content.decode()
    assert "&lt;b&gt;Éditeur &amp; fils&lt;/b&gt;" in text
    assert "<b>" not in text
    assert "<i>" not in text
    if staff:
        assert "2 demandes résolues" in text
        assert "1 demande résolue" in text


def test_the_filter_lists_are_those_django_draws(client, agent, sheet_factory, pastell):
    sheet_factory(title="Paie", software=[pastell], tags="paie, <i>x</i>")
    params = {"q": "paie", "logiciel": str(pastell.pk), "mot": "paie", "etat": "published"}
    client.force_login(agent)
    form = client.get(reverse("kb:list"), params).context["form"]
    django_form = StaffSheetFilterForm(params)
    for name in ("logiciel", "mot", "etat", "visibilite"):
        assert str(form[name]) == str(django_form[name])
    client.logout()
    form = client.get(reverse("kb-public:list"), params).context["form"]
    django_form = SheetFilterForm(params, tags=Tag.objects.filter(sheets__isnull=False))
    for name in ("logiciel", "mot"):
        assert str(form[name]) == str(django_form[name])
    assert 'value="paie" selected' in str(form["mot"])


@pytest.mark.parametrize("query", ["sauvegarde", "sauvgarde", "zzqxw"])
def test_the_staff_search_costs_the_same_queries_for_3_or_12_hits(
    client, agent, sheet_factory, pastell, query
):
    def make(n):
        for i in range(n):
            sheet_factory(title=f"Sauvegarde {i}", software=[pastell], tags="paie, sauvegarde")

    client.force_login(agent)
    url = reverse("kb:list")
    make(3)
    few = count_queries(lambda: client.get(url, {"q": query}))
    make(9)
    assert count_queries(lambda: client.get(url, {"q": query})) == few


@pytest.mark.parametrize("query", ["sauvgarde", "zzqxw"])
def test_the_public_typo_search_costs_the_same_queries_for_3_or_12_hits(
    client, sheet_factory, pastell, query
):
    def make(n):
        for i in range(n):
            sheet_factory(title=f"Sauvegarde {i}", software=[pastell], tags="paie")

    url = reverse("kb-public:list")
    make(3)
    few = count_queries(lambda: client.get(url, {"q": query}))
    make(9)
    assert count_queries(lambda: client.get(url, {"q": query})) == few


def _typo_titles(query: str) -> list[str]:
    return [hit.sheet.title for hit in search_with_typos(Sheet.objects.all(), query)]


def test_the_typo_vocabulary_follows_renames_and_deletions(sheet_factory, agent):
    sheet = sheet_factory(title="Sauvegarde quotidienne", summary="Copier la base.")
    assert _typo_titles("sauvgarde") == ["Sauvegarde quotidienne"]
    services.update_sheet(sheet=sheet, title="Restauration hebdomadaire", changed_by=agent)
    assert _typo_titles("sauvgarde") == []
    assert _typo_titles("restauraton") == ["Restauration hebdomadaire"]
    services.delete_sheet(sheet=Sheet.objects.get(pk=sheet.pk), deleted_by=agent)
    assert _typo_titles("restauraton") == []


def test_typos_match_words_of_the_title_and_of_the_summary(sheet_factory):
    sheet_factory(title="Clôture mensuelle", summary="Déclarations sociales du mois.")
    assert _typo_titles("declaratoins mensuele") == ["Clôture mensuelle"]
