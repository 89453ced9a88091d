import html
import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from syndesk.core.testing import count_queries

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return mock.patch("django.utils.timezone.now", return_value=datetime(*args, tzinfo=PARIS))


def test_the_home_page_says_the_desk_is_open_during_hours(client):
    with at(2026, 11, 26, 10, 0):  # a Thursday
        body = html.unescape(client.get(reverse("web:home")).text)
    assert "L'assistance est ouverte." in body


def test_the_home_page_says_when_the_desk_reopens(client):
    with at(2026, 11, 27, 17, 30):  # Friday after closing
        body = html.unescape(client.get(reverse("web:home")).text)
    assert "L'assistance est fermée." in body
    assert "Réouverture le lundi 30 novembre à 08h30." in body


def test_the_home_page_skips_public_holidays(client):
    with at(2026, 11, 10, 18, 30):  # the eve of 11 November
        body = html.unescape(client.get(reverse("web:home")).text)
    assert "Réouverture le jeudi 12 novembre à 08h30." in body


def test_the_home_page_shows_the_weeks_hours_and_the_exclusions(client):
    body = html.unescape(client.get(reverse("web:home")).text)
    text = re.sub(r"<[^>]+>", "", body)
    assert "Jeudi08h30 – 12h00, 13h30 – 18h00" in text
    assert "Vendredi08h30 – 12h00, 13h30 – 17h00" in text
    assert "SamediFermé" in text
    assert "Les interventions sur site" in body
    assert '<a class="skip-link" href="#contenu">' in body
    assert '<main id="contenu"' in body


def test_the_home_page_is_cheap(client):
    client.get(reverse("web:home"))
    assert count_queries(lambda: client.get(reverse("web:home"))) <= 2


def test_the_portal_home_is_bounded_in_queries(client, alice):
    client.force_login(alice)
    client.get(reverse("web:portal"))
    assert count_queries(lambda: client.get(reverse("web:portal"))) <= 8


def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("web:home"))
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_english_is_available(client):
    response = client.get(reverse("web:home"), headers={"accept-language": "en"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
