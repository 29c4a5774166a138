"""What the cycle-count services return, and the few grouped queries that build it.

Blind counting is a property of the types: ``SheetLine`` and ``CountSheet`` have no system quantity or variance
field at all, so the count sheet cannot show what the system holds, in any state. System quantities and
variances appear only in ``CountVariance``, which the services hand out once a count is finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from db.models.identity import User
from db.models.inventory import CycleCount, CycleCountItem, StockAdjustment
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Transaction
from hms_desktop.errors import NotFound

CANCELLED_MARK = "\nCancelled: "  # after the scope (clean_text never leaves a newline in it)


@dataclass(frozen=True, kw_only=True)
class CountView:
    id: uuid.UUID
    code: str
    status: str  # in_progress, completed, cancelled
    scheduled_date: date
    scope: str
    started_at: datetime | None
    completed_at: datetime | None
    counted_by_id: uuid.UUID | None
    counted_by_name: str
    approved_by_id: uuid.UUID | None
    approved_by_name: str
    items_total: int  # batches on the sheet
    items_recorded: int  # batches with a quantity recorded so far
    discrepancy_count: int  # batches whose count differs from the system (0 until finished)
    cancelled_reason: str  # "" unless cancelled

    @property
    def approved(self) -> bool:
        return self.approved_by_id is not None


@dataclass(frozen=True, kw_only=True)
class SheetLine:
    """One batch to count. Deliberately no system quantity or variance: the count is blind."""

    batch_id: uuid.UUID
    medicine_id: uuid.UUID
    medicine_name: str
    strength: str
    unit: str
    batch_number: str
    expiry_date: date
    location: str
    counted: int | None  # what has been recorded (None: not counted yet)
    note: str


@dataclass(frozen=True, kw_only=True)
class CountSheet:
    count: CountView
    lines: tuple[SheetLine, ...]  # shelf order: location, medicine, expiry, batch


@dataclass(frozen=True, kw_only=True)
class VarianceLine:
    batch_id: uuid.UUID
    medicine_id: uuid.UUID
    medicine_name: str
    strength: str
    batch_number: str
    expiry_date: date
    location: str
    system_quantity: int  # on hand when the count started
    physical_quantity: int
    variance: int  # physical - system
    note: str
    adjustment_id: uuid.UUID | None  # the correction posted at approval
    adjustment_code: str
    posted_change: int | None  # what the correction moved (see cycle_counts: stock moved during the count)


@dataclass(frozen=True, kw_only=True)
class CountVariance:
    count: CountView
    lines: tuple[VarianceLine, ...]

    @property
    def discrepancies(self) -> tuple[VarianceLine, ...]:
        return tuple(line for line in self.lines if line.variance != 0)


Row = tuple[CycleCountItem, MedicineBatch, Medicine]


def count_row(tx: Transaction, count_id: object) -> CycleCount:
    row = tx.session.get(CycleCount, count_id) if isinstance(count_id, uuid.UUID) else None
    if row is None or row.deleted_at is not None:
        raise NotFound("No such cycle count (it may have been removed on another PC).")
    return row


def item_rows(tx: Transaction, count_id: uuid.UUID) -> list[Row]:
    """The count's items with their batches and medicines, in shelf order."""
    rows = tx.session.execute(
        select(CycleCountItem, MedicineBatch, Medicine)
        .join(MedicineBatch, MedicineBatch.id == CycleCountItem.batch_id)
        .join(Medicine, Medicine.id == CycleCountItem.medicine_id)
        .where(CycleCountItem.cycle_count_id == count_id, CycleCountItem.deleted_at.is_(None))
        .order_by(MedicineBatch.location, Medicine.name, MedicineBatch.expiry_date, MedicineBatch.batch_number)
    )
    return list(rows)


def count_views(tx: Transaction, counts: Sequence[CycleCount]) -> list[CountView]:
    """Views of ``counts`` with their item tallies and people, in two queries."""
    ids = [c.id for c in counts]
    tallies: dict[uuid.UUID, tuple[int, int]] = {}
    if ids:
        found = tx.session.execute(
            select(CycleCountItem.cycle_count_id, func.count(), func.count(CycleCountItem.physical_quantity))
            .where(CycleCountItem.cycle_count_id.in_(ids), CycleCountItem.deleted_at.is_(None))
            .group_by(CycleCountItem.cycle_count_id)
        )
        tallies = {cid: (int(total), int(recorded)) for cid, total, recorded in found}
    people_ids = {c.counted_by_id for c in counts} | {c.approved_by_id for c in counts}
    wanted = {i for i in people_ids if i is not None}
    people: dict[uuid.UUID | None, str] = {}
    if wanted:
        people = dict(tx.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())
    out = []
    for c in counts:
        scope, _, cancelled = c.scope.partition(CANCELLED_MARK)
        total, recorded = tallies.get(c.id, (0, 0))
        out.append(CountView(
            id=c.id, code=c.code, status=c.status, scheduled_date=c.scheduled_date, scope=scope,
            started_at=c.started_at, completed_at=c.completed_at, counted_by_id=c.counted_by_id,
            counted_by_name=people.get(c.counted_by_id, ""), approved_by_id=c.approved_by_id,
            approved_by_name=people.get(c.approved_by_id, ""), items_total=total, items_recorded=recorded,
            discrepancy_count=c.discrepancy_count, cancelled_reason=cancelled,
        ))  # fmt: skip
    return out


def sheet_line(item: CycleCountItem, b: MedicineBatch, m: Medicine) -> SheetLine:
    return SheetLine(
        batch_id=b.id, medicine_id=m.id, medicine_name=m.name, strength=m.strength, unit=m.unit,
        batch_number=b.batch_number, expiry_date=b.expiry_date, location=b.location,
        counted=item.physical_quantity, note=item.note,
    )  # fmt: skip


def sheet_of(tx: Transaction, count: CycleCount) -> CountSheet:
    lines = tuple(sheet_line(i, b, m) for i, b, m in item_rows(tx, count.id))
    return CountSheet(count=count_views(tx, [count])[0], lines=lines)


def variance_of(tx: Transaction, count: CycleCount) -> CountVariance:
    """The finished count's report: system, physical and variance per batch, and the posted corrections."""
    rows = item_rows(tx, count.id)
    adj_ids = {i.adjustment_id for i, _, _ in rows if i.adjustment_id is not None}
    posted: dict[uuid.UUID, tuple[str, int]] = {}
    if adj_ids:
        found = tx.session.execute(
            select(StockAdjustment.id, StockAdjustment.code, StockAdjustment.quantity_change).where(
                StockAdjustment.id.in_(adj_ids)
            )
        )
        posted = {i: (code, change) for i, code, change in found}
    lines = []
    for i, b, m in rows:
        assert i.physical_quantity is not None and i.variance is not None, "a finished count has every quantity"
        code, change = posted.get(i.adjustment_id, ("", None)) if i.adjustment_id else ("", None)
        lines.append(VarianceLine(
            batch_id=b.id, medicine_id=m.id, medicine_name=m.name, strength=m.strength,
            batch_number=b.batch_number, expiry_date=b.expiry_date, location=b.location,
            system_quantity=i.system_quantity, physical_quantity=i.physical_quantity, variance=i.variance,
            note=i.note, adjustment_id=i.adjustment_id, adjustment_code=code, posted_change=change,
        ))  # fmt: skip
    return CountVariance(count=count_views(tx, [count])[0], lines=tuple(lines))
