"""Back-office pages: agents write, publish, follow up and close notices; billing reads;
managers also delete drafts; member users and anonymous visitors get nothing."""

import html
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syndesk.catalog.models import SoftwareVersion
from syndesk.core.models import ClosureDay
from syndesk.core.testing import count_queries
from syndesk.members.models import Contact
from syndesk.news.models import AlertSubscription, Notice

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


def form_data(**overrides):
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "kind": "maintenance",
        "title": "Maintenance e.magnus",
        "severity": "outage",
        "starts_at": start.strftime(FMT),
        "ends_at": (start + timedelta(hours=3)).strftime(FMT),
        "body": "Le logiciel sera **indisponible**.",
    }
    data.update(overrides)
    return data


def test_an_agent_writes_then_publishes_a_maintenance(client, agent, emagnus):
    client.force_login(agent)
    response = client.post(reverse("news:create"), form_data(software=[emagnus.pk]))
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("news:detail", args=[notice.pk])
    assert notice.status == Notice.Status.DRAFT
    assert list(notice.software.all()) == [emagnus]
    assert timezone.localtime(notice.starts_at).strftime(FMT) == form_data()["starts_at"]
    client.post(reverse("news:publish", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED


def test_an_end_before_the_start_is_explained_at_the_field(client, agent):
    client.force_login(agent)
    start = timezone.localtime() + timedelta(days=2)
    response = client.post(
        reverse("news:create"),
        form_data(
            starts_at=start.strftime(FMT), ends_at=(start - timedelta(hours=1)).strftime(FMT)
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["La fin doit être postérieure au début."]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Notice.objects.exists()


def test_a_maintenance_without_dates_is_explained_at_the_fields(client, agent):
    client.force_login(agent)
    response = client.post(reverse("news:create"), form_data(starts_at="", ends_at=""))
    errors = response.context["form"].errors
    assert errors["starts_at"] == ["Indiquez le début de la maintenance."]
    assert errors["ends_at"] == ["Indiquez la fin prévue de la maintenance."]


def test_editing_a_published_notice_keeps_its_kind(client, agent, notice_factory):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    client.force_login(agent)
    data = form_data(kind="news", title="Panne de Pastell", severity="degraded")
    data["starts_at"] = timezone.localtime(notice.starts_at).strftime(FMT)
    data["ends_at"] = ""
    response = client.post(reverse("news:edit", args=[notice.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    notice.refresh_from_db()
    assert (notice.kind, notice.title) == (Notice.Kind.INTERRUPTION, "Panne de Pastell")


def test_follow_up_and_close_an_interruption_from_its_page(client, agent, notice_factory):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    client.force_login(agent)
    page = client.get(reverse("news:detail", args=[notice.pk])).content.decode()
    assert reverse("news:follow-up", args=[notice.pk]) in page
    client.post(reverse("news:follow-up", args=[notice.pk]), {"body": "Diagnostic en cours."})
    response = client.post(
        reverse("news:close", args=[notice.pk]), {"resolution": "Rétabli.", "ended_at": ""}
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert [u.is_resolution for u in notice.updates.all()] == [True, False]


def test_closing_with_an_end_before_the_start_is_explained(client, agent, notice_factory):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION)
    client.force_login(agent)
    too_early = timezone.localtime(notice.starts_at) - timedelta(hours=1)
    response = client.post(
        reverse("news:close", args=[notice.pk]),
        {"resolution": "Rétabli.", "ended_at": too_early.strftime(FMT)},
    )
    assert response.context["form"].errors["ended_at"] == ["La fin doit être postérieure au début."]
    notice.refresh_from_db()
    assert notice.resolved_at is None


def test_a_refused_operation_is_reported_not_raised(client, agent, notice_factory):
    notice = notice_factory()
    client.force_login(agent)
    response = client.post(reverse("news:publish", args=[notice.pk]), follow=True)
    assert "Cet avis est déjà publié." in html.unescape(response.content.decode())


def test_a_version_notice_from_the_catalogue(client, agent, emagnus):
    version = SoftwareVersion.objects.create(
        software=emagnus, number="2026.1", release_date=date(2026, 1, 12)
    )
    client.force_login(agent)
    response = client.post(reverse("news:from-version"), {"version": version.pk})
    notice = Notice.objects.get()
    assert response["Location"] == reverse("news:edit", args=[notice.pk])
    assert notice.version == version


def test_a_closure_notice_from_a_closure_day(client, agent):
    closure = ClosureDay.objects.create(date=date.today() + timedelta(days=5), label="Pont")
    client.force_login(agent)
    client.post(reverse("news:from-closure"), {"closure": closure.pk})
    assert Notice.objects.get().kind == Notice.Kind.INFO


def test_billing_reads_but_cannot_write_or_publish(client, billing, notice_factory):
    notice = notice_factory(publish=False)
    client.force_login(billing)
    assert client.get(reverse("news:list")).status_code == 200
    assert client.get(reverse("news:detail", args=[notice.pk])).status_code == 200
    assert client.get(reverse("news:create")).status_code == 403
    assert client.post(reverse("news:create"), form_data()).status_code == 403
    assert client.post(reverse("news:publish", args=[notice.pk])).status_code == 403
    assert client.post(reverse("news:edit", args=[notice.pk]), form_data()).status_code == 403
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT


def test_only_managers_delete_drafts(client, agent, manager, notice_factory):
    notice = notice_factory(publish=False)
    client.force_login(agent)
    assert client.post(reverse("news:delete", args=[notice.pk])).status_code == 403
    client.force_login(manager)
    assert client.post(reverse("news:delete", args=[notice.pk])).status_code == 302
    assert not Notice.objects.exists()


def test_member_users_and_anonymous_visitors_are_kept_out(client, alice, notice_factory):
    notice = notice_factory(publish=False)
    urls = [
        reverse("news:list"),
        reverse("news:create"),
        reverse("news:detail", args=[notice.pk]),
        reverse("news:edit", args=[notice.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(alice)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(reverse("news:publish", args=[notice.pk])).status_code == 403
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT


def test_the_staff_list_filters_and_is_bounded_in_queries(client, agent, notice_factory, pastell):
    notice_factory(title="Pastell", software=[pastell])
    notice_factory(title="Brouillon", publish=False)
    client.force_login(agent)
    page = client.get(reverse("news:list"), {"status": "draft"}).context["page"]
    assert [n.title for n in page] == ["Brouillon"]
    url = reverse("news:list")
    few = count_queries(lambda: client.get(url))
    for i in range(30):
        notice_factory(title=f"N{i}", software=[pastell])
    assert count_queries(lambda: client.get(url)) == few


def test_staff_subscribe_a_contact_to_alerts_from_the_member_page(client, agent, member_a):
    contact = Contact.objects.create(member=member_a, last_name="Martin", email="m@b.example")
    client.force_login(agent)
    page = client.get(reverse("members:detail", args=[member_a.pk])).content.decode()
    assert "Alertes d'interruption par courriel" in html.unescape(page)
    client.post(reverse("news:alert-add", args=[member_a.pk]), {"contact": contact.pk})
    subscription = AlertSubscription.objects.get()
    assert subscription.contact == contact
    client.post(reverse("news:alert-delete", args=[subscription.pk]))
    assert not AlertSubscription.objects.exists()


def test_a_contact_of_another_member_cannot_be_subscribed(client, agent, member_a, member_b):
    other = Contact.objects.create(member=member_b, last_name="Autre", email="a@b.example")
    client.force_login(agent)
    client.post(reverse("news:alert-add", args=[member_a.pk]), {"contact": other.pk})
    assert not AlertSubscription.objects.exists()
