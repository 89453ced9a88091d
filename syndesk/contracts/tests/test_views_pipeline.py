"""The staff pipeline and the member's request (first step of the annex)."""

import html
from datetime import date

import pytest
from django.urls import reverse

from syndesk.contracts import services
from syndesk.contracts.models import NeedRequest
from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries
from syndesk.members.models import Member

from .test_views_helpers import (
    active_subscription,
    complete_order,
    draft_quote,
    frozen_today,
    sent_quote,
    signed_quote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(response) -> str:
    return html.unescape(response.content.decode())


# Pipeline ---------------------------------------------------------------------------------


def test_the_pipeline_is_for_staff_only(client, alice):
    url = reverse("contracts:pipeline")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(alice)
    assert client.get(url).status_code == 403


def test_the_pipeline_lists_each_step_with_what_is_missing(
    client, agent, billing, member_a, member_b, support
):
    services.record_request(
        member=member_b,
        received_on=date(2026, 3, 2),
        channel="phone",
        summary="Besoin d'assistance e.magnus",
        created_by=agent,
    )
    draft_quote(member_a, billing, [support], day=date(2026, 3, 1))  # valid until 1 April
    sent_quote(member_b, billing, [support], day=date(2026, 4, 2))
    complete_order(signed_quote(member_a, billing, [support]), billing, originals_received_on=None)
    client.force_login(agent)
    with frozen_today(date(2026, 4, 25)):
        response = client.get(reverse("contracts:pipeline"))
    text = _text(response)
    assert response.status_code == 200
    assert "Besoin d'assistance e.magnus" in text
    assert "DEV-2026-0001" in text
    assert "DEV-2026-0002" in text
    assert "expiré" in text  # DEV-2026-0001 was valid until 1 April
    assert [q.number for q in response.context["quotes"]] == ["DEV-2026-0001", "DEV-2026-0002"]
    [(_order, missing)] = response.context["orders"]
    assert missing == ["les deux originaux papier de l'annexe"]
    assert "les deux originaux papier de l'annexe" in text


def test_the_pipeline_shows_renewals_and_terminations_within_90_days(
    client, billing, member_a, member_b, support
):
    subscription = active_subscription(member_a, billing, [support])  # starts 20 April 2026
    other = active_subscription(member_b, billing, [support])
    services.record_termination(
        subscription=other, received_on=date(2027, 1, 10), recorded_by=billing
    )  # notice until 31 March 2027, but the first year runs until 19 April 2027
    client.force_login(billing)
    with frozen_today(date(2027, 2, 1)):
        response = client.get(reverse("contracts:pipeline"))
    upcoming = response.context["upcoming"]
    assert [(day, s) for day, s in upcoming["renewals"]] == [(date(2027, 4, 20), subscription)]
    assert [(day, s) for day, s, _t in upcoming["terminations"]] == [(date(2027, 4, 19), other)]
    text = _text(response)
    assert "Échéances (90 jours)" in text
    assert "20 avril 2027" in text
    assert "19 avril 2027" in text


def test_the_pipeline_runs_a_bounded_number_of_queries(
    client, billing, member_a, member_b, support
):
    def build(count):
        for _ in range(count):
            services.record_request(
                member=member_a,
                received_on=date(2026, 3, 2),
                channel="email",
                summary="Demande",
                created_by=billing,
            )
            draft_quote(member_b, billing, [support])
            complete_order(signed_quote(member_a, billing, [support]), billing)

    client.force_login(billing)
    url = reverse("contracts:pipeline")
    build(1)
    active_subscription(member_b, billing, [support])
    with frozen_today(date(2027, 3, 1)):
        first = count_queries(lambda: client.get(url))
        build(4)
        assert count_queries(lambda: client.get(url)) == first
    assert first <= 12, first


# Requests ---------------------------------------------------------------------------------


def test_an_agent_records_a_request(client, agent, member_a, support, payroll_option):
    client.force_login(agent)
    with frozen_today(date(2026, 3, 5)):
        form = client.get(reverse("contracts:request-create")).context["form"]
        assert form["received_on"].value() == date(2026, 3, 5)
        response = client.post(
            reverse("contracts:request-create"),
            {
                "member": member_a.pk,
                "received_on": "2026-03-04",
                "channel": "phone",
                "summary": "Adhésion à l'assistance",
                "details": "Deux postes, e.magnus paie",
                "offers": [support.pk, payroll_option.pk],
            },
        )
    need = NeedRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:request-detail", args=[need.pk])
    assert need.member == member_a
    assert need.received_on == date(2026, 3, 4)
    assert set(need.offers.all()) == {support, payroll_option}
    assert AuditEntry.objects.filter(action="contracts.request.recorded", actor=agent).exists()


def test_a_request_needs_a_member_and_a_summary(client, agent, member_a):
    client.force_login(agent)
    response = client.post(
        reverse("contracts:request-create"),
        {"member": "", "received_on": "2026-03-04", "channel": "phone", "summary": ""},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"member", "summary"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not NeedRequest.objects.exists()


def test_the_member_list_of_the_request_form_offers_active_members_only(
    client, agent, member_a, member_b
):
    Member.objects.filter(pk=member_b.pk).update(is_active=False)
    client.force_login(agent)
    form = client.get(reverse("contracts:request-create"), {"member": member_a.pk}).context["form"]
    assert list(form.fields["member"].queryset) == [member_a]
    assert str(form["member"].value()) == str(member_a.pk)


def test_agents_read_but_do_not_quote_or_close(client, agent, member_a):
    need = services.record_request(
        member=member_a,
        received_on=date(2026, 3, 2),
        channel="phone",
        summary="Question",
        created_by=agent,
    )
    client.force_login(agent)
    page = client.get(reverse("contracts:request-detail", args=[need.pk]))
    assert page.status_code == 200
    assert "Établir un devis" not in _text(page)
    assert client.post(reverse("contracts:request-close", args=[need.pk])).status_code == 403
    assert client.get(reverse("contracts:quote-create"), {"demande": need.pk}).status_code == 403
    need.refresh_from_db()
    assert need.status == NeedRequest.Status.OPEN


def test_billing_closes_a_request_without_follow_up(client, billing, member_a):
    need = services.record_request(
        member=member_a,
        received_on=date(2026, 3, 2),
        channel="phone",
        summary="Question",
        created_by=billing,
    )
    client.force_login(billing)
    page = _text(client.get(reverse("contracts:request-detail", args=[need.pk])))
    assert "Établir un devis" in page
    assert "Classer sans suite" in page
    response = client.post(reverse("contracts:request-close", args=[need.pk]), follow=True)
    need.refresh_from_db()
    assert need.status == NeedRequest.Status.CLOSED
    assert "Demande classée sans suite." in _text(response)
    assert "contracts.request.closed" in _text(response)  # the history on the page


def test_user_data_is_escaped(client, agent, member_a):
    services.record_request(
        member=member_a,
        received_on=date(2026, 3, 2),
        channel="email",
        summary="<script>alert(1)</script>",
        created_by=agent,
    )
    client.force_login(agent)
    body = client.get(reverse("contracts:pipeline")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
