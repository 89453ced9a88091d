"""Reading the desk's mailbox: a Maildir (the stdlib ``mailbox`` module) or an IMAP folder.

Each unread message goes through ``services.ingest_email`` (which stores it and either
threads it, opens a ticket or puts it in the triage list), then is marked read: moved to
``cur/`` with the "S" flag in a Maildir, flagged ``\\Seen`` over IMAP. A message whose
ingestion crashes (database down...) stays unread and is retried on the next run;
ingestion is idempotent on Message-ID.
"""

import contextlib
import email
import email.policy
import imaplib
import logging
import mailbox
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import services

logger = logging.getLogger(__name__)


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def fetch_maildir(path: str | Path) -> Counter:
    """Ingest the unread messages of a Maildir. Returns counts by InboundEmail status."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    counts: Counter = Counter()
    for key in list(box.iterkeys()):
        stored = box.get_message(key)
        if "S" in stored.get_flags():
            continue
        try:
            inbound = services.ingest_email(_parse(box.get_bytes(key)))
        except Exception:
            logger.exception("Maildir message %s left unread", key)
            counts["error"] += 1
            continue
        stored.set_subdir("cur")
        stored.add_flag("S")
        box[key] = stored
        counts[inbound.status] += 1
    return counts


def fetch_imap(url: str) -> Counter:
    """Ingest the unseen messages of an IMAP folder: imaps://user:password@host[:port]/FOLDER
    (imap:// for a plain connection upgraded with STARTTLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"}:
        raise ValueError(f"IMAP URL expected (imap:// or imaps://), got {url!r}")
    host = parts.hostname or "localhost"
    if parts.scheme == "imaps":
        client = imaplib.IMAP4_SSL(host, parts.port or 993)
    else:
        client = imaplib.IMAP4(host, parts.port or 143)
        client.starttls()
    counts: Counter = Counter()
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        client.select(folder)
        _status, data = client.uid("search", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            _status, fetched = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue
            try:
                inbound = services.ingest_email(_parse(raw))
            except Exception:
                logger.exception("IMAP message %s left unseen", uid)
                counts["error"] += 1
                continue
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
            counts[inbound.status] += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return counts
