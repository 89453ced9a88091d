"""Practical sheets used from tickets: links, "Résoudre par fiche", resolved counts, votes,
suggestions while a ticket is typed, and the portal's pages. Brécey (alice, bob) subscribes
with e.magnus covered; Avranches (charlie) does not."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from syndesk.core.audit import history_of
from syndesk.core.testing import assert_isolated, count_queries
from syndesk.desk import services as desk_services
from syndesk.desk.models import Outcome, Status, TicketMessage
from syndesk.kb import services
from syndesk.kb.models import Sheet, SheetVote, TicketSheetLink

HOSTILE = [
    '"><script>alert(1)</script>',
    "' OR 1=1 --",
    'NEAR("a" "b") AND -x*',
    "%_\\",
    "",
    "x" * 5000,
]


@pytest.fixture
def pes(sheet_factory, emagnus):
    return sheet_factory(
        title="Télétransmission des flux PES",
        summary="Envoyer les bordereaux au comptable par Hélios.",
        body="Le mandat rejeté par le comptable : corriger puis renvoyer le bordereau.",
        software=[emagnus],
    )


@pytest.fixture
def members_sheet(sheet_factory):
    return sheet_factory(
        title="Mandat rejeté : que faire",
        summary="Réservée aux adhérents.",
        visibility=Sheet.Visibility.MEMBERS,
    )


@pytest.fixture
def staff_sheet(sheet_factory):
    return sheet_factory(
        title="Mandat rejeté : procédure interne",
        summary="Note du personnel.",
        visibility=Sheet.Visibility.STAFF,
    )


@pytest.fixture
def ticket(open_ticket):
    return open_ticket()


@pytest.fixture
def alice_ticket(open_ticket, alice):
    return open_ticket(requester=alice, contact=None, subject="Flux PES refusé")


# Services ----------------------------------------------------------------------------------


def test_an_agent_links_a_sheet_once(ticket, pes, agent):
    first = services.link_sheet(ticket=ticket, sheet=pes, by=agent)
    again = services.link_sheet(ticket=ticket, sheet=pes, by=agent)
    assert first.pk == again.pk
    assert TicketSheetLink.objects.filter(ticket=ticket).count() == 1
    assert [e.action for e in history_of(ticket)].count("kb.ticket.sheet_linked") == 1


def test_a_draft_cannot_be_linked(ticket, sheet_factory, agent):
    draft = sheet_factory(title="Brouillon", publish=False)
    with pytest.raises(ValidationError):
        services.link_sheet(ticket=ticket, sheet=draft, by=agent)


def test_a_member_user_cannot_link(ticket, pes, alice):
    with pytest.raises(PermissionDenied):
        services.link_sheet(ticket=ticket, sheet=pes, by=alice)


def test_an_agent_unlinks_a_sheet(ticket, pes, agent):
    link = services.link_sheet(ticket=ticket, sheet=pes, by=agent)
    services.unlink_sheet(link=link, by=agent)
    assert not TicketSheetLink.objects.exists()


def test_resolve_by_sheet_sets_the_outcome_and_sends_the_link(
    ticket, pes, agent, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        link = services.resolve_by_sheet(ticket=ticket, sheet=pes, by=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.outcome == Outcome.BY_SHEET
    assert link.resolution
    reply = ticket.messages.filter(kind=TicketMessage.Kind.PUBLIC, from_staff=True).last()
    assert f"http://testserver/fiches/{pes.slug}/" in reply.body
    assert len(mail.outbox) == 1  # the reply, not a second "resolved" mail
    assert f"/fiches/{pes.slug}/" in mail.outbox[0].body
    assert services.resolved_counts([pes.pk]) == {pes.pk: 1}


def test_the_resolving_sheet_cannot_be_unlinked_while_resolved(ticket, pes, agent):
    link = services.resolve_by_sheet(ticket=ticket, sheet=pes, by=agent)
    with pytest.raises(ValidationError):
        services.unlink_sheet(link=link, by=agent)


def test_a_reopened_ticket_no_longer_counts(ticket, pes, agent):
    services.resolve_by_sheet(ticket=ticket, sheet=pes, by=agent)
    desk_services.reopen(ticket=ticket, by=agent, reason="Toujours en erreur")
    assert services.resolved_counts([pes.pk]) == {}


def test_resolving_again_by_another_sheet_moves_the_resolution(ticket, pes, members_sheet, agent):
    services.resolve_by_sheet(ticket=ticket, sheet=pes, by=agent)
    desk_services.reopen(ticket=ticket, by=agent)
    services.resolve_by_sheet(ticket=ticket, sheet=members_sheet, by=agent)
    assert list(
        TicketSheetLink.objects.filter(ticket=ticket, resolution=True).values_list(
            "sheet_id", flat=True
        )
    ) == [members_sheet.pk]
    assert services.resolved_counts([pes.pk, members_sheet.pk]) == {members_sheet.pk: 1}


def test_a_staff_only_sheet_cannot_resolve_and_nothing_is_saved(ticket, staff_sheet, agent):
    with pytest.raises(ValidationError):
        services.resolve_by_sheet(ticket=ticket, sheet=staff_sheet, by=agent)
    ticket.refresh_from_db()
    assert ticket.status != Status.RESOLVED
    assert not TicketSheetLink.objects.exists()


def test_a_closed_ticket_is_not_resolved_and_nothing_is_saved(ticket, pes, agent):
    desk_services.close(ticket=ticket, outcome=Outcome.ABANDONED, by=agent)
    before = ticket.messages.count()
    with pytest.raises(ValidationError):
        services.resolve_by_sheet(ticket=ticket, sheet=pes, by=agent)
    assert not TicketSheetLink.objects.exists()
    assert ticket.messages.count() == before


def test_one_vote_per_user_changeable(pes, alice, bob):
    services.vote_sheet(sheet=pes, user=alice, helpful=True)
    services.vote_sheet(sheet=pes, user=alice, helpful=False)
    services.vote_sheet(sheet=pes, user=bob, helpful=True)
    assert SheetVote.objects.filter(sheet=pes, user=alice).count() == 1
    assert services.vote_counts(pes) == {"yes": 1, "no": 1}


def test_staff_and_outsiders_do_not_vote(pes, agent, staff_sheet, alice):
    with pytest.raises(PermissionDenied):
        services.vote_sheet(sheet=pes, user=agent, helpful=True)
    with pytest.raises(PermissionDenied):
        services.vote_sheet(sheet=staff_sheet, user=alice, helpful=True)


def test_resolved_counts_is_one_query(open_ticket, pes, members_sheet, agent):
    for sheet in (pes, members_sheet, pes):
        services.resolve_by_sheet(ticket=open_ticket(), sheet=sheet, by=agent)
    counts = {}
    assert count_queries(lambda: counts.update(services.resolved_counts([pes.pk]))) == 1
    assert counts == {pes.pk: 2}


# Suggestions -------------------------------------------------------------------------------


def suggested(client, user, url_name, **params):
    client.force_login(user)
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_member_gets_public_and_members_sheets_never_staff_ones(
    client, alice, pes, members_sheet, staff_sheet
):
    html = suggested(
        client, alice, "kb-portal:suggestions", subject="Mandat rejeté", description="comptable"
    )
    assert members_sheet.title in html
    assert staff_sheet.title not in html
    assert "procédure interne" not in html


def test_staff_get_staff_sheets_too(client, agent, staff_sheet):
    html = suggested(client, agent, "kb:suggestions", subject="Mandat rejeté")
    assert staff_sheet.title in html


def test_a_sentence_finds_sheets_by_its_words(client, alice, pes):
    html = suggested(
        client,
        alice,
        "kb-portal:suggestions",
        subject="Bonjour",
        description="Nous avons un souci avec la télétransmission vers Hélios depuis hier.",
    )
    assert "Télétransmission des flux PES" in html


def test_a_typo_still_suggests(client, alice, pes):
    html = suggested(client, alice, "kb-portal:suggestions", subject="télétransmision")
    assert "Télétransmission des flux PES" in html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_harmless(client, alice, pes, text):
    html = suggested(client, alice, "kb-portal:suggestions", subject=text, description=text)
    assert "<script>" not in html


def test_suggestions_need_a_login(client, pes):
    response = client.get(reverse("kb-portal:suggestions"), {"subject": "PES"})
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_suggestions_cost_a_bounded_number_of_queries(client, alice, sheet_factory):
    for n in range(8):
        sheet_factory(title=f"Mandat rejeté cas {n}", summary="Bordereau comptable")
    client.force_login(alice)
    text = {"subject": "Mandat rejeté", "description": "bordereau comptable hélios paie"}
    queries = count_queries(lambda: client.get(reverse("kb-portal:suggestions"), text))
    assert queries <= 16


# Staff pages -------------------------------------------------------------------------------


def test_the_ticket_page_has_the_panel_and_its_body_lists_links(client, agent, ticket, pes):
    services.link_sheet(ticket=ticket, sheet=pes, by=agent)
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert reverse("kb:ticket-panel", args=[ticket.reference]) in page
    body = client.get(reverse("kb:ticket-panel", args=[ticket.reference])).content.decode()
    assert pes.title in body
    assert "Résoudre par fiche" in body


def test_the_panel_body_suggests_sheets_for_the_ticket(client, agent, ticket, pes):
    client.force_login(agent)
    body = client.get(reverse("kb:ticket-panel", args=[ticket.reference])).content.decode()
    assert "Fiches suggérées" in body
    assert pes.title in body


def test_the_panel_body_costs_the_same_for_1_or_6_links(
    client,
    agent,
    open_ticket,
    sheet_factory,
):
    client.force_login(agent)

    def measure(n):
        ticket = open_ticket()
        for i in range(n):
            services.link_sheet(ticket=ticket, sheet=sheet_factory(title=f"Fiche {i}"), by=agent)
        url = reverse("kb:ticket-panel", args=[ticket.reference])
        return count_queries(lambda: client.get(url))

    assert measure(1) == measure(6)


def test_link_unlink_and_resolve_from_the_ticket_page(client, agent, ticket, pes):
    client.force_login(agent)
    link_url = reverse("kb:ticket-link", args=[ticket.reference])
    response = client.post(link_url, {"sheet": pes.pk})
    assert response.status_code == 302
    link = TicketSheetLink.objects.get(ticket=ticket, sheet=pes)
    client.post(reverse("kb:ticket-unlink", args=[ticket.reference, link.pk]))
    assert not TicketSheetLink.objects.exists()
    response = client.post(reverse("kb:ticket-resolve", args=[ticket.reference, pes.pk]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.outcome == Outcome.BY_SHEET


def test_a_bad_sheet_id_is_refused_with_a_message(client, agent, ticket):
    client.force_login(agent)
    response = client.post(
        reverse("kb:ticket-link", args=[ticket.reference]), {"sheet": "1 OR 1=1"}, follow=True
    )
    assert "Choisissez une fiche à lier." in response.content.decode()
    assert not TicketSheetLink.objects.exists()


def test_resolving_by_a_staff_sheet_says_why(client, agent, ticket, staff_sheet):
    client.force_login(agent)
    response = client.post(
        reverse("kb:ticket-resolve", args=[ticket.reference, staff_sheet.pk]), follow=True
    )
    assert "réservée au personnel" in response.content.decode()


def test_the_link_search_escapes_the_query(client, agent, ticket, pes):
    client.force_login(agent)
    url = reverse("kb:ticket-search", args=[ticket.reference])
    html = client.get(url, {"q": '<script>alert("x")</script>'}).content.decode()
    assert "<script>" not in html
    assert pes.title in client.get(url, {"q": "télétransmision"}).content.decode()


def test_billing_reads_but_cannot_link(client, billing, ticket, pes):
    client.force_login(billing)
    response = client.post(reverse("kb:ticket-link", args=[ticket.reference]), {"sheet": pes.pk})
    assert response.status_code == 403


def test_member_users_never_reach_the_staff_ticket_views(client, charlie, alice, ticket, pes):
    for user in (charlie, alice):
        assert_isolated(
            client,
            user,
            object_urls=[
                reverse("kb:ticket-panel", args=[ticket.reference]),
                reverse("kb:ticket-search", args=[ticket.reference]) + "?q=PES",
            ],
            post_urls=[
                (reverse("kb:ticket-link", args=[ticket.reference]), {"sheet": pes.pk}),
                (reverse("kb:ticket-resolve", args=[ticket.reference, pes.pk]), {}),
            ],
            unchanged=lambda: list(TicketSheetLink.objects.values_list("pk", flat=True)),
        )


def test_counts_on_the_staff_list_and_sheet_page(client, agent, open_ticket, pes, alice):
    services.resolve_by_sheet(ticket=open_ticket(), sheet=pes, by=agent)
    services.resolve_by_sheet(ticket=open_ticket(), sheet=pes, by=agent)
    services.vote_sheet(sheet=pes, user=alice, helpful=True)
    client.force_login(agent)
    listing = client.get(reverse("kb:list")).content.decode()
    assert "Demandes résolues" in listing
    assert "<td>2</td>" in listing
    detail = client.get(reverse("kb:detail", args=[pes.pk])).content.decode()
    assert "A résolu 2 demandes" in detail
    assert "1 « oui, utile », 0 « non »" in detail


def test_the_staff_list_counts_in_one_query_whatever_the_rows(client, agent, sheet_factory):
    client.force_login(agent)
    sheet_factory(title="Une")
    few = count_queries(lambda: client.get(reverse("kb:list")))
    for n in range(6):
        sheet_factory(title=f"Autre {n}")
    assert count_queries(lambda: client.get(reverse("kb:list"))) == few


# Portal ------------------------------------------------------------------------------------


def test_the_portal_ticket_shows_linked_sheets_it_may_read(
    client, agent, alice, alice_ticket, pes, staff_sheet
):
    services.link_sheet(ticket=alice_ticket, sheet=pes, by=agent)
    services.link_sheet(ticket=alice_ticket, sheet=staff_sheet, by=agent)
    client.force_login(alice)
    html = client.get(reverse("desk-portal:ticket", args=[alice_ticket.reference])).content.decode()
    assert pes.title in html
    assert staff_sheet.title not in html


def test_charlie_cannot_see_alices_ticket_sheets(client, agent, charlie, alice_ticket, pes):
    services.link_sheet(ticket=alice_ticket, sheet=pes, by=agent)
    assert_isolated(
        client,
        charlie,
        list_urls=[reverse("kb-portal:list"), reverse("desk-portal:list")],
        hidden_text=alice_ticket.reference,
        object_urls=[reverse("desk-portal:ticket", args=[alice_ticket.reference])],
    )


def test_the_portal_create_form_has_the_suggestion_box(client, alice, subscription):
    client.force_login(alice)
    html = client.get(reverse("desk-portal:create")).content.decode()
    assert reverse("kb-portal:suggestions") in html
    assert 'hx-trigger="keyup changed delay:400ms' in html


def test_the_staff_forms_have_the_suggestion_box(client, agent):
    client.force_login(agent)
    html = client.get(reverse("desk:create")).content.decode()
    assert reverse("kb:suggestions") in html


def test_the_portal_lists_sheets_of_the_member_software(
    client,
    alice,
    subscription,
    pes,
    sheet_factory,
    pastell,
    members_sheet,
    staff_sheet,
):
    other = sheet_factory(title="Signature Pastell", software=[pastell])
    client.force_login(alice)
    html = client.get(reverse("kb-portal:list")).content.decode()
    assert pes.title in html  # e.magnus, covered
    assert members_sheet.title in html  # general
    assert other.title not in html  # Pastell, not covered
    assert staff_sheet.title not in html


def test_the_portal_list_without_subscription_shows_general_sheets(
    client, charlie, pes, members_sheet
):
    client.force_login(charlie)
    html = client.get(reverse("kb-portal:list")).content.decode()
    assert members_sheet.title in html
    assert pes.title not in html


def test_the_portal_list_costs_the_same_for_2_or_8_sheets(
    client,
    alice,
    subscription,
    sheet_factory,
    emagnus,
):
    client.force_login(alice)
    sheet_factory(title="A", software=[emagnus])
    sheet_factory(title="B")
    few = count_queries(lambda: client.get(reverse("kb-portal:list")))
    for n in range(6):
        sheet_factory(title=f"C{n}", software=[emagnus])
    assert count_queries(lambda: client.get(reverse("kb-portal:list"))) == few


# Votes (views) -----------------------------------------------------------------------------


def test_a_member_votes_and_changes_their_mind(client, alice, pes):
    client.force_login(alice)
    url = reverse("kb-public:vote", args=[pes.slug])
    client.post(url, {"helpful": "1"})
    response = client.post(url, {"helpful": "0"}, follow=True)
    assert "Merci pour votre avis." in response.content.decode()
    assert list(SheetVote.objects.values_list("helpful", flat=True)) == [False]


def test_an_anonymous_vote_goes_to_login_and_saves_nothing(client, pes):
    response = client.post(reverse("kb-public:vote", args=[pes.slug]), {"helpful": "1"})
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]
    assert not SheetVote.objects.exists()


def test_a_bad_answer_is_refused(client, alice, pes):
    client.force_login(alice)
    response = client.post(
        reverse("kb-public:vote", args=[pes.slug]), {"helpful": "<b>2</b>"}, follow=True
    )
    assert "Répondez par « Oui » ou par « Non »." in response.content.decode()
    assert not SheetVote.objects.exists()


def test_a_member_cannot_vote_on_a_staff_sheet(client, alice, staff_sheet):
    client.force_login(alice)
    response = client.post(reverse("kb-public:vote", args=[staff_sheet.slug]), {"helpful": "1"})
    assert response.status_code == 404


def test_the_sheet_page_asks_members_and_shows_counts_to_staff(client, alice, agent, pes):
    client.force_login(alice)
    assert "Cette fiche vous a-t-elle aidé ?" in client.get(pes.get_absolute_url()).content.decode()
    services.vote_sheet(sheet=pes, user=alice, helpful=True)
    client.force_login(agent)
    html = client.get(pes.get_absolute_url()).content.decode()
    assert "1 « oui », 0 « non »" in html
