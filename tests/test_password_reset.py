"""Password reset by email, end to end: request, real SMTP delivery, the code read from the message."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from db.models.notifications import NotificationQueueItem
from hms_desktop.clock import FixedClock
from hms_desktop.context import Actor, Context
from hms_desktop.errors import AuthError, TokenError, ValidationError
from hms_desktop.services.admin import auth
from hms_desktop.services.messaging.worker import deliver_due
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.smtp_sink import Sink

NEW_PASSWORD = "Cardamom-Lantern-2027"


MAIL = {"smtp_host": "127.0.0.1", "smtp_tls": "none", "smtp_from": "clinic@sunrise.example.in"}


@pytest.fixture
def ctx(system_ctx: Context, sink: Sink) -> Context:
    """The clinic with its mail server set (the sink's port), at a fixed time."""
    from hms_desktop.services.admin.hospital import update_settings

    update_settings(system_ctx, {**MAIL, "smtp_port": sink.port})
    return replace(system_ctx, clock=FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC)))


def test_a_clinic_without_email_says_so_and_sends_nothing(system_ctx: Context) -> None:
    """No mail server set: "Forgot password?" says email is not set up and to ask an administrator, the same
    for an address with an account and one without, and queues nothing."""
    for address in (ADMIN_EMAIL, "nobody@sunrise.example.in"):
        with pytest.raises(ValidationError) as refused:
            auth.request_password_reset(system_ctx, address)
        assert refused.value.field == "email" and refused.value.message == auth.NO_MAIL_RESET
    assert queued(system_ctx) == 0


def mailed_code(ctx: Context, sink: Sink) -> str:
    report = deliver_due(ctx, sink.server())
    assert report.sent == 1
    _, rcpt, message = sink.received[-1]
    assert rcpt == [ADMIN_EMAIL]
    body = message.get_content()
    match = re.search(r"^\s{4}(\S+)\s*$", body, flags=re.MULTILINE)
    assert match, body
    return match.group(1)


def queued(ctx: Context) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(NotificationQueueItem)) or 0)


def test_reset_round_trip_through_a_real_smtp_server(ctx: Context, sink: Sink) -> None:
    old = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    auth.request_password_reset(ctx, ADMIN_EMAIL.upper())
    code = mailed_code(ctx, sink)
    assert sink.received[-1][2]["Subject"] == "Reset your HMS Desktop password"
    with pytest.raises(ValidationError):
        auth.reset_password(ctx, code, "password")  # the rules still apply; the code is not spent
    auth.reset_password(ctx, code, NEW_PASSWORD)
    with pytest.raises(TokenError):
        auth.refresh(ctx, old.refresh_token)  # every session ended
    with pytest.raises(AuthError):
        auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    auth.login(ctx, ADMIN_EMAIL, NEW_PASSWORD)
    with pytest.raises(TokenError, match="not valid or has expired"):
        auth.reset_password(ctx, code, "Another-Fine-Pass-1")  # single use
    with ctx.transaction(readonly=True) as tx:  # the code is nowhere in the store once delivered
        for table in ("notification_queue", "audit_logs", "password_emails"):
            dump = " ".join(str(r) for r in tx.session.execute(text(f"SELECT * FROM {table}")).all())
            assert code not in dump, table


def test_a_new_request_voids_the_older_code(ctx: Context, sink: Sink) -> None:
    auth.request_password_reset(ctx, ADMIN_EMAIL)
    first = mailed_code(ctx, sink)
    auth.request_password_reset(ctx, ADMIN_EMAIL)
    second = mailed_code(ctx, sink)
    with pytest.raises(TokenError):
        auth.reset_password(ctx, first, NEW_PASSWORD)
    auth.reset_password(ctx, second, NEW_PASSWORD)


def test_the_code_expires_after_30_minutes(ctx: Context, sink: Sink) -> None:
    auth.request_password_reset(ctx, ADMIN_EMAIL)
    code = mailed_code(ctx, sink)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(minutes=30, seconds=1)
    with pytest.raises(TokenError, match="expired"):
        auth.reset_password(ctx, code, NEW_PASSWORD)


def test_same_answer_whether_or_not_the_address_exists(ctx: Context, sink: Sink) -> None:
    assert auth.request_password_reset(ctx, "nobody@example.in") is None
    assert queued(ctx) == 0
    assert auth.request_password_reset(ctx, ADMIN_EMAIL) is None
    assert queued(ctx) == 1
    with pytest.raises(TokenError):
        auth.reset_password(ctx, "forged-code", NEW_PASSWORD)


def test_reset_clears_a_lockout(ctx: Context, sink: Sink) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    auth.request_password_reset(ctx, ADMIN_EMAIL)
    auth.reset_password(ctx, mailed_code(ctx, sink), NEW_PASSWORD)
    auth.login(ctx, ADMIN_EMAIL, NEW_PASSWORD)


def test_the_app_s_delivery_thread_sends_with_the_clinic_s_settings(system_ctx: Context, sink: Sink) -> None:
    from hms_desktop.services.admin.hospital import update_settings
    from hms_desktop.services.messaging.mail_server import mail_server, start_delivery

    assert mail_server(system_ctx) is None  # not set up yet: the queue waits
    update_settings(system_ctx, {**MAIL, "smtp_port": sink.port})
    auth.request_password_reset(system_ctx, ADMIN_EMAIL)
    # as the app does: started before anyone signs in, with the store's anonymous context
    stop = start_delivery(system_ctx.as_actor(Actor.anonymous()), interval=0.2)
    try:
        deadline = time.time() + 10
        while not sink.received and time.time() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert sink.received and sink.received[0][1] == [ADMIN_EMAIL]
