from django.core.management.base import BaseCommand
from django.db import transaction

from syndesk.billing.demo import load_billing_demo
from syndesk.catalog.demo import load_catalog_demo
from syndesk.contracts.demo import load_contracts_demo
from syndesk.desk.demo import load_desk_demo
from syndesk.inventory.demo import load_inventory_demo
from syndesk.kb.demo import load_kb_demo
from syndesk.members.demo import load_demo
from syndesk.news.demo import load_news_demo
from syndesk.remote.demo import load_remote_demo


class Command(BaseCommand):
    help = (
        "Load the demo data (member organisations of the Manche, users, the catalogue and "
        "its tariffs, the members' contracts) in one transaction; idempotent."
    )

    def handle(self, *args, **options):
        # The web app composes the others: members must not import the catalogue, and the
        # contracts need both (their quotes are priced by the demo tariffs).
        with transaction.atomic():
            members = load_demo()
            catalog = load_catalog_demo()
            contracts = load_contracts_demo()
            billing = load_billing_demo()  # after contracts: invoices of the subscriptions
            news = load_news_demo()
            desk = load_desk_demo()  # after contracts: entitlement follows the subscriptions
            remote = load_remote_demo()  # after desk: sessions on its open tickets
            kb = load_kb_demo()
            inventory = load_inventory_demo()  # after catalog and members
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {members['members']} members, {members['users']} users, "
                f"{catalog['software']} software ({catalog['versions']} versions), "
                f"{catalog['offers']} offers, {catalog['deliberations']} deliberations, "
                f"{catalog['grids']} tariff grids; {contracts['subscriptions']} subscriptions, "
                f"{contracts['quotes']} quotes, {contracts['orders']} purchase orders, "
                f"{contracts['requests']} requests ({contracts['open_requests']} open), "
                f"{contracts['terminations']} termination in progress; "
                f"{billing['invoices']} invoices, {billing['credit_notes']} credit notes, "
                f"{billing['payments']} payments ({billing['overdue']} invoices overdue); "
                f"{news['notices']} new notices; {desk['tickets']} tickets, "
                f"{desk['calls']} calls; {remote['sessions']} remote sessions; "
                f"{kb['sheets']} practical sheets; "
                f"{inventory['installations']} installed software on "
                f"{inventory['workstations']} workstations."
            )
        )
