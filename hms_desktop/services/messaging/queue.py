"""Putting an outbound message (email, SMS, WhatsApp) on the delivery queue.

``enqueue`` is a building block: another service calls it inside its own transaction, so the message is
queued if and only if the action that caused it is committed (a transactional outbox). It checks no
permission of its own; the calling service has already checked the one its action needs.

The delivery worker (``hms_desktop.services.messaging.worker``) sends queued email; SMS and WhatsApp items wait
in the queue until a gateway exists.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from db.ids import uuid7
from db.models.notifications import NotificationQueueItem, NotificationTemplate
from db.models.patients import Patient
from hms_desktop.context import Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.validation import clean_email, clean_mobile, clean_text

QUEUE_CHANNELS = ("email", "sms", "whatsapp")
MAX_BODY_CHARS = 100_000
MAX_ATTEMPTS_LIMIT = 20
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")


def clean_event_type(value: str | None, field: str = "event_type") -> str:
    text = (value or "").strip()
    if not _EVENT_TYPE.match(text):
        raise ValidationError(
            field, "The event type is a short lower-case name such as password_reset (letters, digits, _ and .)."
        )
    return text


def clean_recipient(channel: str, value: str | None, field: str = "recipient") -> str:
    """An email address for email, a 10-digit Indian mobile number for SMS and WhatsApp."""
    if channel == "email":
        return clean_email(value, field)
    return clean_mobile(value, field)


def enqueue(
    tx: Transaction,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    event_type: str,
    sensitive: bool = False,
    dedupe_key: str | None = None,
    patient_id: uuid.UUID | None = None,
    max_attempts: int = 5,
    template_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Queue one message in ``tx`` and return its id (the caller commits).

    ``sensitive`` marks a message that carries a secret (a password-reset code): its body is kept out of the
    audit trail and is blanked once the message is sent or given up on. ``dedupe_key`` lets an event queue
    its message once however often it runs: a key already in the queue returns that item's id and adds
    nothing. The payload stored is ``{"body": body}``.
    """
    if channel not in QUEUE_CHANNELS:
        raise ValidationError("channel", "A message is sent by email, SMS or WhatsApp.")
    to = clean_recipient(channel, recipient)
    subject_text = clean_text(subject, "subject", label="Subject", required=channel == "email", max_len=200)
    if not isinstance(body, str) or not body.strip():
        raise ValidationError("body", "The message is empty.")
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError("body", f"The message can have at most {MAX_BODY_CHARS} characters.")
    event = clean_event_type(event_type)
    key = None
    if dedupe_key is not None:
        key = dedupe_key.strip()
        if not key or len(key) > 100:
            raise ValidationError("dedupe_key", "The de-duplication key has 1 to 100 characters.")
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int):
        raise ValidationError("max_attempts", "The number of attempts is a whole number.")
    if not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        raise ValidationError("max_attempts", f"A message can be tried 1 to {MAX_ATTEMPTS_LIMIT} times.")

    s = tx.session
    if key is not None:
        existing = s.scalar(select(NotificationQueueItem.id).where(NotificationQueueItem.dedupe_key == key))
        if existing is not None:
            return existing
    if template_id is not None and s.get(NotificationTemplate, template_id) is None:
        raise NotFound("The message template was not found.")
    if patient_id is not None and s.get(Patient, patient_id) is None:
        raise NotFound("The patient was not found.")

    item_id = uuid7()
    s.add(
        NotificationQueueItem(
            id=item_id,
            channel=channel,
            recipient=to,
            template_id=template_id,
            event_type=event,
            subject=subject_text,
            payload={"body": body},
            sensitive=bool(sensitive),
            status="pending",
            attempts=0,
            max_attempts=max_attempts,
            next_attempt_at=None,
            dedupe_key=key,
            patient_id=patient_id,
        )
    )
    return item_id
