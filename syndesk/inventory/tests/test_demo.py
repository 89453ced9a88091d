from syndesk.catalog.demo import load_catalog_demo
from syndesk.core.models import AuditEntry
from syndesk.inventory import services
from syndesk.inventory.demo import load_inventory_demo
from syndesk.inventory.models import Declaration, Installation, Workstation
from syndesk.members.demo import load_demo


def test_demo_inventory_is_idempotent_and_has_non_compliant_workstations(db, agent):
    load_demo()
    load_catalog_demo()
    first = load_inventory_demo()
    assert first["installations"] > 10
    assert first["declarations"] >= 3
    counts = (
        Installation.objects.count(),
        Workstation.objects.count(),
        Declaration.objects.count(),
        AuditEntry.objects.count(),
    )
    load_inventory_demo()
    assert counts == (
        Installation.objects.count(),
        Workstation.objects.count(),
        Declaration.objects.count(),
        AuditEntry.objects.count(),
    )
    assert services.compliance_report(user=agent)
    assert all(i.licence_key for i in Installation.objects.all())
