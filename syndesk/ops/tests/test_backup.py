"""The round trip: backup, empty installation, restore, and nothing is lost — every row of
every model and every uploaded file. Real commits (transactional_db), as the commands run."""

import hashlib
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from syndesk.ops import backup

pytestmark = pytest.mark.django_db(transaction=True)


BACKUP_ACTIONS = {"ops.backup.written", "ops.backup.restored"}


def snapshot() -> dict:
    """Every dumped row, content types as natural keys (ids differ between installations),
    without the audit entries the backup and the restore write about themselves."""
    from django.core import serializers

    maps = backup._natural_maps()
    data = {}
    for model in backup.dumped_models():
        rows = serializers.get_serializer("python")().serialize(model._base_manager.order_by("pk"))
        data[model._meta.label_lower] = [
            json.loads(json.dumps(backup._rewrite(r, model, *maps), cls=backup.ExactJSONEncoder))
            for r in rows
            if r["fields"].get("action") not in BACKUP_ACTIONS
        ]
    return data


def audited(action: str) -> list[dict]:
    from syndesk.core.models import AuditEntry

    return list(AuditEntry.objects.filter(action=action).values_list("data", flat=True))


def media_digests() -> dict:
    root = Path(settings.MEDIA_ROOT)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def demo(settings):
    call_command("load_demo", verbosity=0)
    # An uploaded file, as a signed document would be.
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save("contracts/letters/lettre-résiliation.pdf", ContentFile(b"%PDF-1.4 x"))


def test_a_backup_restored_into_an_empty_installation_loses_nothing(demo, tmp_path):
    before, files = snapshot(), media_digests()
    assert sum(len(rows) for rows in before.values()) > 1000
    assert files

    archive = tmp_path / "syndesk.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    with tarfile.open(archive) as tar:
        manifest = backup.read_manifest(tar).data
    assert manifest["counts"]["members.member"] == 150
    [written] = audited("ops.backup.written")
    assert written["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert written["rows"] == sum(manifest["counts"].values())
    assert ["ops", "0001_task_retry"] in manifest["migrations"]
    assert set(manifest["media"]) == set(files)
    call_command("flush", interactive=False, verbosity=0)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()

    call_command("restore", str(archive), verbosity=0)

    after = snapshot()
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    assert after == before
    assert media_digests() == files
    # The restored installation says where its data came from; the archive holds no entry
    # about its own writing.
    [restored] = audited("ops.backup.restored")
    assert restored["created_at"] == manifest["created_at"]
    assert restored["files"] == len(files)
    assert audited("ops.backup.written") == []


@pytest.fixture
def members_only():
    # The refusal does not depend on the volume: the members' demo keeps this test quick.
    from syndesk.members.demo import load_demo as load_members_demo

    load_members_demo()


def test_restore_refuses_a_non_empty_installation_unless_forced(members_only, tmp_path):
    archive = tmp_path / "syndesk.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    before = snapshot()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), verbosity=0)
    call_command("restore", str(archive), "--force", verbosity=0)
    assert snapshot() == before


def test_a_tampered_or_foreign_archive_is_refused(db, tmp_path):
    import io

    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"{}"
        info = tarfile.TarInfo("readme.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match="no manifest"):
        call_command("restore", str(archive), verbosity=0)
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), verbosity=0)
