import pytest
from django.urls import reverse

from syndesk.core.models import AuditEntry
from syndesk.core.testing import count_queries
from syndesk.members.demo import with_luhn
from syndesk.members.models import Member, MemberPhone

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Cherbourg-en-Cotentin",
    "legal_category": "7210",
    "siren": "215 012 908",
    "insee_code": "50129",
    "postal_code": "50100",
    "city": "Cherbourg-en-Cotentin",
    "population": "78258",
    "population_type": "municipale",
    "population_year": "2023",
    "phones": "02 33 87 88 89\n+33 2 33 87 88 90",
    "signatory_name": "Benoît Arrivé",
    "signatory_title": "Maire",
    "is_active": "on",
}


@pytest.fixture
def valid_siren():
    from stdnum.fr import siren

    return with_luhn("2150129", 9, siren)


def test_billing_creates_a_member_with_normalised_identifiers(client, billing, valid_siren):
    client.force_login(billing)
    data = {**VALID, "siren": f"{valid_siren[:3]} {valid_siren[3:6]} {valid_siren[6:]}"}
    response = client.post(reverse("members:create"), data)
    member = Member.objects.get(siren=valid_siren)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail", args=[member.pk])
    assert sorted(member.phones.values_list("number", flat=True)) == [
        "+33233878889",
        "+33233878890",
    ]
    assert AuditEntry.objects.filter(action="members.member.created", actor=billing).exists()


def test_it_explains_an_invalid_siren_at_the_field(client, billing):
    client.force_login(billing)
    response = client.post(reverse("members:create"), {**VALID, "siren": "123456789"})
    assert response.status_code == 200
    assert "SIREN invalide" in response.context["form"].errors["siren"][0]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Member.objects.exists()


def test_it_refuses_a_duplicate_siren(client, billing, member_a):
    client.force_login(billing)
    response = client.post(reverse("members:create"), {**VALID, "siren": member_a.siren})
    assert response.context["form"].errors["siren"] == ["Un adhérent porte déjà ce SIREN."]
    assert Member.objects.count() == 1


def test_it_refuses_a_siret_of_another_siren(client, billing, valid_siren):
    client.force_login(billing)
    response = client.post(
        reverse("members:create"), {**VALID, "siren": valid_siren, "siret": "20006720500019"}
    )
    assert "doit commencer par le SIREN" in response.context["form"].errors["siret"][0]


def test_it_refuses_a_malformed_phone_and_saves_nothing(client, billing, valid_siren):
    client.force_login(billing)
    response = client.post(
        reverse("members:create"), {**VALID, "siren": valid_siren, "phones": "02 33\n0233878889"}
    )
    assert "Numéro(s) invalide(s) : 02 33." in response.context["form"].errors["phones"]
    assert not Member.objects.exists()
    assert not MemberPhone.objects.exists()


def test_a_commune_needs_its_insee_code(client, billing, valid_siren):
    client.force_login(billing)
    response = client.post(
        reverse("members:create"), {**VALID, "siren": valid_siren, "insee_code": ""}
    )
    assert "obligatoire pour une commune" in response.context["form"].errors["insee_code"][0]


def test_editing_keeps_phones_and_records_changed_fields(client, billing, member_a):
    MemberPhone.objects.create(member=member_a, number="+33233000000")
    client.force_login(billing)
    form = client.get(reverse("members:edit", args=[member_a.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "parent"}
    data.update(name="Brécey (commune)", is_active="on", population_year="2023")
    response = client.post(reverse("members:edit", args=[member_a.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    member_a.refresh_from_db()
    assert member_a.name == "Brécey (commune)"
    assert list(member_a.phones.values_list("number", flat=True)) == ["+33233000000"]
    entry = AuditEntry.objects.get(action="members.member.changed")
    assert "name" in entry.data["fields"]


def test_agents_read_but_cannot_edit_members(client, agent, member_a):
    client.force_login(agent)
    assert client.get(reverse("members:detail", args=[member_a.pk])).status_code == 200
    assert client.get(reverse("members:edit", args=[member_a.pk])).status_code == 403
    assert client.post(reverse("members:create"), VALID).status_code == 403


def test_the_list_searches_without_accents_and_filters(client, agent, member_a, member_b):
    client.force_login(agent)
    page = client.get(reverse("members:list"), {"q": "brecey"}).context["page"]
    assert list(page) == [member_a]
    page = client.get(reverse("members:list"), {"q": "50025"}).context["page"]
    assert list(page) == [member_b]
    page = client.get(reverse("members:list"), {"legal_category": "7346"}).context["page"]
    assert list(page) == []


def test_the_list_answers_htmx_with_the_results_fragment(client, agent, member_a):
    client.force_login(agent)
    response = client.get(reverse("members:list"), {"q": "bre"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "Brécey" in body
    assert "<html" not in body


def test_the_list_paginates_with_a_bounded_number_of_queries(client, agent):
    epci = Member.objects.create(name="CC Test", legal_category="7346", siren="200067023")
    from stdnum.fr import siren as check

    Member.objects.bulk_create(
        [
            Member(
                name=f"Commune {i:03d}",
                search_name=f"commune {i:03d}",
                parent=epci,
                siren=with_luhn(f"2150{i:03d}", 9, check),
                insee_code=f"50{i:03d}",
            )
            for i in range(60)
        ]
    )
    client.force_login(agent)
    url = reverse("members:list")
    first = count_queries(lambda: client.get(url))
    assert count_queries(lambda: client.get(url, {"page": 2})) == first
    assert first <= 12
    assert len(client.get(url, {"page": 3}).context["page"]) == 61 - 50


def test_member_names_are_escaped(client, agent, member_a):
    member_a.name = '<script>alert("x")</script>'
    member_a.save()
    client.force_login(agent)
    body = client.get(reverse("members:detail", args=[member_a.pk])).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_contacts_are_added_with_validated_phones(client, agent, member_a):
    client.force_login(agent)
    url = reverse("members:contact-create", args=[member_a.pk])
    bad = client.post(url, {"last_name": "Lecoq", "phone": "123"})
    assert "n'est pas un numéro de téléphone valide" in bad.context["form"].errors["phone"][0]
    ok = client.post(
        url, {"last_name": "Lecoq", "first_name": "Anne", "phone": "0233000001", "is_primary": "on"}
    )
    assert ok.status_code == 302
    assert member_a.contacts.get().phone == "+33233000001"


def test_the_list_filters_active_and_inactive_members(client, agent, member_a, member_b):
    member_b.is_active = False
    member_b.save()
    client.force_login(agent)
    assert list(client.get(reverse("members:list"), {"is_active": "0"}).context["page"]) == [
        member_b
    ]
    assert list(client.get(reverse("members:list"), {"is_active": "1"}).context["page"]) == [
        member_a
    ]
    assert len(client.get(reverse("members:list")).context["page"]) == 2
