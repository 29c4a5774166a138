"""Checking a dispensing's input against the store and planning its batches (inside the caller's transaction;
nothing here writes). ``dispensing`` turns a plan into rows; ``plan_dispense`` shows it to the pharmacist.

Hard refusals (``ValidationError``/``Conflict``/``NotFound``, raised by ``prepare`` and ``plan_lines``):
- a quantity that is not a whole number from 1 to 10000 (``True``, 1.5, 0 and -1 included);
- an unknown, deleted or inactive medicine; a chosen batch that does not exist, is of another medicine, or is
  expired on the clinic's local today (``fefo.is_expired``);
- over the counter (no prescription): a Schedule H, H1 or X medicine (named with its schedule), or a line
  naming a prescription line;
- against a prescription: one that is not the patient's, or not ``sent_to_pharmacy`` (a draft, final,
  cancelled or already dispensed one is refused with its state); a line that is not on its current version;
  more than the line still has to dispense (``rx_fill``; an SOS line up to ``OPEN_QUANTITY_LIMIT``, once);
  another medicine than prescribed without a ``substitute_note``.
What the plan reports rather than raises: a ``shortfall`` (usable stock does not cover the quantity: FEFO
takes the unexpired batches with stock, earliest expiry first, splitting the line; a chosen batch only
itself) and ``needs_pick_reason`` (a chosen batch other than FEFO's first pick with no reason given).
Stock taken by an earlier line of the same dispensing is not there for a later one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.patients import Patient
from db.models.pharmacy import Medicine, MedicineBatch
from db.models.prescriptions import Prescription, PrescriptionItem
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.services.pharmacy import fefo
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine, PlanLine, PlannedPick
from hms_desktop.services.pharmacy.pricing import unit_price
from hms_desktop.services.pharmacy.rx_fill import OPEN_QUANTITY_LIMIT, LineFill, dispensed_by_item, fill_of
from hms_desktop.validation import clean_text

MAX_LINES = 50
MAX_QUANTITY = 10_000
RX_STATES = {"draft": "not sent to the pharmacy yet", "final": "not sent to the pharmacy yet"}


@dataclass(frozen=True, kw_only=True)
class Line:
    """An input line that passed the checks, with what it refers to."""

    index: int
    medicine: Medicine
    quantity: int
    batch_id: uuid.UUID | None
    pick_reason: str
    substitute_note: str
    rx_item: PrescriptionItem | None
    fill: LineFill | None


@dataclass(frozen=True, kw_only=True)
class Prepared:
    patient: Patient
    rx: Prescription | None
    note: str
    lines: tuple[Line, ...]


def whole(value: object, field: str, label: str, hi: int = MAX_QUANTITY) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
        raise ValidationError(field, f"{label} must be a whole number from 1 to {hi}.")
    return value


def sent_prescription(session: Session, rx_id: object) -> Prescription:
    """A prescription the pharmacy may dispense now (Conflict naming its state otherwise)."""
    rx = session.get(Prescription, rx_id) if isinstance(rx_id, uuid.UUID) else None
    if rx is None or rx.deleted_at is not None:
        raise NotFound("No such prescription.")
    if rx.status != "sent_to_pharmacy":
        state = RX_STATES.get(rx.status, f"already {rx.status}" if rx.status == "dispensed" else rx.status)
        raise Conflict(f"{rx.code} is {state}; there is nothing to dispense on it.")
    return rx


def medicines(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Medicine]:
    wanted = list({i for i in ids if isinstance(i, uuid.UUID)})
    if not wanted:
        return {}
    return {m.id: m for m in session.scalars(select(Medicine).where(Medicine.id.in_(wanted)))}


def _medicine(found: dict[uuid.UUID, Medicine], line: DispenseLine, field: str) -> Medicine:
    m = found.get(line.medicine_id) if isinstance(line.medicine_id, uuid.UUID) else None
    if m is None or m.deleted_at is not None:
        raise ValidationError(field, "That medicine is not in the catalogue.")
    if not m.is_active:
        raise ValidationError(field, f"{m.name} is no longer active in the catalogue; it cannot be dispensed.")
    return m


def prepare(session: Session, data: DispenseInput) -> Prepared:
    """Every hard check of the input (see the module's rules) except those on batches."""
    if not isinstance(data, DispenseInput):
        raise ValidationError("lines", "Nothing to dispense.")
    patient = session.get(Patient, data.patient_id) if isinstance(data.patient_id, uuid.UUID) else None
    if patient is None or patient.deleted_at is not None:
        raise ValidationError("patient_id", "Choose a registered patient.")
    note = clean_text(data.note, "note", label="The note", required=False, max_len=500)
    lines = list(data.lines) if not isinstance(data.lines, str | bytes) else []
    if not lines or not all(isinstance(x, DispenseLine) for x in lines):
        raise ValidationError("lines", "Add at least one medicine to dispense.")
    if len(lines) > MAX_LINES:
        raise ValidationError("lines", f"Dispense at most {MAX_LINES} lines at a time.")
    rx = None
    items: dict[uuid.UUID, PrescriptionItem] = {}
    fills: dict[uuid.UUID, LineFill] = {}
    if data.prescription_id is not None:
        rx = sent_prescription(session, data.prescription_id)
        if rx.patient_id != patient.id:
            raise ValidationError("prescription_id", f"{rx.code} is not {patient.full_name}'s prescription.")
        items = {
            i.id: i
            for i in session.scalars(
                select(PrescriptionItem).where(
                    PrescriptionItem.prescription_id == rx.id, PrescriptionItem.deleted_at.is_(None)
                )
            )
        }
        done = dispensed_by_item(session, list(items))
        fills = {i: fill_of(item, done.get(i, 0)) for i, item in items.items()}
    found = medicines(session, [x.medicine_id for x in lines])
    asked: dict[uuid.UUID, int] = defaultdict(int)
    out = []
    for index, x in enumerate(lines):
        field = f"lines[{index}]"
        m = _medicine(found, x, f"{field}.medicine_id")
        quantity = whole(x.quantity, f"{field}.quantity", f"The quantity of {m.name}")
        if x.batch_id is not None and not isinstance(x.batch_id, uuid.UUID):
            raise ValidationError(f"{field}.batch_id", "Choose the batch from the list.")
        reason = clean_text(x.pick_reason, f"{field}.pick_reason", label="The reason", required=False, max_len=300)
        sub = clean_text(x.substitute_note, f"{field}.substitute_note", label="The note", required=False,
                         max_len=300)  # fmt: skip
        item = None
        if rx is None:
            if x.prescription_item_id is not None:
                raise ValidationError("prescription_id", "A line names a prescription line: choose the prescription.")
            if m.schedule != "none":
                raise ValidationError(
                    f"{field}.medicine_id",
                    f"{m.name} is a Schedule {m.schedule} medicine: it is sold only against a prescription.",
                )
        else:
            item = items.get(x.prescription_item_id) if isinstance(x.prescription_item_id, uuid.UUID) else None
            if item is None:
                raise ValidationError(
                    f"{field}.prescription_item_id",
                    f"That line is not on {rx.code} as it now stands (it may have been amended): reopen it.",
                )
            _check_quantity(fills[item.id], asked[item.id] + quantity, rx.code, f"{field}.quantity")
            asked[item.id] += quantity
            if item.medicine_id != m.id and not sub:
                raise ValidationError(
                    f"{field}.substitute_note",
                    f"{m.name} is not what was prescribed ({item.medicine_name}): note why it is given instead.",
                )
        out.append(Line(index=index, medicine=m, quantity=quantity, batch_id=x.batch_id, pick_reason=reason,
                        substitute_note=sub if item is not None and item.medicine_id != m.id else "",
                        rx_item=item, fill=fills.get(item.id) if item is not None else None))  # fmt: skip
    return Prepared(patient=patient, rx=rx, note=note, lines=tuple(out))


def _check_quantity(fill: LineFill, total: int, code: str, field: str) -> None:
    name = fill.medicine_name
    if fill.filled:
        raise ValidationError(field, f"{name} on {code} is already dispensed in full.")
    if fill.remaining is None:
        if total > OPEN_QUANTITY_LIMIT:
            raise ValidationError(field, f"No quantity was prescribed for {name}: give at most {OPEN_QUANTITY_LIMIT}.")
    elif total > fill.remaining:
        raise ValidationError(field, f"{name} on {code} has {fill.remaining} still to dispense; {total} is more.")


class Shelf:
    """The batches of the medicines in play and what each still holds as the plan takes from them."""

    def __init__(self, session: Session, medicine_ids: Iterable[uuid.UUID]) -> None:
        self.session = session
        rows = session.scalars(
            select(MedicineBatch).where(
                MedicineBatch.medicine_id.in_(list(set(medicine_ids))), MedicineBatch.deleted_at.is_(None)
            )
        )
        self.batches: dict[uuid.UUID, MedicineBatch] = {b.id: b for b in rows}
        self.left = {b.id: max(b.quantity_on_hand, 0) for b in self.batches.values()}

    def stock_of(self, medicine_id: uuid.UUID) -> list[fefo.BatchStock]:
        return [
            fefo.BatchStock(id=b.id, batch_number=b.batch_number, expiry_date=b.expiry_date, on_hand=self.left[b.id])
            for b in self.batches.values()
            if b.medicine_id == medicine_id
        ]

    def chosen(self, batch_id: uuid.UUID, m: Medicine, field: str, today: date) -> MedicineBatch:
        b = self.batches.get(batch_id) or self.session.get(MedicineBatch, batch_id)
        if b is None or b.deleted_at is not None:
            raise ValidationError(field, "That batch does not exist (or was removed).")
        if b.medicine_id != m.id:
            other = self.session.get(Medicine, b.medicine_id)
            raise ValidationError(field, f"Batch {b.batch_number} is of {other.name if other else 'another medicine'}, "
                                         f"not of {m.name}.")  # fmt: skip
        if fefo.is_expired(b.expiry_date, today):
            raise ValidationError(field, f"{m.name}, batch {b.batch_number} expired on {b.expiry_date:%d %b %Y}: "
                                         "it cannot be sold.")  # fmt: skip
        return b

    def pick(self, batch: MedicineBatch, quantity: int, m: Medicine) -> PlannedPick:
        self.left[batch.id] -= quantity
        price = unit_price(batch.mrp_paise, m.pack_size)
        return PlannedPick(batch_id=batch.id, batch_number=batch.batch_number, expiry_date=batch.expiry_date,
                           on_hand=self.left[batch.id] + quantity, quantity=quantity, unit_price_paise=price,
                           line_total_paise=price * quantity)  # fmt: skip


def plan_line(shelf: Shelf, line: Line, today: date) -> tuple[PlanLine, str]:
    """The picks of one line and, when stock falls short, the sentence that says so ("" when covered)."""
    m, q = line.medicine, line.quantity
    stock = shelf.stock_of(m.id)
    usable = fefo.usable(stock, today)
    first = usable[0].id if usable else None
    picks: list[PlannedPick] = []
    needs_reason = False
    if line.batch_id is not None:
        b = shelf.chosen(line.batch_id, m, f"lines[{line.index}].batch_id", today)
        have = shelf.left.get(b.id, 0)
        if have:
            picks.append(shelf.pick(b, min(have, q), m))
        needs_reason = first is not None and b.id != first and not line.pick_reason
        short = f"{m.name}, batch {b.batch_number}: only {have} on hand, {q} asked." if have < q else ""
    else:
        result = fefo.pick(stock, q, today)
        picks = [shelf.pick(shelf.batches[p.batch_id], p.quantity, m) for p in result.picks]
        expired = sum(s.on_hand for s in stock if fefo.is_expired(s.expiry_date, today))
        more = f" ({expired} more are expired and cannot be sold)" if expired else ""
        short = f"{m.name}: only {result.picked} on hand that may be sold{more}, {q} asked." if result.shortfall else ""
    picked = sum(p.quantity for p in picks)
    fill = line.fill
    plan = PlanLine(
        index=line.index, prescription_item_id=line.rx_item.id if line.rx_item else None, medicine_id=m.id,
        medicine_name=m.name, schedule=m.schedule, prescribed=fill.prescribed if fill else None,
        dispensed_before=fill.dispensed if fill else 0, remaining=fill.remaining if fill else None, quantity=q,
        picks=tuple(picks), shortfall=q - picked, fefo_batch_id=first, needs_pick_reason=needs_reason,
        substitute=bool(line.substitute_note), note="",
    )  # fmt: skip
    return plan, short


def plan_lines(session: Session, prepared: Prepared, today: date) -> tuple[list[PlanLine], list[str]]:
    shelf = Shelf(session, [x.medicine.id for x in prepared.lines])
    plans, shortages = [], []
    for line in prepared.lines:
        plan, short = plan_line(shelf, line, today)
        plans.append(plan)
        if short:
            shortages.append(short)
    return plans, shortages
