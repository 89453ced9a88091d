"""Who may open which catalogue page: agents read everything and keep versions and
prerequisites up to date; billing officers and managers do everything; member users get
403; anonymous visitors are sent to the login page."""

import pytest
from django.urls import reverse

from syndesk.catalog.models import SoftwareVersion

pytestmark = pytest.mark.django_db

READ, AGENT_WRITE, BILLING_WRITE = "read", "agent-write", "billing-write"


@pytest.fixture
def objects(emagnus, support_grid, enforceable):
    version = SoftwareVersion.objects.create(software=emagnus, number="2026")
    return {
        "software": emagnus.pk,
        "version": version.pk,
        "offer": support_grid.offer.pk,
        "deliberation": enforceable.pk,
    }


def pages(o):
    return [
        (READ, reverse("catalog:software-list")),
        (READ, reverse("catalog:software-detail", args=[o["software"]])),
        (BILLING_WRITE, reverse("catalog:software-create")),
        (BILLING_WRITE, reverse("catalog:software-edit", args=[o["software"]])),
        (AGENT_WRITE, reverse("catalog:version-create", args=[o["software"]])),
        (AGENT_WRITE, reverse("catalog:version-edit", args=[o["software"], o["version"]])),
        (READ, reverse("catalog:offer-list")),
        (READ, reverse("catalog:offer-detail", args=[o["offer"]])),
        (BILLING_WRITE, reverse("catalog:offer-create")),
        (BILLING_WRITE, reverse("catalog:offer-edit", args=[o["offer"]])),
        (READ, reverse("catalog:deliberation-list")),
        (READ, reverse("catalog:deliberation-detail", args=[o["deliberation"]])),
        (BILLING_WRITE, reverse("catalog:deliberation-create")),
        (BILLING_WRITE, reverse("catalog:deliberation-edit", args=[o["deliberation"]])),
        (BILLING_WRITE, reverse("catalog:grid-create", args=[o["deliberation"]])),
    ]


@pytest.mark.parametrize("persona", ["billing", "manager"])
def test_billing_and_managers_open_every_page(client, request, objects, persona):
    client.force_login(request.getfixturevalue(persona))
    for _kind, url in pages(objects):
        assert client.get(url).status_code == 200, url


def test_agents_read_and_maintain_versions_but_not_offers_or_tariffs(client, agent, objects):
    client.force_login(agent)
    for kind, url in pages(objects):
        expected = 403 if kind == BILLING_WRITE else 200
        assert client.get(url).status_code == expected, url
        if kind == BILLING_WRITE:
            assert client.post(url, {}).status_code == 403, url


def test_member_users_are_refused_every_staff_page(client, alice, objects):
    client.force_login(alice)
    for _kind, url in pages(objects):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(client, objects):
    for _kind, url in pages(objects):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_edit_links_follow_the_role(client, agent, billing, objects):
    url = reverse("catalog:software-detail", args=[objects["software"]])
    client.force_login(agent)
    body = client.get(url).content.decode()
    assert reverse("catalog:version-create", args=[objects["software"]]) in body
    assert reverse("catalog:software-edit", args=[objects["software"]]) not in body
    client.force_login(billing)
    body = client.get(url).content.decode()
    assert reverse("catalog:software-edit", args=[objects["software"]]) in body


def test_the_public_tariff_page_needs_no_login(client, support_grid):
    assert client.get(reverse("tariffs:index")).status_code == 200
