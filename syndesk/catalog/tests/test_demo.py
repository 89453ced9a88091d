"""The demo catalogue and `manage.py load_demo` (members then catalogue, one transaction)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from syndesk.catalog import rules
from syndesk.catalog.demo import SOFTWARE, load_catalog_demo
from syndesk.catalog.models import (
    Deliberation,
    Offer,
    Prerequisite,
    Software,
    SoftwareVersion,
    TariffBracket,
    TariffGrid,
)
from syndesk.catalog.services import NoTariff, price_for
from syndesk.core.models import AuditEntry
from syndesk.members.models import Member

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Software.objects.order_by("pk").values_list("pk", "name", "editor", "category")),
        list(SoftwareVersion.objects.order_by("pk").values_list("pk", "number", "release_date")),
        list(Prerequisite.objects.order_by("pk").values_list("pk", "kind", "min_quantity")),
        list(Offer.objects.order_by("pk").values_list("pk", "code", "vat_rate", "vat_mention")),
        list(TariffGrid.objects.order_by("pk").values_list("pk", "method", "effective_from")),
        list(TariffBracket.objects.order_by("pk").values_list("pk", "min_population", "amount")),
        AuditEntry.objects.count(),
    )


def test_the_demo_catalogue_is_complete_and_idempotent():
    first = load_catalog_demo()
    before = snapshot()
    assert load_catalog_demo() == first
    assert snapshot() == before
    assert first["software"] == len(SOFTWARE) >= 14
    assert first["offers"] >= 5
    assert first["deliberations"] == 1


def test_the_demo_names_the_real_tools_and_their_editors():
    load_catalog_demo()
    editors = dict(Software.objects.values_list("name", "editor"))
    assert editors["e.magnus"] == "Berger-Levrault"
    assert editors["Horizon On-Line"] == "JVS-Mairistem"
    assert editors["Xémélios"] == "DGFiP"
    assert editors["Chorus Pro"] == "AIFE"
    assert Software.objects.get(name="S²LOW").get_category_display() == (
        "Outil de dématérialisation"
    )
    s2low = SoftwareVersion.objects.get(software__name="S²LOW", number="5.1.0")
    assert s2low.release_date == date(2025, 2, 12)
    pastell = SoftwareVersion.objects.get(software__name="Pastell", number="4.1.0")
    assert pastell.release_date == date(2024, 9, 27)
    xemelios = Prerequisite.objects.get(version__software__name="Xémélios", kind="runtime")
    assert (xemelios.component, xemelios.min_version) == ("Java", "8")
    # Only a cadence is known for the January regulatory releases: no invented date.
    assert (
        SoftwareVersion.objects.get(software__name="e.magnus", number="2026").release_date is None
    )


def test_the_demo_grids_price_members_from_2026():
    load_catalog_demo()
    deliberation = Deliberation.objects.get(number="2025-38")
    assert (deliberation.date, deliberation.enforceable_on) == (
        date(2025, 11, 20),
        date(2025, 12, 5),
    )
    support = Offer.objects.get(code="assistance")
    assert (support.vat_rate, support.vat_mention) == (
        None,
        "TVA non applicable — article 256 B du CGI",
    )
    grid = TariffGrid.objects.get(offer=support)
    assert grid.effective_from == date(2026, 1, 1)
    assert rules.bracket_problems(grid.rule_brackets()) == []
    methods = set(TariffGrid.objects.values_list("method", flat=True))
    assert methods == {rules.FLAT, rules.BRACKET, rules.PER_INHABITANT}
    village = Member(name="Village", population=320, population_type="municipale")
    assert price_for(support, village, date(2026, 3, 1)).amount == Decimal("350.00")
    with pytest.raises(NoTariff):
        price_for(support, village, date(2025, 12, 31))
    payroll = Offer.objects.get(code="option-paie-emagnus")
    assert price_for(payroll, village, date(2026, 3, 1)).amount == Decimal("150.00")  # floor


def test_load_demo_loads_members_and_catalogue_and_can_run_twice():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "tariff grids" in out.getvalue()
    before = (Member.objects.count(), snapshot())
    call_command("load_demo", stdout=io.StringIO())
    assert (Member.objects.count(), snapshot()) == before
    assert Member.objects.count() > 100
    assert not Offer.objects.filter(grids__isnull=True).exists()  # every demo offer is priced
