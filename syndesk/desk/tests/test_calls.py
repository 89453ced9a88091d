"""Phone calls: caller identification from normalised numbers, start/end, ticket from a call."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syndesk.desk import services
from syndesk.desk.models import Channel
from syndesk.members.models import Contact, MemberPhone

from .conftest import MONDAY_10H

pytestmark = pytest.mark.django_db


def test_a_contact_number_identifies_the_contact_and_the_member(gisele, member_a):
    caller = services.identify_caller("02 33 48 01 01")
    assert caller.number == "+33233480101"
    assert (caller.member, caller.contact) == (member_a, gisele)


def test_a_town_hall_number_identifies_the_member(town_hall_phone, member_a):
    caller = services.identify_caller("+33 2 33 48 01 00")
    assert (caller.member, caller.contact) == (member_a, None)


def test_a_number_shared_by_two_members_is_ambiguous(town_hall_phone, member_a, member_b):
    MemberPhone.objects.create(member=member_b, number=town_hall_phone.number)
    caller = services.identify_caller("0233480100")
    assert caller.member is None
    assert set(caller.candidates) == {member_a, member_b}


def test_unknown_and_invalid_numbers(db):
    assert services.identify_caller("02 99 99 99 99").member is None
    invalid = services.identify_caller("12")
    assert not invalid.valid
    assert invalid.number == "12"


def test_a_call_is_started_identified_and_ended(gisele, member_a, agent):
    call = services.start_call(number="0233480101", agent=agent, at=MONDAY_10H)
    assert call.member == member_a
    assert call.contact == gisele
    assert call.duration is None
    call = services.end_call(call=call, by=agent, at=MONDAY_10H + timedelta(minutes=7))
    assert call.duration == timedelta(minutes=7)
    with pytest.raises(ValidationError):
        services.end_call(call=call, by=agent)


def test_a_call_cannot_end_before_it_started(agent, db):
    call = services.start_call(number="0233480101", agent=agent, at=MONDAY_10H)
    with pytest.raises(ValidationError):
        services.end_call(call=call, by=agent, at=MONDAY_10H - timedelta(minutes=1))


def test_member_users_cannot_take_calls(alice):
    with pytest.raises(PermissionDenied):
        services.start_call(number="0233480101", agent=alice)


def test_an_unknown_number_is_attached_to_a_contact_in_one_step(gisele, member_a, agent):
    call = services.start_call(number="06 12 34 56 78", agent=agent, at=MONDAY_10H)
    assert call.member is None
    services.identify_call(call=call, member=member_a, contact=gisele, remember=True, by=agent)
    gisele.refresh_from_db()
    assert gisele.mobile == "+33612345678"
    again = services.identify_caller("0612345678")
    assert (again.member, again.contact) == (member_a, gisele)


def test_an_unknown_number_is_kept_on_the_member_without_contact(member_a, agent):
    call = services.start_call(number="0233000001", agent=agent, at=MONDAY_10H)
    services.identify_call(call=call, member=member_a, remember=True, by=agent)
    assert MemberPhone.objects.filter(member=member_a, number="+33233000001").exists()


def test_identify_call_refuses_a_contact_of_another_member(member_b, gisele, agent):
    call = services.start_call(number="0233000001", agent=agent, at=MONDAY_10H)
    with pytest.raises(ValidationError):
        services.identify_call(call=call, member=member_b, contact=gisele, by=agent)


def test_a_ticket_opened_from_a_call_is_linked(gisele, member_a, agent, subscription):
    call = services.start_call(number="0233480101", agent=agent, at=MONDAY_10H)
    ticket = services.open_ticket(
        member=member_a,
        contact=gisele,
        subject="Question sur la paie",
        channel=Channel.PHONE,
        opened_by=agent,
        call=call,
        at=MONDAY_10H,
    )
    call.refresh_from_db()
    assert call.ticket == ticket
    assert list(ticket.calls.all()) == [call]


def test_contacts_without_phone_do_not_match_an_empty_number(member_a, db):
    Contact.objects.create(member=member_a, last_name="Sans téléphone")
    assert services.identify_caller("").member is None
