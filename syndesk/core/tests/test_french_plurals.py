"""French takes the singular for 0 and 1: the French catalogue gives the plural messages
French's own rule (scripts/french_plurals.py), where gettext alone would write "0 demandes"."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext

SINGULAR, PLURAL = "%(counter)s demande résolue", "%(counter)s demandes résolues"


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 demande résolue"),
        (1, "1 demande résolue"),
        (2, "2 demandes résolues"),
        (11, "11 demandes résolues"),
    ],
)
def test_french_counts(count, text):
    with translation.override("fr"):
        assert ngettext(SINGULAR, PLURAL, count) % {"counter": count} == text
        rendered = Template(
            "{% load i18n %}{% blocktranslate count counter=n %}A résolu {{ counter }} demande"
            "{% plural %}A résolu {{ counter }} demandes{% endblocktranslate %}"
        ).render(Context({"n": count}))
        assert rendered == f"A résolu {count} demande{'s' if count > 1 else ''}"


def test_english_keeps_its_rule():
    with translation.override("en"):
        assert ngettext(SINGULAR, PLURAL, 0) % {"counter": 0} == "0 requests resolved"
