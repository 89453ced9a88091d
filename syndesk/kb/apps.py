from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = ["kb.view_sheet", "kb.view_revision", "kb.view_attachment", "kb.view_tag"]
_WRITE = [
    "kb.add_sheet",
    "kb.change_sheet",
    "kb.publish_sheet",
    "kb.add_attachment",
    "kb.delete_attachment",
    "kb.add_tag",
]


class KbConfig(AppConfig):
    name = "syndesk.kb"
    label = "kb"
    verbose_name = _("Fiches pratiques")
    # Agents write and publish sheets; billing reads them; managers also delete and curate tags.
    role_permissions: dict[str, list[str]] = {
        "agent": [*_READ, *_WRITE],
        "billing": [*_READ],
        "manager": [*_READ, *_WRITE, "kb.delete_sheet", "kb.change_tag", "kb.delete_tag"],
    }

    def ready(self) -> None:
        from .panels import register_panels

        register_panels()  # sheets on the helpdesk's ticket pages and forms
