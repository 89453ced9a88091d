from django.contrib import admin

from .models import RemoteTool


@admin.register(RemoteTool)
class RemoteToolAdmin(admin.ModelAdmin):
    """Reference data: the tools and their launch-link templates (checked by the model's
    validator: https or the tool's own scheme, {session_id} present)."""

    list_display = ["name", "link_template", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Sessions keep pointing to their tool: deactivate a tool instead.
        return False
