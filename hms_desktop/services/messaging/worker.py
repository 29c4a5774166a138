"""The delivery worker: sends the email waiting in ``notification_queue``, retrying with back-off.

Each item moves through short transactions of its own, never one transaction for the whole batch:

1. claim: ``pending`` -> ``sending`` (the write lock is taken first, so two workers cannot claim one item),
   with ``next_attempt_at`` set to the end of a lease;
2. send, outside any transaction;
3. outcome: ``sent`` with ``sent_at``, or a failed attempt: ``attempts`` + 1, ``last_error``, back to
   ``pending`` with ``next_attempt_at`` = now + 30 s * 2 ** (attempts - 1), at most one hour; ``failed``
   once ``attempts`` reaches ``max_attempts``.

A crash therefore loses at most the bookkeeping of the one item being sent, and an item marked ``sent`` is
never sent again. An item left ``sending`` by a crash is taken up again once its lease has run out: it
counts as a failed attempt (it may or may not have gone out) and is retried like any other.

A ``sensitive`` item's payload becomes ``{"body": "[removed after delivery]"}`` as soon as it is sent or
given up on, so a password-reset code does not stay in the store.

SMS and WhatsApp items are not touched here: they stay ``pending`` until a gateway for them exists.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from db.models.notifications import NotificationQueueItem
from hms_desktop.context import Context
from hms_desktop.errors import HmsError, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.messaging.smtp import DeliveryError, MailServer, send_email

log = logging.getLogger(__name__)

REMOVED = "[removed after delivery]"
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# Longer than any SMTP conversation can take (a few socket timeouts): a claim older than this is abandoned.
LEASE = timedelta(minutes=10)
INTERRUPTED = "Sending was interrupted (the program stopped); the message may or may not have gone out."
MAX_LIMIT = 500
BATCH = 50


@dataclass(frozen=True, kw_only=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # given up on (max_attempts reached)
    retried: int = 0  # failed this time, will be tried again

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            sent=self.sent + other.sent, failed=self.failed + other.failed, retried=self.retried + other.retried
        )

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retried


@dataclass(frozen=True, kw_only=True)
class _Claimed:
    recipient: str
    subject: str
    body: str


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... at most one hour."""
    return min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


def _scrub_if_sensitive(item: NotificationQueueItem) -> None:
    if item.sensitive:
        item.payload = {"body": REMOVED}


def _fail_attempt(item: NotificationQueueItem, error: str, now: datetime) -> DeliveryReport:
    item.attempts = min(item.attempts + 1, item.max_attempts)
    item.last_error = error[:300]
    if item.attempts >= item.max_attempts:
        item.status = "failed"
        item.next_attempt_at = None
        _scrub_if_sensitive(item)
        return DeliveryReport(failed=1)
    item.status = "pending"
    item.next_attempt_at = now + backoff(item.attempts)
    return DeliveryReport(retried=1)


def _email_items(ctx: Context, status: str, now: datetime, limit: int) -> list[uuid.UUID]:
    q = NotificationQueueItem
    with ctx.transaction(readonly=True) as tx:
        return list(
            tx.session.scalars(
                select(q.id)
                .where(
                    q.channel == "email",
                    q.status == status,
                    q.deleted_at.is_(None),
                    or_(q.next_attempt_at.is_(None), q.next_attempt_at <= now),
                )
                .order_by(q.created_at, q.id)
                .limit(limit)
            )
        )


def _recover_abandoned(ctx: Context, item_id: uuid.UUID) -> DeliveryReport:
    with ctx.transaction() as tx:
        now = ctx.clock.now()
        item = tx.session.get(NotificationQueueItem, item_id)
        if item is None or item.status != "sending" or (item.next_attempt_at and item.next_attempt_at > now):
            return DeliveryReport()
        report = _fail_attempt(item, INTERRUPTED, now)
        tx.commit()
        return report


def _claim(ctx: Context, item_id: uuid.UUID) -> _Claimed | None:
    with ctx.transaction() as tx:
        now = ctx.clock.now()
        item = tx.session.get(NotificationQueueItem, item_id)
        if item is None or item.status != "pending" or item.deleted_at is not None:
            return None  # sent, cancelled or claimed by another worker meanwhile
        if item.next_attempt_at is not None and item.next_attempt_at > now:
            return None
        body = str((item.payload or {}).get("body", ""))
        claimed = _Claimed(recipient=item.recipient, subject=item.subject, body=body)
        item.status = "sending"
        item.next_attempt_at = now + LEASE
        tx.commit()
        return claimed


def _record_outcome(ctx: Context, item_id: uuid.UUID, error: str | None) -> DeliveryReport:
    with ctx.transaction() as tx:
        now = ctx.clock.now()
        item = tx.session.get(NotificationQueueItem, item_id)
        if item is None or item.status != "sending":
            return DeliveryReport()
        if error is None:
            item.status = "sent"
            item.sent_at = now
            item.next_attempt_at = None
            _scrub_if_sensitive(item)
            report = DeliveryReport(sent=1)
        else:
            report = _fail_attempt(item, error, now)
        tx.commit()
        return report


@requires("notifications.send")
def deliver_due(ctx: Context, server: MailServer, *, limit: int = BATCH) -> DeliveryReport:
    """Send up to ``limit`` email items that are due, oldest first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"A batch has 1 to {MAX_LIMIT} messages.")
    report = DeliveryReport()
    for item_id in _email_items(ctx, "sending", ctx.clock.now(), limit):
        report += _recover_abandoned(ctx, item_id)
    for item_id in _email_items(ctx, "pending", ctx.clock.now(), limit):
        claimed = _claim(ctx, item_id)
        if claimed is None:
            continue
        error: str | None = None
        try:
            send_email(server, claimed.recipient, claimed.subject, claimed.body, date=ctx.clock.now())
        except DeliveryError as exc:
            error = exc.message
        except Exception as exc:  # a bug, not the server: record it rather than leave the item claimed
            log.error("email item %s: unexpected %s", item_id, type(exc).__name__)
            error = f"The message could not be sent ({type(exc).__name__})."
        report += _record_outcome(ctx, item_id, error)
    return report


@requires("notifications.send")
def run_worker(
    ctx: Context,
    server_factory: Callable[[], MailServer | None],
    stop_event: threading.Event,
    interval: float = 15,
) -> None:
    """Deliver due email every ``interval`` seconds until ``stop_event`` is set (run it in a thread).

    ``server_factory`` is asked for the mail server before each round, so changed SMTP settings take effect
    without a restart; it returns None while email is not set up. A full batch is followed at once by the
    next. Errors are logged (without secrets) and the loop goes on.
    """
    if not interval > 0:
        raise ValidationError("interval", "The interval is a positive number of seconds.")
    while not stop_event.is_set():
        busy = False
        try:
            server = server_factory()
            if server is not None:
                report = deliver_due(ctx, server, limit=BATCH)
                busy = report.total >= BATCH
                if report.total:
                    log.info("email: %d sent, %d retried, %d failed", report.sent, report.retried, report.failed)
        except HmsError as exc:
            log.warning("email delivery: %s", exc.message)
        except Exception as exc:  # keep the worker alive; SQL errors may carry message text, so log the type only
            log.error("email delivery failed unexpectedly (%s)", type(exc).__name__)
        if not busy:
            stop_event.wait(interval)
