"""In-app notifications: short messages for one member of staff, unread until they mark them read.

``notify`` is a building block for other services (called inside their transaction, no permission of its
own); ``list_notifications`` and ``mark_read`` are the services behind the bell in the main window and only
ever show or change the acting user's own notifications.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.ids import uuid7
from db.models.identity import User
from db.models.notifications import Notification
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.validation import clean_text

_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_MESSAGE = 2_000
MAX_LIST = 500


@dataclass(frozen=True, kw_only=True)
class NotificationInfo:
    id: uuid.UUID
    title: str
    message: str
    category: str
    entity_type: str | None
    entity_id: str | None
    created_at: datetime
    read_at: datetime | None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def notify(
    tx: Transaction,
    user_id: uuid.UUID,
    title: str,
    message: str,
    category: str = "general",
    entity_type: str | None = None,
    entity_id: object | None = None,
) -> uuid.UUID:
    """Add an unread notification for ``user_id`` in ``tx`` (the caller commits); returns its id.

    ``entity_type``/``entity_id`` name the record it is about (``"appointments"``, the appointment's id) so
    the window can open it.
    """
    if not isinstance(user_id, uuid.UUID):
        raise ValidationError("user_id", "The notification needs the id of a member of staff.")
    title_text = clean_text(title, "title", label="Title")
    body = (message or "").strip()
    if len(body) > MAX_MESSAGE:
        raise ValidationError("message", f"The message can have at most {MAX_MESSAGE} characters.")
    if not _CATEGORY.match(category or ""):
        raise ValidationError("category", "The category is a short lower-case word such as general or billing.")
    etype = clean_text(entity_type, "entity_type", label="Record type", required=False, max_len=64) or None
    eid = None if entity_id is None else clean_text(str(entity_id), "entity_id", label="Record id", max_len=64)
    if tx.session.get(User, user_id) is None:
        raise NotFound("That member of staff was not found.")
    note_id = uuid7()
    tx.session.add(
        Notification(
            id=note_id,
            user_id=user_id,
            category=category,
            title=title_text,
            message=body,
            entity_type=etype,
            entity_id=eid,
            read_at=None,
        )
    )
    return note_id


def _info(n: Notification) -> NotificationInfo:
    return NotificationInfo(
        id=n.id,
        title=n.title,
        message=n.message,
        category=n.category,
        entity_type=n.entity_type,
        entity_id=n.entity_id,
        created_at=n.created_at,
        read_at=n.read_at,
    )


@requires("notifications.view")
def list_notifications(ctx: Context, unread_only: bool = False, limit: int = 50) -> list[NotificationInfo]:
    """The acting user's notifications, newest first (none for the system itself, which has no inbox)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise ValidationError("limit", f"Show 1 to {MAX_LIST} notifications.")
    user_id = ctx.actor.user_id
    if user_id is None:
        return []
    q = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.deleted_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    with ctx.transaction(readonly=True) as tx:
        return [_info(n) for n in tx.session.scalars(q)]


def _ids(ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    if isinstance(ids, str | uuid.UUID):
        ids = [ids]
    out: list[uuid.UUID] = []
    for value in ids:
        try:
            out.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise ValidationError("ids", f"{value} is not a notification id.") from None
    return out


@requires("notifications.view")
def mark_read(ctx: Context, ids: Iterable[uuid.UUID | str]) -> int:
    """Mark the acting user's notifications among ``ids`` read; returns how many were unread.

    Ids of other users' notifications (or of none) are ignored: one user can neither read nor change
    another's notifications, nor learn whether an id exists.
    """
    wanted = _ids(ids)
    user_id = ctx.actor.user_id
    if not wanted or user_id is None:
        return 0
    with ctx.transaction() as tx:
        rows = tx.session.scalars(
            select(Notification).where(
                Notification.id.in_(wanted),
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
                Notification.deleted_at.is_(None),
            )
        ).all()
        now = ctx.clock.now()
        for n in rows:
            n.read_at = now
        tx.commit()
        return len(rows)
