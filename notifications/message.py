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
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

# str.splitlines() boundaries plus the other C0 controls: none belongs in a header.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
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


def address(box: dict) -> Address:
    username, domain = box["email"].rsplit("@", 1)
    return Address(display_name=clean_header(box.get("name")), username=username, domain=domain)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def message_id(key: str) -> str:
    """The same key always gives the same Message-ID, so a receiver can drop a re-delivery."""
    return f"<{key_hash(key)}@unionflow>"


def attachment_part(att: dict) -> tuple[bytes, str, str, str]:
    """(content, maintype, subtype, filename) of a stored attachment (inline base64 or a file path)."""
    filename = clean_header(att.get("filename") or "attachment", 200)
    if "data" in att:
        content = base64.b64decode(att["data"])
    else:
        with open(att["path"], "rb") as fh:
            content = fh.read()
    ctype = att.get("content_type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    maintype, _, subtype = ctype.partition("/")
    return content, maintype, subtype or "octet-stream", filename


def build_message(row, sender) -> EmailMessage:
    """The message for one outbox row (a mapping with the outbox columns); `sender` like `mailbox()` takes."""
    row = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    msg = EmailMessage()
    msg["Subject"] = clean_header(row["subject"], 900)
    msg["From"] = address(mailbox(sender))
    msg["To"] = [address(mailbox(b)) for b in row["to_addrs"]]
    if row.get("cc_addrs"):
        msg["Cc"] = [address(mailbox(b)) for b in row["cc_addrs"]]
    created = row.get("created_at")
    msg["Date"] = formatdate(created.timestamp() if created else None, localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(row["key"])
    msg["X-Unionflow-Kind"] = clean_header(row.get("kind") or "", 32)
    msg.set_content(row["text_body"], charset="utf-8", cte=_cte(row["text_body"]))
    if row.get("html_body"):
        msg.add_alternative(row["html_body"], subtype="html", charset="utf-8", cte=_cte(row["html_body"]))
    for att in row.get("attachments") or ():
        content, maintype, subtype, filename = attachment_part(att)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _cte(text: str) -> str:
    # 7-bit clean on the wire, whatever the server: Chinese text goes base64, not 8bit.
    plain = text.isascii() and all(len(line) <= 900 for line in text.splitlines())
    return "7bit" if plain else "base64"


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
