"""A real SMTP server on loopback (aiosmtpd) for tests that send mail."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hms_desktop.services.messaging.smtp import MailServer


class Sink:
    """An SMTP server on 127.0.0.1 that keeps what it receives; can be stopped and restarted on its port."""

    def __init__(self, *, password: str | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.password = password
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        given = data.password.decode() if isinstance(data, LoginPassword) else ""
        if given == self.password:
            return AuthResult(success=True, auth_data=data)
        # A careless server that echoes what it was sent: the password must still not reach our errors.
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials {given}")

    def start(self) -> None:
        kw: dict[str, Any] = {}
        if self.password is not None:
            kw = {"authenticator": self._auth, "auth_require_tls": False}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def server(self, *, user: str = "", password: str = "") -> MailServer:
        return MailServer(
            host="127.0.0.1",
            port=self.port,
            tls="none",
            user=user,
            password=password,
            from_addr="Sunrise Clinic <clinic@sunrise.example.in>",
            timeout=5,
        )
