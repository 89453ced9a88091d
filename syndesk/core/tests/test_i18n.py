"""The English catalogue: complete, placeholder-safe, and served on `Accept-Language: en`.

The msgids are the French source strings. `make messages` compiles the catalogue before
the suite; the fixture below does the same when this module runs on its own, so
`pytest syndesk/core/tests/test_i18n.py` needs no prior build step.
"""

import html
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# %(name)s, %s, %d, %.2f … (but not the "%%" escape) and Django template variables.
PRINTF = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]")
TEMPLATE_VAR = re.compile(r"{{\s*([^}|\s]+)[^}]*}}")


def _placeholders(text: str) -> Counter:
    text = text.replace("%%", "")
    return Counter(PRINTF.findall(text)) + Counter(
        "{{ " + name + " }}" for name in TEMPLATE_VAR.findall(text)
    )


def _read_catalog():
    with PO_FILE.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="session", autouse=True)
def _compiled_english_catalog():
    """Compile django.po like `make messages` (fuzzy included) if the .mo is stale."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        catalog = _read_catalog()
        fd, tmp = tempfile.mkstemp(dir=LC_MESSAGES, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, MO_FILE)  # atomic: a concurrent reader never sees half a file
        # Django's own autoreload hook for a changed .mo: empties gettext's and Django's
        # translation caches (trans_real._translations, _default, _active).
        translation_file_changed(sender=None, file_path=MO_FILE)


@pytest.fixture
def _french_afterwards():
    """LocaleMiddleware activates the request's language on this thread: restore French."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _entries():
    return [message for message in _read_catalog() if message.id]


def test_the_english_catalog_header_is_complete():
    catalog = _read_catalog()
    assert str(catalog.locale) == "en"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr == "(n != 1)"
    assert catalog.charset.lower() == "utf-8"
    assert not catalog.fuzzy


def test_every_english_entry_is_translated_and_not_fuzzy():
    untranslated, fuzzy = [], []
    for message in _entries():
        strings = message.string if message.pluralizable else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_every_placeholder_survives_translation():
    broken = []
    for message in _entries():
        if message.pluralizable:
            singular, plural = message.id
            pairs = [(singular, message.string[0]), (plural, message.string[1])]
        else:
            pairs = [(message.id, message.string)]
        for source, translated in pairs:
            if _placeholders(source) != _placeholders(translated):
                broken.append((source, translated))
    assert not broken, f"placeholders differ: {broken}"


def test_the_placeholder_check_sees_both_styles():
    assert _placeholders("%(name)s a %(count)d {{ counter }} 100 %%") == Counter(
        ["%(name)s", "%(count)d", "{{ counter }}"]
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("_french_afterwards")
def test_the_home_page_speaks_english_when_asked(client):
    body = html.unescape(client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").text)
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "Skip to content" in body
    assert "Se connecter" not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("_french_afterwards")
def test_french_stays_the_default_language(client):
    body = html.unescape(client.get(reverse("web:home")).text)
    assert '<html lang="fr">' in body
    assert "Se connecter" in body
    assert "Sign in" not in body


@pytest.mark.usefixtures("_french_afterwards")
def test_plural_forms_are_translated():
    translation.activate("en")
    assert translation.ngettext("%(counter)s adhérent", "%(counter)s adhérents", 1) == (
        "%(counter)s member"
    )
    assert translation.ngettext("%(counter)s adhérent", "%(counter)s adhérents", 3) == (
        "%(counter)s members"
    )
