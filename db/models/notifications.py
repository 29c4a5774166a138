"""Notifications (spec Phase 4): templates, in-app notifications, and the outbound delivery queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TrackedMixin, one_of

CHANNELS = ("in_app", "email", "sms", "whatsapp")
QUEUE_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


class NotificationTemplate(TrackedMixin, Base):
    """A message template with ``{placeholder}`` fields, per event and channel (and language)."""

    __tablename__ = "notification_templates"

    event_type: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    placeholders: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("event_type", "channel", "locale"),
        one_of("channel", CHANNELS),
    )


class Notification(TrackedMixin, Base):
    """An in-app notification for one user; unread while ``read_at`` is empty."""

    __tablename__ = "notifications"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(40), default="general")
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)


class NotificationQueueItem(TrackedMixin, Base):
    """An outbound message (email, SMS, WhatsApp) waiting for the delivery worker.

    ``payload`` holds the rendered message. A payload that carries a secret (a password-reset link) is marked
    ``sensitive`` and is blanked once delivered or given up on, so the secret does not stay in the store.
    ``dedupe_key`` lets an event enqueue its message once however often it is retried.
    """

    __tablename__ = "notification_queue"

    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notification_templates.id"))
    event_type: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"))

    __table_args__ = (
        one_of("channel", ("email", "sms", "whatsapp")),
        one_of("status", QUEUE_STATUSES),
        CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="attempts_in_range"),
        Index("ix_notification_queue_status_next_attempt_at", "status", "next_attempt_at"),
    )
