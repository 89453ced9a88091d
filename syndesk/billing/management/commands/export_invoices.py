from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from syndesk.billing import exports
from syndesk.billing.models import Invoice


class Command(BaseCommand):
    help = (
        "Export the issued invoices and credit notes of a year into DIR: one Factur-X PDF "
        "each (--format facturx), or invoices.csv + lines.csv (csv), or invoices.xlsx (xlsx)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["facturx", "csv", "xlsx"], default="facturx")

    def handle(self, *args, directory: Path, year: int, format: str, **options):
        directory.mkdir(parents=True, exist_ok=True)
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        invoices = (
            Invoice.objects.issued()
            .filter(year=year)
            .select_related("credited_invoice")
            .prefetch_related("lines")
            .order_by("kind", "number")
        )
        if format == "facturx":
            count = 0
            for invoice in invoices.iterator(chunk_size=200):
                (directory / exports.facturx_filename(invoice)).write_bytes(
                    exports.facturx_bytes(invoice)
                )
                count += 1
            self.stdout.write(f"{count} Factur-X file(s) written to {directory}.")
        elif format == "csv":
            (directory / f"factures-{year}.csv").write_text(
                exports.invoices_csv(invoices), encoding="utf-8-sig"
            )
            (directory / f"lignes-{year}.csv").write_text(
                exports.invoices_csv(invoices, lines=True), encoding="utf-8-sig"
            )
            self.stdout.write(f"CSV files written to {directory}.")
        else:
            (directory / f"factures-{year}.xlsx").write_bytes(exports.invoices_xlsx(invoices))
            self.stdout.write(f"XLSX file written to {directory}.")
