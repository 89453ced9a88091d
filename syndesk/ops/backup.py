"""Backup and restore: the database (every model, one JSON object per line, portable between
SQLite and PostgreSQL) and the uploaded files, in one tar.gz archive with a manifest.

Rows are streamed (iterator in chunks, written line by line), so memory stays flat whatever
the volume. Content types and permissions are written as natural keys: a fresh installation
creates its own, with other ids. Derived data (the practical sheets' search index) is rebuilt
after a restore rather than copied."""

import hashlib
import io
import json
import logging
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as time_type
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from syndesk.core.audit import log_action

logger = logging.getLogger(__name__)

FORMAT = 1
CHUNK = 2000
# Created by `migrate` in every installation, or not worth keeping.
# The sheets' typo-search words are derived data, rebuilt by _reindex after a restore.
SKIPPED = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "kb.typoword",
    "kb.sheetword",
}
# Created by `migrate` too, but restored from the archive (they replace the fresh ones).
REPLACED = {"auth.group"}


class BackupError(Exception):
    pass


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeps milliseconds only: a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, time_type):
            return o.isoformat()
        return super().default(o)


@dataclass
class Manifest:
    data: dict

    @property
    def migrations(self) -> set[tuple[str, str]]:
        return {tuple(item) for item in self.data["migrations"]}


def _label(model) -> str:
    return model._meta.label_lower


def dumped_models() -> list:
    """Every concrete model to dump, parents before the rows that point to them."""
    app_list = dict.fromkeys(apps.get_app_configs())
    ordered = serializers.sort_dependencies(app_list.items(), allow_cycles=True)
    return [
        m for m in ordered if m._meta.managed and not m._meta.proxy and _label(m) not in SKIPPED
    ]


def applied_migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _natural_maps():
    content_types = {ct.pk: list(ct.natural_key()) for ct in ContentType.objects.all()}
    permissions = {
        p.pk: list(p.natural_key()) for p in Permission.objects.select_related("content_type")
    }
    return content_types, permissions


def _rewrite(record: dict, model, content_types: dict, permissions: dict) -> dict:
    """Replace ids of content types and permissions by their natural keys."""
    fields = record["fields"]
    for field in model._meta.get_fields():
        if (field.auto_created and not field.concrete) or field.name not in fields:
            continue  # reverse relations are not in the record
        related = getattr(field, "related_model", None)
        value = fields[field.name]
        if related is ContentType and value is not None:
            fields[field.name] = content_types[value]
        elif related is Permission and field.many_to_many:
            fields[field.name] = [permissions[pk] for pk in value]
    return record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dump_model(model, path: Path, maps) -> int:
    serializer = serializers.get_serializer("python")()
    count = 0
    queryset = model._base_manager.order_by("pk")
    m2m = [f.name for f in model._meta.many_to_many]
    if m2m:
        queryset = queryset.prefetch_related(*m2m)
    with path.open("w", encoding="utf-8") as out:
        batch = []
        for obj in queryset.iterator(chunk_size=CHUNK):
            batch.append(obj)
            if len(batch) >= CHUNK:
                count += _write(serializer, batch, model, out, maps)
                batch = []
        count += _write(serializer, batch, model, out, maps)
    return count


def _write(serializer, batch, model, out, maps) -> int:
    if not batch:
        return 0
    for record in serializer.serialize(batch):
        record = _rewrite(record, model, *maps)
        out.write(json.dumps(record, cls=ExactJSONEncoder, ensure_ascii=False))
        out.write("\n")
    return len(batch)


def _media_files(root: Path):
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def write_backup(archive: Path) -> dict:
    """Write the database and the uploaded files into `archive` (tar.gz); returns the
    manifest. Runs in one repeatable-read transaction on PostgreSQL, so the rows are one
    consistent snapshot while the site keeps running."""
    archive = Path(archive)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="syndesk-backup-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "data").mkdir()
        counts, checksums, data_files = {}, {}, []
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            maps = _natural_maps()
            for index, model in enumerate(dumped_models()):
                name = f"data/{index:03d}-{_label(model).replace('.', '-')}.jsonl"
                counts[_label(model)] = _dump_model(model, tmpdir / name, maps)
                checksums[name] = _sha256(tmpdir / name)
                data_files.append(name)
            migrations = applied_migrations()
        media = {}
        for path in _media_files(media_root):
            media[path.relative_to(media_root).as_posix()] = _sha256(path)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "django": django.get_version(),
            "database": connection.vendor,
            "migrations": migrations,
            "counts": counts,
            "data_files": data_files,
            "checksums": checksums,
            "media": media,
        }
        (tmpdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(tmpdir / "manifest.json", arcname="manifest.json")
            for name in data_files:
                tar.add(tmpdir / name, arcname=name)
            for relative in media:
                tar.add(media_root / relative, arcname=f"media/{relative}")
        partial.replace(archive)  # never leave a half-written archive under the final name
    # Recorded after the snapshot, so the archive does not contain its own entry.
    log_action("ops.backup.written", data=_summary(archive, manifest))
    return manifest


def _summary(archive: Path, manifest: dict) -> dict:
    return {
        "archive": str(archive),
        "sha256": _sha256(archive),
        "rows": sum(manifest["counts"].values()),
        "tables": len(manifest["counts"]),
        "files": len(manifest["media"]),
        "created_at": manifest["created_at"],
    }


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.extractfile("manifest.json")
    except KeyError as exc:
        raise BackupError("not a Syndesk backup: no manifest.json") from exc
    data = json.load(io.TextIOWrapper(member, encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise BackupError(f"unsupported backup format {data.get('format')!r}")
    return Manifest(data)


def existing_rows() -> dict[str, int]:
    """Rows already in this installation (what `migrate` creates itself does not count)."""
    found = {}
    for model in dumped_models():
        if _label(model) in REPLACED:
            continue
        if model._base_manager.exists():
            found[_label(model)] = model._base_manager.count()
    return found


def _safe_member(name: str, prefix: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name.startswith(prefix):
        raise BackupError(f"unsafe path in archive: {name!r}")
    return path


def _reindex() -> None:
    """Rebuild derived data the archive does not carry."""
    from syndesk.kb import search
    from syndesk.kb.models import Sheet

    for sheet in Sheet.objects.all().iterator(chunk_size=500):
        search.index_sheet(sheet)


def restore_backup(archive: Path, *, force: bool = False) -> dict:
    """Load `archive` into this installation, which must be migrated to the same state and
    empty (or `force`: everything in it is deleted first). Returns the manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(archive, "r:gz") as tar:
        manifest = read_manifest(tar)
        here = {tuple(item) for item in applied_migrations()}
        if here != manifest.migrations:
            missing = sorted(manifest.migrations - here)
            extra = sorted(here - manifest.migrations)
            raise BackupError(
                "the database schema differs from the archive's: run the same version of "
                f"Syndesk and migrate (missing here: {missing[:5]}, not in archive: {extra[:5]})"
            )
        rows = existing_rows()
        if rows and not force:
            raise BackupError(
                "this installation is not empty ("
                + ", ".join(f"{k}: {v}" for k, v in sorted(rows.items())[:5])
                + "); restore into an empty database, or pass --force to replace its data"
            )
        if rows:
            call_command("flush", interactive=False, verbosity=0)
            if media_root.exists():
                shutil.rmtree(media_root)
        with tempfile.TemporaryDirectory(prefix="syndesk-restore-") as tmp:
            tmpdir = Path(tmp)
            names = manifest.data["data_files"]
            for name in names:
                _safe_member(name, "data/")
                tar.extract(name, tmpdir, filter="data")
                if _sha256(tmpdir / name) != manifest.data["checksums"][name]:
                    raise BackupError(f"checksum mismatch: {name}")
            with transaction.atomic():
                Group.objects.all().delete()  # the archive's groups replace migrate's
                fixtures = [str(tmpdir / name) for name in names if _has_rows(tmpdir / name)]
                if fixtures:
                    call_command("loaddata", *fixtures, verbosity=0)
                _reindex()
        for relative, checksum in manifest.data["media"].items():
            member = _safe_member(f"media/{relative}", "media/")
            target = media_root / Path(*member.parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(f"media/{relative}")
            with target.open("wb") as out:
                shutil.copyfileobj(source, out)
            if _sha256(target) != checksum:
                raise BackupError(f"checksum mismatch: media/{relative}")
    log_action("ops.backup.restored", data=_summary(Path(archive), manifest.data))
    return manifest.data


def _has_rows(path: Path) -> bool:
    return path.stat().st_size > 0
