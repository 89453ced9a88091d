"""The ticket page's forms drawn in Python (desk.quick_forms) are exactly what
``core/_form.html`` draws, for every form of the page, unbound and with errors."""

import pytest
from django.template.loader import render_to_string

from syndesk.desk.forms import (
    AssignForm,
    AttachInboundForm,
    BulkAssignForm,
    ClassifyForm,
    CloseForm,
    DismissInboundForm,
    OpenFromInboundForm,
    QueueFilterForm,
    RedirectForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TimeForm,
)
from syndesk.desk.models import Exclusion, Status
from syndesk.desk.portal_forms import RateForm
from syndesk.desk.portal_forms import ReplyForm as PortalReplyForm
from syndesk.desk.queue_widgets import quick_selects
from syndesk.desk.quick_forms import field_group_html, field_html, form_html, label_html

pytestmark = pytest.mark.django_db


def _template(form) -> str:
    return render_to_string("core/_form.html", {"form": form})


def _forms(ticket, agent, data=None):
    exclusions = [Exclusion.objects.create(title="Matériel <b>", keywords="imprimante")]
    return [
        ReplyForm(data, prefix="reply"),
        ReplyForm(data, prefix="reply", internal_only=True),
        TimeForm(data, prefix="time"),
        AssignForm(data, prefix="assign", initial={"assignee": agent.pk}),
        ClassifyForm(data, prefix="classify", ticket=ticket),
        CloseForm(data, prefix="close", ticket=ticket, user=agent),
        StatusForm(data, prefix="status", current=ticket.status),
        ResolveForm(data, prefix="resolve"),
        RedirectForm(data, prefix="redirect", exclusions=exclusions),
        ReopenForm(data, prefix="reopen"),
    ]


def test_unbound_forms_are_drawn_as_the_template_draws_them(ticket, agent, emagnus_v8):
    for form in _forms(ticket, agent):
        assert form_html(form) == _template(form), type(form).__name__


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "reply-kind": "internal",
            "reply-body": '"><script>alert(1)</script>',
            "reply-wait_for_member": "on",
            "time-minutes": "-3",
            "time-note": "<i>note</i>",
            "classify-subject": "x' onmouseover='y",
            "classify-priority": "9",
            "close-outcome": "duplicate",
            "close-duplicate_of": "<AS>",
            "status-status": "waiting_member",
            "reopen-reason": "a & b",
        },
    ],
)
def test_bound_forms_with_errors_are_drawn_as_the_template_draws_them(data, ticket, agent):
    for form in _forms(ticket, agent, data):
        form.is_valid()
        assert form_html(form) == _template(form), type(form).__name__


def test_a_resolved_ticket_forms_are_drawn_alike(ticket, agent):
    ticket.status = Status.RESOLVED
    for form in (CloseForm(prefix="close", ticket=ticket, user=agent), ReopenForm()):
        assert form_html(form) == _template(form)


def test_texts_are_escaped(ticket, agent):
    form = TimeForm({"time-note": '"><script>'}, prefix="time")
    form.fields["note"].label = "<b>Note</b>"
    form.fields["note"].help_text = "aide"
    html = form_html(form)
    assert "<script>" not in html
    assert "<b>" not in html
    assert html == _template(form)


@pytest.mark.parametrize(
    "data", [None, {"q": '"><script>', "priority": "<b>", "status": "nope", "entitled": "1"}]
)
def test_queue_filters_are_drawn_as_the_template_draws_them(data, agent, emagnus):
    form = quick_selects(QueueFilterForm(data))
    form.is_valid()
    for field in form.visible_fields():
        django = f"{field.label_tag()}{field}{field.errors if field.errors else ''}"
        assert field_html(field) == django, field.name
    bulk = quick_selects(BulkAssignForm(user=agent))
    assert label_html(bulk["assignee"]) == bulk["assignee"].label_tag()


@pytest.mark.parametrize("data", [None, {"open-member": "999999", "attach-ticket": "<b>"}])
def test_the_triage_forms_are_drawn_as_the_template_draws_them(data, agent, member_a, gisele):
    forms = [
        AttachInboundForm(data, prefix="attach", user=agent, initial={"ticket": "AS-1"}),
        OpenFromInboundForm(
            data, prefix="open", initial={"member": member_a.pk, "contact": gisele.pk}
        ),
        DismissInboundForm(data, prefix="dismiss"),
    ]
    for form in forms:
        if data:
            form.is_valid()
        assert form_html(form) == _template(form), type(form).__name__


@pytest.mark.parametrize("data", [None, {"body": "", "comment": "<b>" * 700}])
def test_the_portal_forms_are_drawn_as_the_template_draws_them(data):
    reply, rate = PortalReplyForm(data), RateForm(data)
    if data:
        reply.is_valid(), rate.is_valid()
    assert form_html(reply) == _template(reply)
    assert field_group_html(rate["comment"]) == rate["comment"].as_field_group()
