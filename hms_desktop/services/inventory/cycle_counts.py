"""Cycle counts: count the shelf blind, see the variance, and a second user approves the corrections.

Life of a count (``cycle_counts.status``): ``in_progress`` (``start_count``) -> ``completed`` (``finish_count``)
-> approved (``approve_count``: ``approved_by_id`` set, status stays ``completed``); ``cancelled``
(``cancel_count``) any time before approval.

Rules:
- ``start_count`` (``inventory.count``) puts one item per batch on the sheet with ``system_quantity`` = the
  batch's on-hand at that moment (the ledger's cached balance, ``max(ledger, 0)``). Which batches: the live
  batches of ``medicine_ids`` (default: every active medicine) that hold stock or have any stock movement,
  optionally only those on one ``location`` (shelf); at most ``MAX_ITEMS``. The scheduled date defaults to the
  clinic's today and may not be later. The counter is the user who starts it. ``request_id`` is the new count's
  id: a second call with it returns the first count unchanged.
- The count is BLIND: ``count_sheet`` and ``count_sheet_pdf`` return medicine, batch, expiry, location and what
  has been recorded, never the system quantity (their types have no such field).
- ``record_count`` sets a batch's physical quantity (0..1,000,000 units) and a note, as often as needed while the
  count is in progress; only batches on the sheet.
- ``finish_count`` needs every batch counted (else it says how many are left and names the first), stores each
  variance (physical - system), ``items_counted`` and ``discrepancy_count``, and returns the variance report. A
  second call returns the same report.
- ``approve_count`` (``inventory.approve``) is refused to the counter and to anyone who recorded a quantity on
  this count (the audit trail says who did), ``PermissionDenied`` audited, nothing written; an unfinished,
  cancelled or already approved count is refused (``Conflict``). For each batch it posts an applied
  ``stock_adjustments`` row (reason ``count_correction``, requested by the counter, approved by the approver)
  and its ``cycle_count`` movement through ``hms_desktop.stock.move``, linked from the item's ``adjustment_id``.
- Stock that moved between the start and the approval (a sale while counting): the correction is the variance
  as a DELTA (physical - system at the start), added to whatever the ledger says now, so the sales in between
  stay recorded. A batch whose ledger was below zero at the start (oversold on two PCs offline; its system
  quantity shows 0) also gets that shortfall back: the delta is physical minus the ledger at the start (the sum
  of its movements up to ``started_at``), which brings the ledger to the shelf. If a delta would take the
  ledger below zero, the approval is refused naming the batch, and the batch should be counted again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select

from db.models.audit import AuditLog
from db.models.hospital import Hospital
from db.models.inventory import CYCLE_COUNT_STATUSES, CycleCount, CycleCountItem, StockMovement
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.printing.count_sheet import CountSheetData, CountSheetRow, render_count_sheet
from hms_desktop.security.permissions import requires
from hms_desktop.series import CYCLE_COUNTS, next_code
from hms_desktop.services.clinical.access import refuse
from hms_desktop.services.inventory.adjustments import batch_label, post_count_correction, staff_id
from hms_desktop.services.inventory.cycle_count_views import (
    CANCELLED_MARK,
    CountSheet,
    CountVariance,
    CountView,
    SheetLine,
    count_row,
    count_views,
    item_rows,
    sheet_line,
    sheet_of,
    variance_of,
)
from hms_desktop.settings import clinic_settings, current_hospital
from hms_desktop.validation import clean_text

__all__ = ["CountInput", "CountSheet", "CountVariance", "CountView", "SheetLine"]

MAX_ITEMS = 5_000
MAX_PHYSICAL = 1_000_000
MAX_LIST = 200


@dataclass(frozen=True, kw_only=True)
class CountInput:
    scheduled_date: date | None = None  # default: the clinic's today
    medicine_ids: Sequence[uuid.UUID] | None = None  # default: every active medicine
    location: str | None = None  # only batches on this shelf
    scope: str = ""  # what is counted, in words (default: made from the above)


def _medicines(tx: Transaction, ids: Sequence[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if ids is None:
        return None
    if isinstance(ids, str | bytes) or not ids or not all(isinstance(i, uuid.UUID) for i in ids):
        raise ValidationError("medicine_ids", "Choose the medicines to count (or leave it empty to count all).")
    wanted = set(ids)
    found = set(tx.session.scalars(select(Medicine.id).where(Medicine.id.in_(wanted), Medicine.deleted_at.is_(None))))
    if found != wanted:
        raise ValidationError("medicine_ids", "One of the chosen medicines is not in the catalogue.")
    return list(wanted)


def _batches(tx: Transaction, medicine_ids: list[uuid.UUID] | None, location: str) -> list[MedicineBatch]:
    moved = exists().where(StockMovement.batch_id == MedicineBatch.id)
    query = (
        select(MedicineBatch)
        .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
        .where(MedicineBatch.deleted_at.is_(None), Medicine.deleted_at.is_(None))
        .where(or_(MedicineBatch.quantity_on_hand > 0, moved))
    )
    if medicine_ids is None:
        query = query.where(Medicine.is_active.is_(True))
    else:
        query = query.where(Medicine.id.in_(medicine_ids))
    if location:
        query = query.where(func.lower(func.trim(MedicineBatch.location)) == location.lower())
    return list(tx.session.scalars(query.limit(MAX_ITEMS + 1)))


def _scope(data: CountInput, location: str) -> str:
    text = clean_text(data.scope, "scope", label="The scope", required=False, max_len=300)
    if text:
        return text
    what = "All medicines" if data.medicine_ids is None else f"{len(set(data.medicine_ids))} medicine(s)"
    return f"{what}, shelf {location}" if location else what


@requires("inventory.count")
def start_count(ctx: Context, data: CountInput, *, request_id: uuid.UUID) -> CountView:
    """Start counting: the sheet of batches, each with the system's quantity kept hidden until finished."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each count its own id.")
    location = clean_text(data.location, "location", label="The location", required=False, max_len=64)
    with ctx.transaction() as tx:
        done = tx.session.get(CycleCount, request_id)
        if done is not None:
            return count_views(tx, [done])[0]
        me = staff_id(tx, "inventory.count")
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        day = today if data.scheduled_date is None else data.scheduled_date
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValidationError("scheduled_date", "Enter the date of the count.")
        if day > today:
            raise ValidationError("scheduled_date", "A count is started on its day: it cannot be dated after today.")
        batches = _batches(tx, _medicines(tx, data.medicine_ids), location)
        if not batches:
            raise ValidationError("medicine_ids", "Nothing to count: no batch of the chosen medicines holds stock"
                                  + (f" on shelf {location}." if location else "."))  # fmt: skip
        if len(batches) > MAX_ITEMS:
            raise ValidationError("medicine_ids", f"A count holds at most {MAX_ITEMS:,} batches; count by shelf "
                                  "or by medicine.")  # fmt: skip
        count = CycleCount(
            id=request_id, code=next_code(tx, CYCLE_COUNTS.resolve(settings), today), scheduled_date=day,
            started_at=ctx.clock.now(), status="in_progress", scope=_scope(data, location), counted_by_id=me,
        )  # fmt: skip
        tx.session.add(count)
        tx.flush()
        tx.session.add_all(
            CycleCountItem(
                cycle_count_id=count.id,
                item_kind="medicine",
                medicine_id=b.medicine_id,
                batch_id=b.id,
                system_quantity=b.quantity_on_hand,
            )  # fmt: skip
            for b in batches
        )
        tx.flush()
        view = count_views(tx, [count])[0]
        tx.commit()
        return view


def _in_progress(count: CycleCount, doing: str) -> None:
    if count.status == "in_progress":
        return
    state = "cancelled" if count.status == "cancelled" else "finished"
    raise Conflict(f"{count.code} is {state}; {doing}.")


@requires("inventory.count")
def count_sheet(ctx: Context, count_id: uuid.UUID) -> CountSheet:
    """The blind sheet: what to count and what has been recorded, never the system's quantities."""
    with ctx.transaction(readonly=True) as tx:
        return sheet_of(tx, count_row(tx, count_id))


@requires("inventory.count")
def record_count(ctx: Context, count_id: uuid.UUID, batch_id: uuid.UUID, physical: int, note: str = "") -> SheetLine:
    """What is on the shelf for one batch of the sheet (again to correct it, until the count is finished)."""
    if isinstance(physical, bool) or not isinstance(physical, int) or not 0 <= physical <= MAX_PHYSICAL:
        raise ValidationError("physical", f"Enter the units counted: a whole number from 0 to {MAX_PHYSICAL:,}.")
    text = clean_text(note, "note", label="The note", required=False, max_len=300)
    with ctx.transaction() as tx:
        count = count_row(tx, count_id)
        _in_progress(count, "its quantities can no longer be changed")
        staff_id(tx, "inventory.count")
        found = (
            None
            if not isinstance(batch_id, uuid.UUID)
            else tx.session.execute(
                select(CycleCountItem, MedicineBatch, Medicine)
                .join(MedicineBatch, MedicineBatch.id == CycleCountItem.batch_id)
                .join(Medicine, Medicine.id == CycleCountItem.medicine_id)
                .where(CycleCountItem.cycle_count_id == count.id, CycleCountItem.batch_id == batch_id)
            ).first()
        )
        if found is None:
            raise ValidationError("batch_id", f"That batch is not on the sheet of {count.code}.")
        item, b, m = found
        item.physical_quantity, item.note = physical, text
        tx.flush()
        line = sheet_line(item, b, m)
        tx.commit()
        return line


@requires("inventory.count")
def finish_count(ctx: Context, count_id: uuid.UUID) -> CountVariance:
    """Close the counting: the variance of every batch (physical - system), now shown with the system's figures."""
    with ctx.transaction() as tx:
        count = count_row(tx, count_id)
        if count.status == "completed":
            return variance_of(tx, count)
        _in_progress(count, "it cannot be finished")
        rows = item_rows(tx, count.id)
        left = [(b, m) for i, b, m in rows if i.physical_quantity is None]
        if left:
            b, m = left[0]
            raise Conflict(
                f"{len(left)} of {len(rows)} batches on {count.code} are still to be counted (the first: "
                f"{batch_label(m, b)}); record 0 for a batch that is not on the shelf."
            )
        for i, _, _ in rows:
            assert i.physical_quantity is not None
            i.variance = i.physical_quantity - i.system_quantity
        count.items_counted = len(rows)
        count.discrepancy_count = sum(1 for i, _, _ in rows if i.variance)
        count.status, count.completed_at = "completed", ctx.clock.now()
        tx.flush()
        report = variance_of(tx, count)
        tx.commit()
        return report


@requires("inventory.view")
def count_variance(ctx: Context, count_id: uuid.UUID) -> CountVariance:
    """The variance report of a finished count (refused while counting: the count is blind)."""
    with ctx.transaction(readonly=True) as tx:
        count = count_row(tx, count_id)
        if count.status != "completed":
            raise Conflict(f"{count.code} is {count.status.replace('_', ' ')}; its variance shows once it is finished.")
        return variance_of(tx, count)


def _counters(tx: Transaction, count: CycleCount, item_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Everyone who started the count or recorded a quantity on it (from the audit trail)."""
    who = {count.counted_by_id} if count.counted_by_id else set()
    assert count.started_at is not None
    recorded = tx.session.scalars(
        select(AuditLog.user_id).distinct().where(
            AuditLog.occurred_at >= count.started_at, AuditLog.entity_type == CycleCountItem.__tablename__,
            AuditLog.action == "update", AuditLog.entity_id.in_([str(i) for i in item_ids]),
        )
    )  # fmt: skip
    return who | {u for u in recorded if u is not None}


def _ledgers(tx: Transaction, batch_ids: list[uuid.UUID], until: datetime | None) -> dict[uuid.UUID, int]:
    query = select(StockMovement.batch_id, func.sum(StockMovement.quantity_delta)).where(
        StockMovement.batch_id.in_(batch_ids)
    )
    if until is not None:
        query = query.where(StockMovement.moved_at <= until)
    return {b: int(s) for b, s in tx.session.execute(query.group_by(StockMovement.batch_id)) if b}


@requires("inventory.approve")
def approve_count(ctx: Context, count_id: uuid.UUID) -> CountVariance:
    """Post the finished count's variances as approved adjustments and ``cycle_count`` movements."""
    with ctx.transaction() as tx:
        count = count_row(tx, count_id)
        if count.status != "completed":
            state = "cancelled" if count.status == "cancelled" else "not finished yet"
            raise Conflict(f"{count.code} is {state}; only a finished count can be approved.")
        if count.approved_by_id is not None:
            raise Conflict(f"{count.code} is already approved; its corrections are posted.")
        me = staff_id(tx, "inventory.approve")
        rows = item_rows(tx, count.id)
        if me in _counters(tx, count, [i.id for i, _, _ in rows]):
            why = f"You counted {count.code}, so another member of staff with approval rights must approve it."
            refuse(tx, "inventory.approve", f"{why} (maker-checker)", entity_type="cycle_counts", entity_id=count.id)
        batch_ids = [b.id for _, b, _ in rows]
        at_start, now = _ledgers(tx, batch_ids, count.started_at), _ledgers(tx, batch_ids, None)
        posts = []
        for i, b, m in rows:
            assert i.variance is not None and i.physical_quantity is not None
            change = i.variance - min(at_start.get(b.id, 0), 0)
            if change == 0:
                continue
            if now.get(b.id, 0) + change < 0:
                raise Conflict(
                    f"{batch_label(m, b)}: counted {i.physical_quantity} against {i.system_quantity} at the start, "
                    f"but only {max(now.get(b.id, 0), 0)} are on the books now (stock moved during the count), so "
                    f"the correction of {change} would go below zero; count this batch again."
                )
            posts.append((i, b, change))
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        assert count.counted_by_id is not None
        for i, b, change in posts:
            text = f"Cycle count {count.code}: counted {i.physical_quantity}, system {i.system_quantity}"
            adj = post_count_correction(tx, batch=b, change=change, text=f"{text}. {i.note}".strip(" ."),
                                        counted_by_id=count.counted_by_id, approved_by_id=me, settings=settings,
                                        today=today)  # fmt: skip
            tx.flush()
            i.adjustment_id = adj.id
        count.approved_by_id = me
        tx.flush()
        report = variance_of(tx, count)
        tx.commit()
        return report


@requires("inventory.count")
def cancel_count(ctx: Context, count_id: uuid.UUID, reason: str) -> CountView:
    """Abandon a count before it is approved (nothing was posted); the reason is kept."""
    why = clean_text(reason, "reason", label="A reason for cancelling", max_len=200)
    with ctx.transaction() as tx:
        count = count_row(tx, count_id)
        if count.status == "cancelled":
            raise Conflict(f"{count.code} is already cancelled.")
        if count.approved_by_id is not None:
            raise Conflict(f"{count.code} is approved and its corrections are posted; it cannot be cancelled.")
        count.status, count.scope = "cancelled", f"{count.scope}{CANCELLED_MARK}{why}"
        tx.flush()
        view = count_views(tx, [count])[0]
        tx.commit()
        return view


@requires("inventory.view")
def counts(ctx: Context, status: str | None = None) -> list[CountView]:
    """Counts newest first (the latest 200), optionally of one status."""
    if status is not None and status not in CYCLE_COUNT_STATUSES:
        raise ValidationError("status", f"Choose a status: {', '.join(CYCLE_COUNT_STATUSES)}.")
    with ctx.transaction(readonly=True) as tx:
        query = select(CycleCount).where(CycleCount.deleted_at.is_(None))
        if status is not None:
            query = query.where(CycleCount.status == status)
        rows = tx.session.scalars(query.order_by(CycleCount.created_at.desc(), CycleCount.code.desc()).limit(MAX_LIST))
        return count_views(tx, rows.all())


def _address(h: Hospital) -> str:
    place = " ".join(x for x in (h.state, h.pincode) if x)
    return ", ".join(x for x in (h.address_line1, h.address_line2, h.city, place) if x)


@requires("inventory.count")
def count_sheet_pdf(ctx: Context, count_id: uuid.UUID) -> bytes:
    """The blind sheet on A4 paper, to count with a pen: no system quantities. The print is audited."""
    with ctx.transaction() as tx:
        count = count_row(tx, count_id)
        if count.status == "cancelled":
            raise Conflict(f"{count.code} is cancelled; there is nothing to count.")
        sheet = sheet_of(tx, count)
        hospital = current_hospital(tx.session)
        zone = zone_of(clinic_settings(tx.session))
        started = count.started_at.astimezone(zone) if count.started_at else None
        data = CountSheetData(
            hospital_name=hospital.name, hospital_address=_address(hospital), code=count.code,
            count_date=f"{count.scheduled_date:%d %b %Y}", scope=sheet.count.scope,
            started=f"{started:%d %b %Y, %H:%M} {started.tzname()}" if started else "",
            counted_by=sheet.count.counted_by_name,
            rows=tuple(CountSheetRow(medicine=" ".join(x for x in (ln.medicine_name, ln.strength) if x),
                                     batch=ln.batch_number, expiry=f"{ln.expiry_date:%d %b %Y}",
                                     location=ln.location, unit=ln.unit) for ln in sheet.lines),
        )  # fmt: skip
        pdf = render_count_sheet(data)
        record(tx, "print", entity_type="cycle_counts", entity_id=count.id, detail=f"Count sheet {count.code}")
        tx.commit()
        return pdf
