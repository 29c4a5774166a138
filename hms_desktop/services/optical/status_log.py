"""The life of an optical order or a repair, one append-only ``optical_status_events`` row per step.

The order and repair services call ``record`` in the transaction that moves the status, so a step is logged
exactly when it happens (a rolled-back step leaves no event). ``history`` reads the steps oldest first with
who took them; the dock's detail pane and the printed slips show it. The labels are the words the optical
counter uses ("Sent to lab", "Back from lab", "Ready to collect").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.ids import uuid7
from db.models.identity import User
from db.models.optical import OpticalStatusEvent
from hms_desktop.context import Transaction

NOTE_LENGTH = 500

ORDER_LABELS = {
    "draft": "Draft",
    "confirmed": "Confirmed",
    "in_lab": "Sent to lab",
    "received": "Back from lab",
    "ready": "Ready to collect",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
}
REPAIR_LABELS = {
    "received": "Received",
    "in_progress": "In progress",
    "waiting_for_parts": "Waiting for parts",
    "ready": "Ready to collect",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True, kw_only=True)
class StatusStep:
    from_status: str | None
    to_status: str
    label: str  # the words for to_status
    note: str
    happened_at: datetime
    by_name: str  # who took the step ("" when unknown, e.g. a step synced before the user's record)


def record(
    tx: Transaction,
    *,
    to_status: str,
    from_status: str | None = None,
    order_id: uuid.UUID | None = None,
    repair_id: uuid.UUID | None = None,
    note: str = "",
    at: datetime | None = None,
) -> None:
    """Add one step for the order (``order_id``) or the repair (``repair_id``), by the acting user, now."""
    if (order_id is None) == (repair_id is None):
        raise ValueError("a status step belongs to exactly one order or repair")
    tx.session.add(
        OpticalStatusEvent(
            id=uuid7(),
            order_id=order_id,
            repair_id=repair_id,
            from_status=from_status,
            to_status=to_status,
            note=(note or "")[:NOTE_LENGTH],
            happened_at=at or tx.ctx.clock.now(),
            by_id=tx.ctx.actor.user_id,
        )
    )


def history(
    tx: Transaction, *, order_id: uuid.UUID | None = None, repair_id: uuid.UUID | None = None
) -> list[StatusStep]:
    """The steps of one order or repair, oldest first."""
    if (order_id is None) == (repair_id is None):
        raise ValueError("name exactly one order or repair")
    subject = OpticalStatusEvent.order_id == order_id if order_id else OpticalStatusEvent.repair_id == repair_id
    labels = ORDER_LABELS if order_id else REPAIR_LABELS
    rows = tx.session.execute(
        select(OpticalStatusEvent, User.full_name)
        .outerjoin(User, User.id == OpticalStatusEvent.by_id)
        .where(subject)
        .order_by(OpticalStatusEvent.happened_at, OpticalStatusEvent.id)
    ).all()
    return [
        StatusStep(
            from_status=e.from_status,
            to_status=e.to_status,
            label=labels.get(e.to_status, e.to_status),
            note=e.note,
            happened_at=e.happened_at,
            by_name=name or "",
        )
        for e, name in rows
    ]
