from django.contrib import admin

from .models import Contact, Member, MemberPhone, Membership


class MemberPhoneInline(admin.TabularInline):
    model = MemberPhone
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_category", "siren", "insee_code", "city", "is_active"]
    list_filter = ["legal_category", "is_active"]
    search_fields = ["name", "siren", "insee_code", "city"]
    inlines = [MemberPhoneInline, ContactInline]
    autocomplete_fields = ["parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "member", "role", "created_at"]
    search_fields = ["user__email", "member__name"]
    autocomplete_fields = ["member"]
    raw_id_fields = ["user"]
