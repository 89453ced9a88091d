"""Upload checks: the real type from the file's first bytes, and its size."""

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "csv": "CSV"}


def sniff(head: bytes) -> str | None:
    """The kind of file whose content starts with `head` (None if unknown)."""
    for kind, signatures in _SIGNATURES.items():
        if head.startswith(signatures):
            return kind
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniffing window is still text.
        if exc.start < len(head) - 3:
            return None
    return "csv"


def validate_upload(upload, *, kinds: set[str], max_bytes: int) -> str:
    """Refuse a file that is too large or whose content is not one of `kinds`."""
    if upload.size > max_bytes:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(max)s.")
            % {"max": filesizeformat(max_bytes)}
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff(head)
    if kind not in kinds:
        raise ValidationError(
            _("Le fichier n'est pas au format %(kinds)s.")
            % {"kinds": " / ".join(LABELS[k] for k in sorted(kinds))}
        )
    return kind
