"""Notifications: the queue, templates, real SMTP delivery through a local aiosmtpd server, retries, in-app."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from db.models.identity import User
from db.models.notifications import Notification, NotificationQueueItem, NotificationTemplate
from hms_desktop.clock import FixedClock
from hms_desktop.context import Actor, Context
from hms_desktop.errors import NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import SUPER_ADMIN
from hms_desktop.services.messaging import (
    DeliveryError,
    MailServer,
    deliver_due,
    enqueue,
    list_notifications,
    list_templates,
    mark_read,
    notify,
    render,
    render_event,
    run_worker,
    save_template,
    seed_default_templates,
    send_email,
)
from hms_desktop.services.messaging.smtp import scrub
from hms_desktop.services.messaging.worker import INTERRUPTED, REMOVED, backoff
from tests.conftest import ADMIN_EMAIL, actor_with_role
from tests.smtp_sink import Sink

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SMTP_PASSWORD = "Tamarind-Smtp-Pass-99"


@pytest.fixture
def ctx(system_ctx: Context) -> Context:
    return replace(system_ctx, clock=FixedClock(T0))


def queue_email(ctx: Context, **kw: Any) -> uuid.UUID:
    args: dict[str, Any] = {
        "channel": "email",
        "recipient": "ravi.kumar@example.in",
        "subject": "Your appointment",
        "body": "See you at 10:00.",
        "event_type": "appointment_booked",
    }
    args.update(kw)
    with ctx.transaction() as tx:
        item_id = enqueue(tx, **args)
        tx.commit()
    return item_id


def item(ctx: Context, item_id: uuid.UUID) -> NotificationQueueItem:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(NotificationQueueItem, item_id)
        assert row is not None
        return row


def count(ctx: Context, model: Any) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


# --- delivery over real SMTP -----------------------------------------------------------------------------


def test_queued_email_is_delivered_once_with_headers_and_utf8(ctx: Context, sink: Sink) -> None:
    body = "Namaste Ravi,\nYour bill of ₹1,250 is paid. धन्यवाद!"
    item_id = queue_email(ctx, subject="Receipt — ₹1,250", body=body)

    report = deliver_due(ctx, sink.server())

    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    assert len(sink.received) == 1
    mail_from, rcpt, msg = sink.received[0]
    assert mail_from == "clinic@sunrise.example.in"
    assert rcpt == ["ravi.kumar@example.in"]
    assert msg["To"] == "ravi.kumar@example.in"
    assert msg["Subject"] == "Receipt — ₹1,250"
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == body  # text travels with CRLF line ends
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@sunrise.example.in>")
    assert msg["Date"].datetime == T0
    row = item(ctx, item_id)
    assert (row.status, row.sent_at, row.attempts, row.last_error) == ("sent", T0, 0, None)

    again = deliver_due(ctx, sink.server())
    assert again.total == 0 and len(sink.received) == 1


def test_oldest_first_and_limit(ctx: Context, sink: Sink) -> None:
    first = queue_email(ctx, recipient="first@example.in")
    second = queue_email(ctx, recipient="second@example.in")

    assert deliver_due(ctx, sink.server(), limit=1).sent == 1
    assert [r[1] for r in sink.received] == [["first@example.in"]]
    assert item(ctx, first).status == "sent" and item(ctx, second).status == "pending"


def test_server_down_then_retried_after_backoff_and_sent_exactly_once(ctx: Context, sink: Sink) -> None:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    item_id = queue_email(ctx)
    sink.stop()  # the port is closed: connection refused

    report = deliver_due(ctx, sink.server())

    assert (report.sent, report.failed, report.retried) == (0, 0, 1)
    row = item(ctx, item_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + timedelta(seconds=30))
    assert row.last_error and "refused the connection" in row.last_error

    sink.start()
    assert deliver_due(ctx, sink.server()).total == 0  # not due yet
    assert sink.received == []

    clock.advance(seconds=30)
    assert deliver_due(ctx, sink.server()).sent == 1
    assert deliver_due(ctx, sink.server()).total == 0
    clock.advance(hours=2)
    assert deliver_due(ctx, sink.server()).total == 0
    assert len(sink.received) == 1
    row = item(ctx, item_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, T0 + timedelta(seconds=30))


def test_max_attempts_reached_is_failed_and_sensitive_body_removed(ctx: Context, sink: Sink) -> None:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    item_id = queue_email(ctx, max_attempts=2, sensitive=True, body="code 55-1234")
    sink.stop()

    assert deliver_due(ctx, sink.server()).retried == 1
    assert item(ctx, item_id).payload == {"body": "code 55-1234"}
    clock.advance(seconds=30)
    report = deliver_due(ctx, sink.server())

    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    row = item(ctx, item_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert row.payload == {"body": REMOVED}
    clock.advance(hours=5)
    sink.start()
    assert deliver_due(ctx, sink.server()).total == 0 and sink.received == []


def test_backoff_doubles_from_30_seconds_and_caps_at_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_item_left_sending_by_a_crash_is_retried_after_its_lease(ctx: Context, sink: Sink) -> None:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    item_id = queue_email(ctx)
    with ctx.transaction() as tx:  # what a crash between claiming and recording leaves behind
        row = tx.session.get(NotificationQueueItem, item_id)
        assert row is not None
        row.status, row.next_attempt_at = "sending", T0 + timedelta(minutes=10)
        tx.commit()

    assert deliver_due(ctx, sink.server()).total == 0  # another worker may still be sending it
    clock.advance(minutes=10)
    assert deliver_due(ctx, sink.server()).retried == 1
    row = item(ctx, item_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, INTERRUPTED)
    clock.advance(seconds=30)
    assert deliver_due(ctx, sink.server()).sent == 1 and len(sink.received) == 1


def test_sms_and_whatsapp_stay_pending(ctx: Context, sink: Sink) -> None:
    sms = queue_email(ctx, channel="sms", recipient="+91 98450 12345", subject="", body="Booked for 10:00")
    wa = queue_email(ctx, channel="whatsapp", recipient="9845012345", subject="", body="Booked")

    assert deliver_due(ctx, sink.server()).total == 0
    for item_id in (sms, wa):
        row = item(ctx, item_id)
        assert (row.status, row.attempts, row.recipient) == ("pending", 0, "9845012345")
    assert sink.received == []


def test_sensitive_secret_is_delivered_then_nowhere_in_the_store(ctx: Context, sink: Sink) -> None:
    secret = "QX7-RESET-90210-ZEBRA"
    with ctx.transaction() as tx:
        seed_default_templates(tx)
        r = render_event(tx, "password_reset", "email", {"full_name": "Asha Rao", "reset_code": secret, "minutes": 30})
        item_id = enqueue(
            tx, channel="email", recipient=ADMIN_EMAIL, subject=r.subject, body=r.body,
            event_type="password_reset", sensitive=True, template_id=r.template_id,
        )  # fmt: skip
        tx.commit()

    assert deliver_due(ctx, sink.server()).sent == 1

    msg = sink.received[0][2]
    assert msg["Subject"] == "Reset your HMS Desktop password"
    assert secret in msg.get_content() and "Asha Rao" in msg.get_content()
    assert item(ctx, item_id).payload == {"body": REMOVED}
    with ctx.transaction(readonly=True) as tx:
        tables = [t for (t,) in tx.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        assert "notification_queue" in tables and "audit_logs" in tables
        for table in tables:
            for found in tx.session.execute(text(f'SELECT * FROM "{table}"')):
                assert secret not in repr(tuple(found)), table
        audited = tx.session.execute(
            text("SELECT count(*) FROM audit_logs WHERE entity_type = 'notification_queue' AND entity_id = :i"),
            {"i": str(item_id)},
        ).scalar()
        assert audited == 3  # created, claimed, sent: audited, with the payload redacted


def test_dedupe_key_twice_gives_one_row(ctx: Context) -> None:
    before = count(ctx, NotificationQueueItem)
    first = queue_email(ctx, dedupe_key="appointment:APT-1:booked")
    with ctx.transaction() as tx:  # also within one transaction
        second = enqueue(
            tx, channel="email", recipient="other@example.in", subject="x", body="y",
            event_type="appointment_booked", dedupe_key="appointment:APT-1:booked",
        )  # fmt: skip
        tx.commit()
    assert first == second
    assert count(ctx, NotificationQueueItem) == before + 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"recipient": "not-an-email"}, "recipient"),
        ({"channel": "sms", "recipient": "12345"}, "recipient"),
        ({"subject": "  "}, "subject"),
        ({"body": " \n "}, "body"),
        ({"event_type": "Password Reset"}, "event_type"),
        ({"dedupe_key": " "}, "dedupe_key"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_enqueue_bad_input_names_the_field_and_writes_nothing(
    ctx: Context, changes: dict[str, Any], field: str
) -> None:
    before = count(ctx, NotificationQueueItem)
    with pytest.raises(ValidationError) as err:
        queue_email(ctx, **changes)
    assert err.value.field == field
    assert count(ctx, NotificationQueueItem) == before


def test_enqueue_unknown_patient_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound):
        queue_email(ctx, patient_id=uuid.uuid4())
    assert count(ctx, NotificationQueueItem) == 0


def test_login_with_the_right_password_and_a_refused_one_never_shows_it(ctx: Context) -> None:
    sink = Sink(password=SMTP_PASSWORD)
    sink.start()
    try:
        good = sink.server(user="clinic", password=SMTP_PASSWORD)
        assert send_email(good, "a@example.in", "Hello", "Hi").startswith("<")
        assert len(sink.received) == 1

        bad_password = "Wrong-" + SMTP_PASSWORD
        bad = sink.server(user="clinic", password=bad_password)
        assert bad_password not in repr(bad)
        with pytest.raises(DeliveryError) as err:
            send_email(bad, "a@example.in", "Hello", "Hi")
        assert "user name or password" in str(err.value)
        assert bad_password not in str(err.value) and err.value.__cause__ is None

        item_id = queue_email(ctx)
        assert deliver_due(ctx, bad).retried == 1
        row = item(ctx, item_id)
        encoded = base64.b64encode(f"\0clinic\0{bad_password}".encode()).decode()
        assert row.last_error and bad_password not in row.last_error and encoded not in row.last_error
    finally:
        sink.stop()


def test_scrub_removes_the_password_in_plain_and_in_smtp_auth_encodings() -> None:
    server = Sink().server(user="clinic", password=SMTP_PASSWORD)
    plain = base64.b64encode(f"\0clinic\0{SMTP_PASSWORD}".encode()).decode()
    login = base64.b64encode(SMTP_PASSWORD.encode()).decode()
    cleaned = scrub(f"535 rejected {SMTP_PASSWORD} / AUTH PLAIN {plain} / {login}", server)
    assert SMTP_PASSWORD not in cleaned and plain not in cleaned and login not in cleaned
    assert cleaned.startswith("535 rejected ***")


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"tls": "tls"}, "tls"), ({"port": 0}, "port"), ({"host": ""}, "host"), ({"from_addr": "clinic"}, "from_addr")],
)
def test_mail_server_settings_are_checked(changes: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"host": "smtp.example.in", "port": 587, "tls": "starttls", "user": "u", "password": "p"}
    args["from_addr"] = "clinic@example.in"
    args.update(changes)
    with pytest.raises(ValidationError) as err:
        MailServer(**args)
    assert err.value.field == field


def test_receptionist_cannot_run_delivery(ctx: Context, sink: Sink) -> None:
    queue_email(ctx)
    with pytest.raises(PermissionDenied):
        deliver_due(ctx.as_actor(actor_with_role("Receptionist")), sink.server())
    assert sink.received == []


def test_worker_thread_delivers_and_stops(system_ctx: Context, sink: Sink) -> None:
    queue_email(system_ctx)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(system_ctx, sink.server, stop, 0.05))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not sink.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(5)
    assert not worker.is_alive()
    assert len(sink.received) == 1


# --- templates ---------------------------------------------------------------------------------------------


def test_render_fills_fields_escapes_braces_and_strs_values() -> None:
    assert render("Dear {name}, token {n} {{not a field}}", {"name": "Ravi", "n": 7}) == (
        "Dear Ravi, token 7 {not a field}"
    )


@pytest.mark.parametrize("values", [{}, {"name": None}])
def test_render_missing_value_names_the_placeholder(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as err:
        render("Dear {name}", values)
    assert err.value.field == "values" and "{name}" in err.value.message


@pytest.mark.parametrize("bad", ["Dear {name", "Dear name}", "{user.password}", "{0}", "{}"])
def test_render_refuses_malformed_text(bad: str) -> None:
    with pytest.raises(ValidationError):
        render(bad, {"name": "x", "user": object()})


def test_seed_and_list_templates(ctx: Context) -> None:
    with ctx.transaction() as tx:
        assert seed_default_templates(tx) == 5
        tx.commit()
    with ctx.transaction() as tx:
        assert seed_default_templates(tx) == 0
        tx.commit()
    found = {(t.event_type, t.channel): t for t in list_templates(ctx.as_actor(actor_with_role("Receptionist")))}
    assert set(found) == {
        ("password_reset", "email"),
        ("appointment_booked", "sms"),
        ("payment_receipt", "email"),
        ("optical_ready", "sms"),
        ("optical_ready", "email"),
    }
    reset = found[("password_reset", "email")]
    assert reset.subject == "Reset your HMS Desktop password"
    assert set(reset.placeholders) == {"full_name", "reset_code", "minutes"}


def test_save_template_creates_then_replaces_and_is_used(ctx: Context) -> None:
    first = save_template(ctx, "appointment_booked", "sms", "", "Hi {patient_name}, see {doctor_name}.")
    second = save_template(ctx, "appointment_booked", "sms", "", "{patient_name}: {appointment_date}")
    assert first.id == second.id and second.placeholders == ("appointment_date", "patient_name")
    assert count(ctx, NotificationTemplate) == 1
    with ctx.transaction(readonly=True) as tx:
        r = render_event(tx, "appointment_booked", "sms", {"patient_name": "Ravi", "appointment_date": "2 Mar"})
    assert (r.body, r.template_id) == ("Ravi: 2 Mar", first.id)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("payment_receipt", "email", "Receipt", "Paid {amount} {aadhaar_number}"), "body"),
        (("payment_receipt", "email", "Receipt {password}", "Paid {amount}"), "subject"),
        (("payment_receipt", "email", "", "Paid {amount}"), "subject"),
        (("payment_receipt", "email", "Receipt", "Paid {amount"), "body"),
        (("payment_receipt", "email", "Receipt", "   "), "body"),
        (("password_reset", "email", "Reset", "Hello {full_name}, no code here"), "body"),
        (("birthday_wishes", "sms", "", "Happy birthday"), "event_type"),
        (("payment_receipt", "fax", "", "Paid {amount}"), "channel"),
    ],
)
def test_save_template_bad_input_names_the_field_and_writes_nothing(
    ctx: Context, args: tuple[str, str, str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        save_template(ctx, *args)
    assert err.value.field == field
    assert count(ctx, NotificationTemplate) == 0


def test_receptionist_cannot_save_templates(ctx: Context) -> None:
    with pytest.raises(PermissionDenied):
        save_template(ctx.as_actor(actor_with_role("Receptionist")), "payment_receipt", "email", "Receipt", "{amount}")
    assert count(ctx, NotificationTemplate) == 0


# --- in-app notifications ----------------------------------------------------------------------------------


@pytest.fixture
def two_users(ctx: Context, make_user: Any) -> tuple[Actor, Actor]:
    nurse = make_user("Nurse", email="meena@sunrise.example.in", name="Meena")
    with ctx.transaction(readonly=True) as tx:
        admin_id = tx.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
    return replace(actor_with_role(SUPER_ADMIN), user_id=admin_id), replace(actor_with_role("Nurse"), user_id=nurse.id)


def test_in_app_notifications_are_listed_and_marked_read_only_by_their_owner(
    ctx: Context, two_users: tuple[Actor, Actor]
) -> None:
    admin, nurse = two_users
    assert admin.user_id and nurse.user_id
    with ctx.transaction() as tx:
        mine = notify(tx, admin.user_id, "Stock low", "Paracetamol 500 below reorder level", category="inventory")
        other = notify(tx, nurse.user_id, "Patient waiting", "Token 12", entity_type="appointments", entity_id=7)
        tx.commit()

    listed = list_notifications(ctx.as_actor(admin))
    assert [(n.id, n.title, n.category, n.is_read) for n in listed] == [(mine, "Stock low", "inventory", False)]

    assert mark_read(ctx.as_actor(admin), [mine, other]) == 1
    assert mark_read(ctx.as_actor(admin), [mine]) == 0
    assert list_notifications(ctx.as_actor(admin), unread_only=True) == []
    assert list_notifications(ctx.as_actor(admin))[0].read_at == T0
    nurse_view = list_notifications(ctx.as_actor(nurse), unread_only=True)
    assert [(n.id, n.entity_type, n.entity_id) for n in nurse_view] == [(other, "appointments", "7")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"title": " "}, "title"), ({"category": "Bad Category"}, "category"), ({"message": "x" * 2001}, "message")],
)
def test_notify_bad_input_names_the_field_and_writes_nothing(
    ctx: Context, two_users: tuple[Actor, Actor], changes: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"user_id": two_users[0].user_id, "title": "Hello", "message": "Hi"}
    args.update(changes)
    with ctx.transaction() as tx, pytest.raises(ValidationError) as err:
        notify(tx, **args)
    assert err.value.field == field
    assert count(ctx, Notification) == 0


def test_notify_unknown_user_and_bad_ids(ctx: Context, two_users: tuple[Actor, Actor]) -> None:
    with ctx.transaction() as tx, pytest.raises(NotFound):
        notify(tx, uuid.uuid4(), "Hello", "Hi")
    assert count(ctx, Notification) == 0
    with pytest.raises(ValidationError) as err:
        mark_read(ctx.as_actor(two_users[0]), ["not-a-uuid"])
    assert err.value.field == "ids"
