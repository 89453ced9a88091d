from django.contrib import admin

from .models import (
    Deliberation,
    Offer,
    Prerequisite,
    Software,
    SoftwareVersion,
    TariffBracket,
    TariffGrid,
)


class VersionInline(admin.TabularInline):
    model = SoftwareVersion
    extra = 0


@admin.register(Software)
class SoftwareAdmin(admin.ModelAdmin):
    list_display = ["name", "editor", "category", "is_supported"]
    list_filter = ["category", "is_supported"]
    search_fields = ["name", "editor"]
    inlines = [VersionInline]


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    extra = 0


@admin.register(SoftwareVersion)
class SoftwareVersionAdmin(admin.ModelAdmin):
    list_display = ["software", "number", "release_date", "end_of_support"]
    list_filter = ["software"]
    inlines = [PrerequisiteInline]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "software", "vat_rate", "is_active"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Deliberation)
class DeliberationAdmin(admin.ModelAdmin):
    list_display = ["number", "date", "subject", "enforceable_on"]


class BracketInline(admin.TabularInline):
    model = TariffBracket
    extra = 0


@admin.register(TariffGrid)
class TariffGridAdmin(admin.ModelAdmin):
    """Read-only here: grids are recorded through the tariff pages, which check brackets."""

    list_display = ["offer", "effective_from", "method", "deliberation"]
    inlines = [BracketInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
