from django.db import migrations

#: The tools seeded on installation. MeshCentral is self-hosted: its template names a
#: placeholder server and the tool starts inactive until a manager sets the real address.
TOOLS = [
    ("RustDesk", "rustdesk://{session_id}", True),
    ("TeamViewer", "teamviewer10://control?device={session_id}", True),
    ("AnyDesk", "anydesk:{session_id}", True),
    ("MeshCentral", "https://meshcentral.example.fr/?gotonode={session_id}&viewmode=11", False),
]


def seed(apps, schema_editor):
    RemoteTool = apps.get_model("remote", "RemoteTool")
    for name, template, active in TOOLS:
        RemoteTool.objects.get_or_create(
            name=name, defaults={"link_template": template, "is_active": active}
        )


class Migration(migrations.Migration):
    dependencies = [("remote", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
