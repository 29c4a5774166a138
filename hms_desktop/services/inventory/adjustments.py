"""Stock adjustments: damage, expiry write-offs, theft and corrections of one medicine batch, under maker-checker.

Life of an adjustment (``stock_adjustments.status``): ``requested`` (``request_adjustment``, ``inventory.adjust``)
-> ``applied`` (``approve_adjustment``, ``inventory.approve``) or ``rejected`` (``reject_adjustment``). Approving
and applying are one action: the approver's click writes the one stock movement, so ``approved`` is never left
standing on its own.

Rules:
- An adjustment names one batch; ``quantity_change`` is a whole number of the medicine's units, not zero, at most
  1,000,000 either way (negative removes stock). ``reason`` is one of ``ADJUSTMENT_REASONS`` and ``reason_text``
  says what happened, always (for ``other``, a sentence of at least three words). Damage, theft and expiry only
  remove stock.
- A removal larger than the batch holds is refused when it is requested, and again when it is approved (stock
  may have moved in between: the approver is told to reject it or ask for a new one).
- Maker-checker: only a second member of staff with ``inventory.approve`` decides. The requester approving or
  rejecting their own request is refused (``PermissionDenied``, audited once the action has rolled back) and
  nothing is written. An adjustment already applied or rejected cannot be decided again (``Conflict``).
- Approval writes one movement through ``hms_desktop.stock.move``: ``expiry_writeoff`` for reason ``expiry``,
  else ``adjustment``; its source is ``stock_adjustments``/the adjustment's id; ``stock_movement_id``,
  ``approved_by_id`` and ``approved_at`` are set and the status becomes ``applied``.
- A rejection keeps the reason in ``reason_text`` after the requester's words (``REJECTED_MARK``; no schema
  change); who rejected and when are the row's ``updated_by_id``/``updated_at``; ``approved_by_id`` stays empty.
- ``request_adjustment`` takes the screen's ``request_id`` as the new row's id: a second call with it returns the
  first adjustment unchanged (a double-clicked Save asks once).
- Cycle counts post their variances through ``post_count_correction`` (already approved: see ``cycle_counts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from db.ids import uuid7
from db.models.identity import User
from db.models.inventory import ADJUSTMENT_REASONS, ADJUSTMENT_STATUSES, StockAdjustment
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import STOCK_ADJUSTMENTS, next_code
from hms_desktop.services.clinical.access import refuse
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

MAX_CHANGE = 1_000_000
REASON_TEXT_LENGTH = 300
REJECTION_LENGTH = 180
REJECTED_MARK = "\nRejected: "  # clean_text never leaves a newline in the requester's words
REMOVING_REASONS = ("damage", "theft", "expiry")
REASON_WORDS = {"damage": "Damage", "expiry": "An expiry write-off", "theft": "Theft"}
MAX_LIST = 500


@dataclass(frozen=True, kw_only=True)
class AdjustmentInput:
    batch_id: uuid.UUID
    quantity_change: int  # units; negative removes stock
    reason: str  # one of ADJUSTMENT_REASONS
    reason_text: str


@dataclass(frozen=True, kw_only=True)
class AdjustmentView:
    id: uuid.UUID
    code: str
    medicine_id: uuid.UUID
    medicine_name: str
    batch_id: uuid.UUID
    batch_number: str
    expiry_date: date
    on_hand: int  # the batch's stock now
    quantity_change: int
    reason: str
    reason_text: str  # the requester's words
    status: str  # requested, applied, rejected
    requested_by_id: uuid.UUID
    requested_by_name: str
    requested_at: datetime
    decided_by_id: uuid.UUID | None  # who approved or rejected
    decided_by_name: str
    decided_at: datetime | None
    rejection_reason: str  # "" unless rejected
    stock_movement_id: uuid.UUID | None


def batch_label(medicine: Medicine, batch: MedicineBatch) -> str:
    return f"{medicine.name}, batch {batch.batch_number}"


def staff_id(tx: Transaction, code: str) -> uuid.UUID:
    """The signed-in member of staff (maker-checker needs two named people; the system account is neither)."""
    if tx.actor.user_id is None:
        raise PermissionDenied(code, "Sign in as a member of staff: stock records say who asked and who approved.")
    return tx.actor.user_id


def _names(tx: Transaction, ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(tx.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def adjustment_views(tx: Transaction, rows: Sequence[StockAdjustment]) -> list[AdjustmentView]:
    """Views of ``rows`` with their batches, medicines and people, in three queries."""
    batch_ids = {r.batch_id for r in rows if r.batch_id is not None}
    found: dict[uuid.UUID, tuple[MedicineBatch, Medicine]] = {}
    if batch_ids:
        pairs = tx.session.execute(
            select(MedicineBatch, Medicine)
            .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
            .where(MedicineBatch.id.in_(batch_ids))
        )
        found = {b.id: (b, m) for b, m in pairs}
    people_ids: set[uuid.UUID | None] = {r.requested_by_id for r in rows}
    people_ids |= {r.approved_by_id if r.status != "rejected" else r.updated_by_id for r in rows}
    people = _names(tx, people_ids)
    out = []
    for r in rows:
        assert r.batch_id is not None, "inventory adjusts medicine batches"
        b, m = found[r.batch_id]
        text, _, rejection = r.reason_text.partition(REJECTED_MARK)
        rejected = r.status == "rejected"
        decider = r.updated_by_id if rejected else r.approved_by_id
        out.append(AdjustmentView(
            id=r.id, code=r.code, medicine_id=m.id, medicine_name=m.name, batch_id=b.id,
            batch_number=b.batch_number, expiry_date=b.expiry_date, on_hand=b.quantity_on_hand,
            quantity_change=r.quantity_change, reason=r.reason, reason_text=text, status=r.status,
            requested_by_id=r.requested_by_id, requested_by_name=people.get(r.requested_by_id, ""),
            requested_at=r.created_at, decided_by_id=decider, decided_by_name=people.get(decider, ""),
            decided_at=r.updated_at if rejected else r.approved_at, rejection_reason=rejection,
            stock_movement_id=r.stock_movement_id,
        ))  # fmt: skip
    return out


def live_batch(tx: Transaction, batch_id: Any, field: str = "batch_id") -> tuple[MedicineBatch, Medicine]:
    b = tx.session.get(MedicineBatch, batch_id) if isinstance(batch_id, uuid.UUID) else None
    if b is None or b.deleted_at is not None:
        raise ValidationError(field, "Choose a medicine batch that is in stock records.")
    m = tx.session.get(Medicine, b.medicine_id)
    assert m is not None
    return b, m


def _change(value: Any, reason: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("quantity_change", "Enter the change as a whole number: negative removes stock.")
    if value == 0:
        raise ValidationError("quantity_change", "An adjustment must change the stock: enter a number other than 0.")
    if abs(value) > MAX_CHANGE:
        raise ValidationError("quantity_change", f"An adjustment moves at most {MAX_CHANGE:,} units.")
    if reason in REMOVING_REASONS and value > 0:
        raise ValidationError(
            "quantity_change", f"{REASON_WORDS[reason]} removes stock: enter a negative number (e.g. -{value})."
        )
    return value


def _clean(data: AdjustmentInput) -> tuple[int, str, str]:
    if data.reason not in ADJUSTMENT_REASONS:
        raise ValidationError("reason", "Choose a reason: damage, expiry, theft, count correction or other.")
    change = _change(data.quantity_change, data.reason)
    text = clean_text(data.reason_text, "reason_text", label="What happened", max_len=REASON_TEXT_LENGTH)
    if data.reason == "other" and len(text.split()) < 3:
        raise ValidationError("reason_text", "For a reason of 'other', say in a sentence what happened.")
    return change, data.reason, text


def _refuse_short(b: MedicineBatch, m: Medicine, change: int) -> None:
    have = b.quantity_on_hand
    if change < 0 and have < -change:
        raise ValidationError(
            "quantity_change", f"{batch_label(m, b)}: only {have} in stock, so {-change} cannot be removed."
        )


def _today(tx: Transaction) -> tuple[dict[str, Any], date]:
    settings = clinic_settings(tx.session)
    return settings, local_today(settings, tx.ctx.clock)


@requires("inventory.adjust")
def request_adjustment(ctx: Context, data: AdjustmentInput, *, request_id: uuid.UUID) -> AdjustmentView:
    """Ask for a correction of one batch; a second user approves it before stock moves."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each request its own id.")
    change, reason, text = _clean(data)
    with ctx.transaction() as tx:
        done = tx.session.get(StockAdjustment, request_id)
        if done is not None:
            return adjustment_views(tx, [done])[0]
        me = staff_id(tx, "inventory.adjust")
        b, m = live_batch(tx, data.batch_id)
        _refuse_short(b, m, change)
        settings, today = _today(tx)
        row = StockAdjustment(
            id=request_id, code=next_code(tx, STOCK_ADJUSTMENTS.resolve(settings), today), item_kind="medicine",
            medicine_id=m.id, batch_id=b.id, quantity_change=change, reason=reason, reason_text=text,
            status="requested", requested_by_id=me,
        )  # fmt: skip
        tx.session.add(row)
        tx.flush()
        view = adjustment_views(tx, [row])[0]
        tx.commit()
        return view


def adjustment_row(tx: Transaction, adjustment_id: Any) -> StockAdjustment:
    row = tx.session.get(StockAdjustment, adjustment_id) if isinstance(adjustment_id, uuid.UUID) else None
    if row is None or row.deleted_at is not None:
        raise NotFound("No such stock adjustment (it may have been removed on another PC).")
    return row


def _decidable(tx: Transaction, row: StockAdjustment, verb: str) -> uuid.UUID:
    """The deciding user, once the adjustment is still open and it is not their own request."""
    if row.status != "requested":
        state = "already applied" if row.status in ("approved", "applied") else "already rejected"
        raise Conflict(f"{row.code} is {state}; it cannot be approved or rejected again.")
    code = "inventory.approve"
    me = staff_id(tx, code)
    if me == row.requested_by_id:
        refuse(tx, code, f"You requested {row.code}, so another member of staff with approval rights must "
               f"{verb} it (maker-checker).", entity_type="stock_adjustments", entity_id=row.id)  # fmt: skip
    return me


def movement_type_of(reason: str) -> str:
    return "expiry_writeoff" if reason == "expiry" else "adjustment"


@requires("inventory.approve")
def approve_adjustment(ctx: Context, adjustment_id: uuid.UUID) -> AdjustmentView:
    """Approve and apply: one stock movement, the adjustment ``applied``."""
    with ctx.transaction() as tx:
        row = adjustment_row(tx, adjustment_id)
        me = _decidable(tx, row, "approve")
        b, m = live_batch(tx, row.batch_id)
        have = stock.on_hand(tx, batch_id=b.id)
        if row.quantity_change < 0 and have < -row.quantity_change:
            raise Conflict(
                f"{batch_label(m, b)}: only {have} in stock now, so {row.code} cannot remove "
                f"{-row.quantity_change} (stock has moved since it was requested); reject it or ask for a new one."
            )
        moved = stock.move(
            tx, batch_id=b.id, quantity_delta=row.quantity_change, movement_type=movement_type_of(row.reason),
            reference_type="stock_adjustments", reference_id=row.id, reason=f"{row.code}: {row.reason_text}",
        )  # fmt: skip
        row.status, row.approved_by_id, row.approved_at = "applied", me, ctx.clock.now()
        row.stock_movement_id = moved.id
        tx.flush()
        view = adjustment_views(tx, [row])[0]
        tx.commit()
        return view


@requires("inventory.approve")
def reject_adjustment(ctx: Context, adjustment_id: uuid.UUID, reason: str) -> AdjustmentView:
    """Turn the request down, with the reason; no stock moves."""
    why = clean_text(reason, "reason", label="A reason for rejecting", max_len=REJECTION_LENGTH)
    with ctx.transaction() as tx:
        row = adjustment_row(tx, adjustment_id)
        _decidable(tx, row, "reject")
        row.status, row.reason_text = "rejected", f"{row.reason_text}{REJECTED_MARK}{why}"
        tx.flush()
        view = adjustment_views(tx, [row])[0]
        tx.commit()
        return view


@requires("inventory.view")
def adjustments(ctx: Context, status: str | None = None) -> list[AdjustmentView]:
    """Adjustments newest first (the latest 500), optionally of one status (``requested``: to approve)."""
    if status is not None and status not in ADJUSTMENT_STATUSES:
        raise ValidationError("status", f"Choose a status: {', '.join(ADJUSTMENT_STATUSES)}.")
    with ctx.transaction(readonly=True) as tx:
        query = select(StockAdjustment).where(
            StockAdjustment.deleted_at.is_(None), StockAdjustment.batch_id.isnot(None)
        )
        if status is not None:
            query = query.where(StockAdjustment.status == status)
        rows = tx.session.scalars(
            query.order_by(StockAdjustment.created_at.desc(), StockAdjustment.code.desc()).limit(MAX_LIST)
        ).all()
        return adjustment_views(tx, rows)


@requires("inventory.view")
def adjustment(ctx: Context, adjustment_id: uuid.UUID) -> AdjustmentView:
    with ctx.transaction(readonly=True) as tx:
        return adjustment_views(tx, [adjustment_row(tx, adjustment_id)])[0]


def post_count_correction(
    tx: Transaction, *, batch: MedicineBatch, change: int, text: str, counted_by_id: uuid.UUID,
    approved_by_id: uuid.UUID, settings: dict[str, Any], today: date,
) -> StockAdjustment:  # fmt: skip
    """An approved cycle count's correction of one batch: an ``applied`` adjustment (reason ``count_correction``,
    requested by the counter, approved by the approver) and its ``cycle_count`` movement, in ``tx``."""
    adj_id = uuid7()
    code = next_code(tx, STOCK_ADJUSTMENTS.resolve(settings), today)
    moved = stock.move(tx, batch_id=batch.id, quantity_delta=change, movement_type="cycle_count",
                       reference_type="stock_adjustments", reference_id=adj_id, reason=f"{code}: {text}")  # fmt: skip
    row = StockAdjustment(
        id=adj_id, code=code, item_kind="medicine", medicine_id=batch.medicine_id, batch_id=batch.id,
        quantity_change=change, reason="count_correction", reason_text=text[:REASON_TEXT_LENGTH], status="applied",
        requested_by_id=counted_by_id, approved_by_id=approved_by_id, approved_at=tx.ctx.clock.now(),
        stock_movement_id=moved.id,
    )  # fmt: skip
    tx.session.add(row)
    return row
