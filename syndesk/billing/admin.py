"""Read-only admin views of the billing records: every change goes through the services
(issuing, credit notes, payments, reminders), so the admin never writes."""

from django.contrib import admin

from .models import Invoice, InvoiceLine, Payment, Reminder


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["label", "quantity", "unit_price", "amount_excl_vat", "vat_rate", "vat_amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "status", "member", "issue_date", "total_incl_vat"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["number", "member__name", "buyer_name"]
    list_select_related = ["member"]
    inlines = [InvoiceLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "mandate_number", "paid_on", "amount", "source"]
    list_filter = ["source"]
    search_fields = ["invoice__number", "mandate_number"]
    list_select_related = ["invoice"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "sent_on", "kind", "interest", "indemnity", "waived"]
    list_filter = ["kind", "waived"]
    list_select_related = ["invoice"]
