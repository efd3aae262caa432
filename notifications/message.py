"""Build RFC 5322 messages from outbox rows: UTF-8 bodies, RFC 2047 headers, no header injection.

Every header value that may carry user text goes through `clean_header`, which turns CR, LF and the
other line breaks Python recognises into spaces, so a name like "王\\r\\nBcc: x@example.org" stays one
display name and never becomes a header. Addresses are checked strictly (`check_address`).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from datetime import datetime
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr

# str.splitlines() boundaries plus the other C0 controls: none belongs in a header.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
WIRE = compat32.clone(linesep="\r\n")
_ADDR_SPEC = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+$")


class InvalidAddress(ValueError):
    """An email address that is not a plain addr-spec."""


def clean_header(value: str | None, limit: int = 500) -> str:
    """One line of header text: control characters become a space, runs of space collapse."""
    text = _UNSAFE.sub(" ", value or "")
    return " ".join(text.split())[:limit]


def check_address(email: str) -> str:
    email = (email or "").strip()
    if not _ADDR_SPEC.match(email) or any(ord(ch) > 127 for ch in email):
        raise InvalidAddress(f"not a plain email address: {email!r}")
    return email


def mailbox(value) -> dict:
    """Normalise 'a@b.org', 'Name <a@b.org>', (name, email) or {'name', 'email'} to {'name', 'email'}."""
    if isinstance(value, dict):
        name, email = value.get("name") or "", value["email"]
    elif isinstance(value, (tuple, list)):
        name, email = value
    else:
        name, email = parseaddr(str(value))
        if not email:
            raise InvalidAddress(f"not an email address: {value!r}")
    return {"name": clean_header(name, 200), "email": check_address(email)}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def message_id(key: str, created_at: datetime | None = None, row_id: int | None = None) -> str:
    """The Message-ID of one outbox row: its key's hash, then the instant it was queued and its row id.

    All three are stored with the row when it is queued, so a retry or a re-delivery carries the same
    ID and the receiver can drop it; the instant and the id make it unique to this message, so two
    databases (a demo, a rebuilt one) that queue the same key (`packet:1`) never share an ID, which a
    mail client would take for one message and hide.
    """
    parts = [key_hash(key)]
    if created_at is not None:
        parts.append(format(round(created_at.timestamp() * 1_000_000), "x"))
    if row_id is not None:
        parts.append(str(row_id))
    return f"<{'.'.join(parts)}@unionflow>"


def attachment_part(att: dict) -> tuple[bytes, str, str, str]:
    """(content, maintype, subtype, filename) of a stored attachment (inline base64 or a file path)."""
    filename = clean_header(att.get("filename") or "attachment", 200)
    if "data" in att:
        content = base64.b64decode(att["data"])
    else:
        with open(att["path"], "rb") as fh:
            content = fh.read()
    ctype = att.get("content_type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    maintype, _, subtype = ctype.split(";", 1)[0].strip().partition("/")
    return content, maintype, subtype or "octet-stream", filename


def build_message(row, sender) -> Message:
    """The message for one outbox row (a mapping with the outbox columns); `sender` like `mailbox()` takes.

    Built with the compat32 MIME classes, about ten times faster than `EmailMessage` with its header
    registry (which matters at thousands of messages a minute); every header value has been through
    `clean_header`/`check_address`, and non-ASCII text is RFC 2047 encoded (`Header`, `formataddr`).
    """
    row = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    body = _text_part(row["text_body"], "plain")
    if row.get("html_body"):
        body = _multipart("alternative", [body, _text_part(row["html_body"], "html")])
    attachments = [_attachment(att) for att in row.get("attachments") or ()]
    msg = _multipart("mixed", [body, *attachments]) if attachments else body
    subject = clean_header(row["subject"], 900)
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    msg["From"] = _addresses([sender])
    msg["To"] = _addresses(row["to_addrs"])
    if row.get("cc_addrs"):
        msg["Cc"] = _addresses(row["cc_addrs"])
    created = row.get("created_at")
    msg["Date"] = formatdate(created.timestamp() if created else None, localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(row["key"], created, row.get("id"))
    msg["X-Unionflow-Kind"] = clean_header(row.get("kind") or "", 32)
    return msg


def to_bytes(msg: Message) -> bytes:
    """The message as it goes on the wire: CRLF line ends."""
    return msg.as_bytes(policy=WIRE)


def _addresses(boxes) -> str:
    return ", ".join(formataddr((b["name"], b["email"]), charset="utf-8") for b in map(mailbox, boxes))


def _multipart(subtype: str, parts: list[Message]) -> MIMEMultipart:
    outer = MIMEMultipart(subtype)
    for part in parts:
        outer.attach(part)
    return outer


def _text_part(text: str, subtype: str) -> MIMEText:
    text = text if text.endswith("\n") else text + "\n"
    # 7-bit clean on the wire, whatever the server: Chinese text goes base64, never 8bit.
    plain = text.isascii() and all(len(line) <= 900 for line in text.splitlines())
    return MIMEText(text, subtype, "us-ascii" if plain else "utf-8")


def _attachment(att: dict) -> MIMEBase:
    content, maintype, subtype, filename = attachment_part(att)
    part = MIMEBase(maintype, subtype)
    if maintype == "text" and _is_utf8(content):
        # Without a charset a text part is US-ASCII (RFC 2045): Chinese in it would be read as mojibake.
        part.set_param("charset", "utf-8")
    part.set_payload(content)
    encoders.encode_base64(part)
    # RFC 2231 for a Chinese file name (会议材料.docx), plain otherwise.
    part.add_header("Content-Disposition", "attachment",
                    filename=filename if filename.isascii() else ("utf-8", "", filename))
    return part


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def envelope(row) -> list[str]:
    """Every To and Cc address once: the SMTP envelope, never derived from (possibly forged) headers."""
    row = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    boxes = list(row["to_addrs"]) + list(row.get("cc_addrs") or ())
    rcpts: list[str] = []
    for b in boxes:
        email = mailbox(b)["email"]
        if email.lower() not in (r.lower() for r in rcpts):
            rcpts.append(email)
    return rcpts
