"""Notice operations: validation, publication dates and GUIDs, follow-ups, closing,
withdrawal, the publication clock, the audit log and the email alerts."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from syndesk.catalog.models import SoftwareVersion
from syndesk.core.models import AuditEntry, ClosureDay
from syndesk.members.models import Contact
from syndesk.news import services
from syndesk.news.models import AlertSubscription, Notice, PublicationClock

pytestmark = pytest.mark.django_db


def test_an_end_before_the_start_is_refused_at_the_end_field(agent):
    start = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.create_notice(
            kind=Notice.Kind.MAINTENANCE,
            title="Maintenance",
            starts_at=start,
            ends_at=start - timedelta(hours=1),
            created_by=agent,
        )
    assert exc.value.message_dict["ends_at"] == ["La fin doit être postérieure au début."]
    assert not Notice.objects.exists()


def test_a_maintenance_needs_its_window_and_an_interruption_its_start(agent):
    with pytest.raises(ValidationError) as exc:
        services.create_notice(kind=Notice.Kind.MAINTENANCE, title="M", created_by=agent)
    assert set(exc.value.message_dict) == {"starts_at", "ends_at"}
    with pytest.raises(ValidationError) as exc:
        services.create_notice(kind=Notice.Kind.INTERRUPTION, title="I", created_by=agent)
    assert set(exc.value.message_dict) == {"starts_at"}


def test_the_database_refuses_an_end_before_the_start_too(notice_factory):
    from django.db import IntegrityError, transaction

    notice = notice_factory(kind=Notice.Kind.MAINTENANCE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(ends_at=notice.starts_at - timedelta(days=1))


def test_a_new_notice_is_a_draft_with_a_permanent_tag_guid(agent):
    notice = services.create_notice(kind=Notice.Kind.NEWS, title="Nouveauté", created_by=agent)
    assert notice.status == Notice.Status.DRAFT
    assert notice.published_at is None
    assert notice.guid == f"tag:testserver,{notice.created_at:%Y-%m-%d}:notice:{notice.pk}"
    assert AuditEntry.objects.filter(action="news.notice.created", actor=agent).exists()


def test_publishing_dates_the_notice_and_moves_the_clock(notice_factory):
    before = PublicationClock.now()
    notice = notice_factory(title="Publié")
    assert notice.status == Notice.Status.PUBLISHED
    assert notice.published_at == notice.updated_at
    assert PublicationClock.now() > before
    assert AuditEntry.objects.filter(action="news.notice.published").exists()


def test_editing_a_published_notice_keeps_guid_and_publication_date(
    notice_factory, agent, settings
):
    notice = notice_factory(title="Avant")
    guid, published_at = notice.guid, notice.published_at
    settings.SITE_URL = "https://autre.example"  # a later change of host
    clock = PublicationClock.now()
    notice = services.change_notice(notice=notice, changed_by=agent, title="Après")
    assert (notice.guid, notice.published_at) == (guid, published_at)
    assert notice.updated_at > published_at
    assert PublicationClock.now() > clock
    assert AuditEntry.objects.get(action="news.notice.changed").data == {"fields": ["title"]}


def test_the_kind_of_a_published_notice_is_fixed(notice_factory, agent):
    notice = notice_factory()
    with pytest.raises(services.NoticeRefused):
        services.change_notice(notice=notice, changed_by=agent, kind=Notice.Kind.INFO)


def test_a_draft_edit_does_not_move_the_clock(agent):
    notice = services.create_notice(kind=Notice.Kind.NEWS, title="Brouillon", created_by=agent)
    clock = PublicationClock.now()
    services.change_notice(notice=notice, changed_by=agent, body="Texte")
    assert PublicationClock.now() == clock


def test_follow_ups_and_closing_an_interruption(notice_factory, agent):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, title="Panne")
    update = services.add_notice_update(notice=notice, body="On cherche.", author=agent)
    notice.refresh_from_db()
    assert notice.updated_at == update.created_at
    resolution = services.close_notice(notice=notice, resolution="Rétabli.", closed_by=agent)
    notice.refresh_from_db()
    assert resolution.is_resolution
    assert notice.resolved_at is not None
    assert notice.ends_at == notice.resolved_at
    assert list(notice.updates.values_list("body", flat=True)) == ["Rétabli.", "On cherche."]
    with pytest.raises(services.NoticeRefused):
        services.add_notice_update(notice=notice, body="Encore", author=agent)
    with pytest.raises(services.NoticeRefused):
        services.close_notice(notice=notice, resolution="Encore", closed_by=agent)


def test_closing_refuses_an_end_before_the_start_or_in_the_future(notice_factory, agent):
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION)
    with pytest.raises(ValidationError) as exc:
        services.close_notice(
            notice=notice,
            resolution="x",
            closed_by=agent,
            ended_at=notice.starts_at - timedelta(minutes=1),
        )
    assert exc.value.message_dict["ended_at"] == ["La fin doit être postérieure au début."]
    with pytest.raises(ValidationError):
        services.close_notice(
            notice=notice,
            resolution="x",
            closed_by=agent,
            ended_at=timezone.now() + timedelta(hours=1),
        )


def test_drafts_take_no_follow_up_and_news_cannot_be_closed(notice_factory, agent):
    draft = notice_factory(kind=Notice.Kind.INTERRUPTION, publish=False)
    with pytest.raises(services.NoticeRefused):
        services.add_notice_update(notice=draft, body="x", author=agent)
    news = notice_factory()
    with pytest.raises(services.NoticeRefused):
        services.close_notice(notice=news, resolution="x", closed_by=agent)


def test_withdrawing_and_republishing_keeps_the_first_publication_date(notice_factory, agent):
    notice = notice_factory()
    first = notice.published_at
    services.unpublish_notice(notice=notice, unpublished_by=agent)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    notice = services.publish_notice(notice=notice, published_by=agent)
    assert notice.published_at == first


def test_only_never_published_drafts_can_be_deleted(notice_factory, manager):
    draft = notice_factory(publish=False)
    services.delete_notice(notice=draft, deleted_by=manager)
    assert not Notice.objects.filter(pk=draft.pk).exists()
    withdrawn = notice_factory()
    services.unpublish_notice(notice=withdrawn, unpublished_by=manager)
    with pytest.raises(services.NoticeRefused):
        services.delete_notice(notice=withdrawn, deleted_by=manager)


def test_a_version_notice_is_drafted_from_the_catalogue(emagnus, agent):
    version = SoftwareVersion.objects.create(
        software=emagnus, number="2026.1", release_date=date(2026, 1, 12), notes="Paie DSN."
    )
    notice = services.create_version_notice(version=version, created_by=agent)
    assert notice.title == "e.magnus : version 2026.1"
    assert "disponible depuis le 12/01/2026" in notice.body
    assert "Paie DSN." in notice.body
    assert list(notice.software.all()) == [emagnus]
    assert notice.version == version
    assert notice.status == Notice.Status.DRAFT


def test_a_closure_day_notice_is_drafted(agent):
    closure = ClosureDay.objects.create(date=date(2026, 12, 24), label="Pont de Noël")
    notice = services.create_closure_notice(closure=closure, created_by=agent)
    assert notice.kind == Notice.Kind.INFO
    assert notice.title == "Fermeture de l'assistance le 24/12/2026"
    assert "Pont de Noël" in notice.body


def test_recording_a_closure_day_moves_the_clock(db):
    before = PublicationClock.now()
    ClosureDay.objects.create(date=date(2026, 12, 24), label="Pont")
    assert PublicationClock.now() > before


# Email alerts ----------------------------------------------------------------------------


@pytest.fixture
def alert_people(subscriptions, member_a, member_b, alice, charlie, agent):
    contact = Contact.objects.create(member=member_a, last_name="Martin", email="m@brecey.example")
    services.subscribe_alerts(member=member_a, contact=contact, subscribed_by=agent)
    services.subscribe_alerts(member=member_b, user=charlie, subscribed_by=charlie)
    return contact


def test_an_interruption_mails_the_subscribers_of_members_using_the_software(
    alert_people, notice_factory, emagnus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_factory(
            kind=Notice.Kind.INTERRUPTION, title="e.magnus en panne", software=[emagnus]
        )
    assert [m.to for m in mail.outbox] == [["m@brecey.example"]]
    message = mail.outbox[0]
    assert "e.magnus en panne" in message.subject
    assert notice.absolute_url in message.body
    assert "/alertes/desabonnement/" in message.body


def test_a_general_interruption_mails_every_subscriber(
    alert_people, notice_factory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_factory(kind=Notice.Kind.INTERRUPTION, title="Standard coupé")
    assert sorted(m.to[0] for m in mail.outbox) == ["charlie@avranches.example", "m@brecey.example"]


def test_the_resolution_is_mailed_and_news_are_not(
    alert_people, notice_factory, pastell, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_factory(title="Simple nouveauté", software=[pastell])
    assert mail.outbox == []
    notice = notice_factory(kind=Notice.Kind.INTERRUPTION, software=[pastell])
    with django_capture_on_commit_callbacks(execute=True):
        services.close_notice(notice=notice, resolution="C'est réparé.", closed_by=agent)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["charlie@avranches.example"]
    assert "Rétabli" in mail.outbox[0].subject
    assert "C'est réparé." in mail.outbox[0].body


def test_no_mail_leaves_for_a_rolled_back_publication(
    alert_people, agent, django_capture_on_commit_callbacks
):
    from django.db import transaction

    draft = services.create_notice(
        kind=Notice.Kind.INTERRUPTION, title="x", starts_at=timezone.now(), created_by=agent
    )
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.publish_notice(notice=draft, published_by=agent)
                raise RuntimeError
        except RuntimeError:
            pass
    assert mail.outbox == []


def test_the_unsubscribe_token_is_signed(alert_people):
    subscription = AlertSubscription.objects.get(contact=alert_people)
    token = services.unsubscribe_token(subscription)
    assert services.subscription_from_unsubscribe_token(token) == subscription
    assert services.subscription_from_unsubscribe_token(token[:-2] + "xx") is None


def test_a_contact_without_email_or_of_another_member_cannot_subscribe(member_a, member_b, agent):
    no_mail = Contact.objects.create(member=member_a, last_name="Sans")
    other = Contact.objects.create(member=member_b, last_name="Autre", email="a@b.example")
    with pytest.raises(services.NoticeRefused):
        services.subscribe_alerts(member=member_a, contact=no_mail, subscribed_by=agent)
    with pytest.raises(services.NoticeRefused):
        services.subscribe_alerts(member=member_a, contact=other, subscribed_by=agent)
