from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_VIEW = ["members.view_member", "members.view_contact", "members.view_membership"]
_EDIT = [
    "members.add_member",
    "members.change_member",
    "members.add_contact",
    "members.change_contact",
    "members.delete_contact",
    "members.add_membership",
    "members.delete_membership",
]


class MembersConfig(AppConfig):
    name = "syndesk.members"
    label = "members"
    verbose_name = _("Adhérents")
    role_permissions = {
        "agent": [*_VIEW, "members.add_contact", "members.change_contact"],
        "billing": [*_VIEW, *_EDIT],
        "manager": [*_VIEW, *_EDIT, "members.delete_member"],
    }
