"""Where messages go: an SMTP server, a folder of .eml files, or a stream.

A transport is a context manager (`with transport:` around a batch) with `send(message, recipients)`
(`message` the wire bytes, or a Message), which returns the recipients the server refused (empty when all were accepted) and raises on failure.
`TransportUnavailable` means "the server is not there" (cannot connect, log in, or stay connected):
the batch stops and the messages wait for the next run. Any other exception concerns one message.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import sys
import tempfile
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default as default_policy
from pathlib import Path

from notifications.message import mailbox, to_bytes
from templates.i18n import _

log = logging.getLogger(__name__)
SECURITY = ("none", "starttls", "tls")


class TransportConfigError(ValueError):
    """A [mail] setting the transport cannot work with."""


class TransportUnavailable(Exception):
    """The server cannot be reached or refuses the session (not one message)."""


class Transport:
    def __init__(self, sender):
        self.sender = mailbox(sender)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass

    def send(self, message: bytes | Message, recipients: list[str]) -> dict:
        raise NotImplementedError


def wire_bytes(message: bytes | Message) -> bytes:
    return message if isinstance(message, bytes) else to_bytes(message)


class SmtpTransport(Transport):
    """One connection per batch, opened on first use and reopened once if the server drops it."""

    def __init__(self, sender, *, host="127.0.0.1", port=25, security="none", username="", password=None,
                 timeout=30.0, ssl_context=None):
        super().__init__(sender)
        if security not in SECURITY:
            raise TransportConfigError(_("[mail.smtp] security must be one of {choices}, not {security!r}").format(
                choices=", ".join(SECURITY), security=security))
        self.host, self.port, self.security = host, int(port), security
        self.username, self.password, self.timeout = username, password, float(timeout)
        self.ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many times we connected (tests and the benchmark look)

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self.connections += 1
        return smtp

    def send(self, message: bytes | Message, recipients: list[str]) -> dict:
        raw = wire_bytes(message)
        for attempt in (1, 2):
            if self._smtp is None:
                try:
                    self._smtp = self._connect()
                except (smtplib.SMTPException, OSError) as exc:
                    raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {describe_error(exc)}") from exc
            try:
                return self._smtp.sendmail(self.sender["email"], recipients, raw)
            except smtplib.SMTPServerDisconnected as exc:
                # The server closed an idle or used-up connection: reconnect once, then give up.
                self._drop()
                if attempt == 2:
                    raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {describe_error(exc)}") from exc
            except smtplib.SMTPSenderRefused as exc:
                # Our own address refused (e.g. "530 Must issue a STARTTLS command first"): no message
                # of the batch would pass, so stop here.
                raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {describe_error(exc)}") from exc
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:  # "service not available": the server, not this message
                    self._drop()
                    raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {describe_error(exc)}") from exc
                raise
            except smtplib.SMTPException:
                raise
            except OSError as exc:  # the socket broke mid-message
                self._drop()
                raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {describe_error(exc)}") from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._drop()


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=default_policy).parsebytes(raw)


def describe_error(exc: BaseException) -> str:
    """A one-line, readable reason for last_error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipients refused: " + "; ".join(
            f"{rcpt}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for rcpt, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


class FileTransport(Transport):
    """One .eml file per message, named from its Message-ID (a re-send overwrites, never duplicates)."""

    def __init__(self, sender, directory):
        super().__init__(sender)
        self.directory = Path(directory)

    def path_for(self, message_id: str) -> Path:
        return self.directory / f"{message_id.strip().strip('<>').split('@')[0]}.eml"

    def send(self, message: bytes | Message, recipients: list[str]) -> dict:
        raw = wire_bytes(message)
        # Only the headers are needed for the name: parsing the whole body cost more than the write.
        target = self.path_for(BytesHeaderParser(policy=default_policy).parsebytes(raw)["Message-ID"])
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        except OSError as exc:  # the folder, not the message: like a server that is down
            raise TransportUnavailable(f"{self.directory}: {describe_error(exc)}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # atomic: a reader never sees half a message
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):  # a full disk: every message would fail the same way
                raise TransportUnavailable(f"{self.directory}: {describe_error(exc)}") from exc
            raise
        return {}


class ConsoleTransport(Transport):
    """Prints each message (decoded, for reading) to a stream."""

    def __init__(self, sender, stream=None):
        super().__init__(sender)
        self.stream = stream

    def send(self, message: bytes | Message, recipients: list[str]) -> dict:
        msg = _parse(wire_bytes(message))
        stream = self.stream or sys.stdout
        stream.write(f"----- {msg['Message-ID']} to {', '.join(recipients)}\n")
        for name in ("From", "To", "Cc", "Subject", "Date"):
            if msg[name]:
                stream.write(f"{name}: {msg[name]}\n")
        body = msg.get_body(("plain",))
        stream.write("\n" + (body.get_content() if body else "") + "\n")
        stream.flush()
        return {}


def transport_from_config(mail_section: dict, stream=None) -> Transport:
    """The transport the [mail] settings name; `mail_section` may hold the [mail.smtp] table as "smtp"."""
    kind = mail_section.get("transport", "file")
    try:
        sender = mailbox(mail_section.get("from") or "unionflow@localhost")
    except ValueError as exc:
        raise TransportConfigError(_("[mail] from: {error}").format(error=exc)) from exc
    if kind == "file":
        if not mail_section.get("dir"):
            raise TransportConfigError(_("[mail] dir is needed for the file transport"))
        return FileTransport(sender, mail_section["dir"])
    if kind == "console":
        return ConsoleTransport(sender, stream)
    if kind == "smtp":
        smtp = dict(mail_section.get("smtp") or {})
        password = None
        if smtp.get("username"):
            env = smtp.get("password_env") or "UNIONFLOW_SMTP_PASSWORD"
            password = os.environ.get(env)
            if password is None:
                raise TransportConfigError(_("[mail.smtp] username is set but the environment variable {env} is not").format(
                    env=env))
        return SmtpTransport(
            sender, host=smtp.get("host", "127.0.0.1"), port=smtp.get("port", 25),
            security=smtp.get("security", "none"), username=smtp.get("username", ""), password=password,
            timeout=smtp.get("timeout", 30),
        )
    raise TransportConfigError(_("[mail] transport must be smtp, file or console, not {kind!r}").format(kind=kind))
