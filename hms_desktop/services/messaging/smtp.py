"""Sending one email through an SMTP server (smtplib), with errors a clinic administrator can act on.

``MailServer`` is this module's own description of the server; the clinic's saved SMTP settings are turned
into one by whoever owns them, so this module depends on no settings code. Every failure becomes a
``DeliveryError`` whose text names the problem (refused, timed out, wrong password, ...) and never contains
the password, in any encoding.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from hms_desktop.clock import utc_now
from hms_desktop.errors import HmsError, ValidationError

TLS_MODES = ("none", "starttls", "ssl")
MAX_ERROR_CHARS = 300


class DeliveryError(HmsError):
    """A message could not be handed to the mail server. The text holds no secret."""


@dataclass(frozen=True, kw_only=True)
class MailServer:
    """Where and how to send email. ``tls``: "none" (plain, e.g. a local relay), "starttls" (usually port
    587) or "ssl" (implicit TLS, usually port 465). ``user`` empty means no login."""

    host: str
    port: int
    tls: str
    user: str
    password: str = field(repr=False)
    from_addr: str
    timeout: float = 10

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host):
            raise ValidationError("host", "The mail server name is required (for example smtp.gmail.com).")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise ValidationError("port", "The mail server port is a number from 1 to 65535 (usually 587 or 465).")
        if self.tls not in TLS_MODES:
            raise ValidationError("tls", "Security is none, STARTTLS or SSL/TLS.")
        if "@" not in parseaddr(self.from_addr)[1]:
            raise ValidationError("from_addr", "The sender address is required (for example clinic@example.in).")
        if not 0 < self.timeout <= 300:
            raise ValidationError("timeout", "The timeout is 1 to 300 seconds.")

    @property
    def sender(self) -> str:
        """The bare sender address (for the envelope)."""
        return parseaddr(self.from_addr)[1]

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _secrets(server: MailServer) -> list[str]:
    """The password and the forms an SMTP conversation could carry it in (AUTH PLAIN and LOGIN)."""
    pw = server.password
    if not pw:
        return []
    forms = {pw}
    for raw in (pw, f"\0{server.user}\0{pw}", f"{server.user}\0{pw}"):
        forms.add(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, server: MailServer) -> str:
    """``text`` with any form of the password removed, cut to a short length."""
    for secret in _secrets(server):
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _reply(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return f"{exc.smtp_code} {text}".strip()


def _explain(exc: BaseException, server: MailServer, to: str) -> str:
    where = server.where
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server {where} refused the user name or password ({exc.smtp_code})."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                 for code, msg in exc.recipients.values()]  # fmt: skip
        return f"The mail server refused the recipient {to} ({'; '.join(codes)})."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"The mail server refused the sender address {server.sender} ({_reply(exc)})."
    if isinstance(exc, smtplib.SMTPDataError):
        return f"The mail server refused the message ({_reply(exc)})."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server {where} answered {_reply(exc)}."
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The mail server {where} does not support what the settings ask for (STARTTLS or login)."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server {where} closed the connection unexpectedly."
    if isinstance(exc, smtplib.SMTPException):
        return f"The mail server {where} could not take the message ({type(exc).__name__})."
    if isinstance(exc, ConnectionRefusedError):
        return f"The mail server {where} refused the connection; check the host and port, or try again later."
    if isinstance(exc, TimeoutError):
        return f"The mail server {where} did not answer within {server.timeout:g} seconds."
    if isinstance(exc, socket.gaierror):
        return f"The mail server name {server.host} could not be found; check the host name and the network."
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or type(exc).__name__
        return f"A secure connection to {where} could not be made ({reason}); check the security setting."
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return f"The mail server {where} could not be reached ({reason})."
    return f"The message could not be prepared ({type(exc).__name__})."


def build_message(
    server: MailServer, to: str, subject: str, body: str, *, date: datetime | None = None
) -> EmailMessage:
    """A UTF-8 plain-text message with Date and Message-ID headers."""
    msg = EmailMessage()
    msg["From"] = server.from_addr
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime((date or utc_now()).astimezone(UTC), usegmt=True)
    domain = server.sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(body, charset="utf-8")
    return msg


def _connect(server: MailServer) -> smtplib.SMTP:
    if server.tls == "ssl":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=ssl.create_default_context())
    conn = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.tls == "starttls":
            conn.ehlo()
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
    except BaseException:
        conn.close()
        raise
    return conn


def _close(conn: smtplib.SMTP) -> None:
    """QUIT politely; once the message is accepted, a failed goodbye must not make it look unsent."""
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def send_email(server: MailServer, to: str, subject: str, body: str, *, date: datetime | None = None) -> str:
    """Send one message to ``to``; returns its Message-ID. Raises ``DeliveryError`` (no secret in its text)."""
    try:
        msg = build_message(server, to, subject, body, date=date)
        conn = _connect(server)
        try:
            if server.user:
                conn.login(server.user, server.password)
            conn.send_message(msg, from_addr=server.sender, to_addrs=[to])
        finally:
            _close(conn)
        return str(msg["Message-ID"])
    except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as exc:
        # ``from None``: the original exception (and its traceback's locals) may carry the password.
        raise DeliveryError(scrub(_explain(exc, server, to), server)) from None
