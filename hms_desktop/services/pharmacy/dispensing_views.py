"""What the dispensing screen sends and gets back: plain frozen data (never live ORM rows), and the reads
``dispensing(ctx, id)`` and ``dispensings_for(ctx, patient_id)`` (``pharmacy.view``).

Quantities are in the medicine's unit (a tablet); prices in paise. A dispensing line names one batch: a
dispensed line that FEFO split across two batches is two ``DispensingItemView`` rows, each with its own
``line_no`` (the charge's line number too).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import select

from db.models.identity import User
from db.models.patients import Patient
from db.models.pharmacy import Medicine, MedicineBatch, PharmacyDispensing, PharmacyDispensingItem
from db.models.prescriptions import Prescription
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound
from hms_desktop.security.permissions import requires

MAX_HISTORY = 200
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class DispenseLine:
    medicine_id: uuid.UUID
    quantity: int  # units (tablets), a whole number 1..10000
    prescription_item_id: uuid.UUID | None = None  # the prescription line filled (required against a prescription)
    batch_id: uuid.UUID | None = None  # None: FEFO picks (and may split); set: this batch only
    pick_reason: str = ""  # required when batch_id is not FEFO's first pick
    substitute_note: str = ""  # required when medicine_id is not the prescribed medicine


@dataclass(frozen=True, kw_only=True)
class DispenseInput:
    patient_id: uuid.UUID
    lines: Sequence[DispenseLine]
    prescription_id: uuid.UUID | None = None  # None: an over-the-counter sale (unscheduled medicines only)
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PlannedPick:
    batch_id: uuid.UUID
    batch_number: str
    expiry_date: date
    on_hand: int  # before this dispensing
    quantity: int
    unit_price_paise: int
    line_total_paise: int


@dataclass(frozen=True, kw_only=True)
class PlanLine:
    index: int  # position in the input (or in the prescription's lines), from 0
    prescription_item_id: uuid.UUID | None
    medicine_id: uuid.UUID | None  # None: a free-text medicine the pharmacy does not stock
    medicine_name: str
    schedule: str  # none, H, H1, X ("" for a free-text line)
    prescribed: int | None  # the prescribed quantity; None: OTC, or no quantity prescribed (SOS)
    dispensed_before: int
    remaining: int | None  # still to dispense before this one; None: OTC, or an open (SOS) quantity
    quantity: int  # to dispense now
    picks: tuple[PlannedPick, ...]
    shortfall: int  # units the usable stock cannot cover
    fefo_batch_id: uuid.UUID | None  # FEFO's first pick (None: no usable stock)
    needs_pick_reason: bool  # a chosen batch other than FEFO's, and no reason given
    substitute: bool  # another medicine than prescribed
    note: str  # why nothing is picked ("", "Already dispensed", "Not in the catalogue: ...", ...)


@dataclass(frozen=True, kw_only=True)
class DispensePlan:
    patient_id: uuid.UUID
    prescription_id: uuid.UUID | None
    prescription_code: str
    prescription_version: int | None
    lines: tuple[PlanLine, ...]
    shortages: tuple[str, ...]  # one sentence per line that cannot be filled from stock
    total_paise: int

    @property
    def ready(self) -> bool:
        """Every line is covered and every chosen batch has its reason: ``dispense`` would accept it."""
        return not self.shortages and not any(line.needs_pick_reason for line in self.lines)


@dataclass(frozen=True, kw_only=True)
class DispensingItemView:
    id: uuid.UUID
    line_no: int
    prescription_item_id: uuid.UUID | None
    medicine_id: uuid.UUID
    medicine_name: str  # "Dolo 650 (Paracetamol 650 mg)"
    schedule: str
    batch_id: uuid.UUID
    batch_number: str
    expiry_date: date
    quantity: int
    unit_price_paise: int
    line_total_paise: int
    tax_basis_points: int
    tax_paise: int
    returned_quantity: int
    pick_reason: str
    substitute_note: str


@dataclass(frozen=True, kw_only=True)
class DispensingView:
    id: uuid.UUID
    code: str
    status: str  # dispensed, partially_returned, returned
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    prescription_id: uuid.UUID | None
    prescription_code: str  # "" over the counter
    prescription_version: int | None
    prescription_status: str  # the prescription's status after this dispensing ("" over the counter)
    dispensed_by_id: uuid.UUID | None
    dispensed_by_name: str
    dispensed_at: datetime | None
    subtotal_paise: int  # taxable value
    tax_paise: int
    total_paise: int  # what the patient pays (MRP-based, tax inside)
    note: str
    items: tuple[DispensingItemView, ...]


def medicine_label(m: Medicine) -> str:
    """ "Dolo 650 (Paracetamol 650 mg)": the brand with its composition and strength."""
    inner = " ".join(x for x in (m.generic_name, m.strength) if x)
    return f"{m.name} ({inner})" if inner else m.name


def dispensing_views(tx: Transaction, rows: Sequence[PharmacyDispensing]) -> list[DispensingView]:
    """Views of ``rows`` in their order, with names, lines and batches read in a few queries."""
    ids = [d.id for d in rows]
    items: dict[uuid.UUID, list[PharmacyDispensingItem]] = {i: [] for i in ids}
    if ids:
        for it in tx.session.scalars(
            select(PharmacyDispensingItem)
            .where(PharmacyDispensingItem.dispensing_id.in_(ids), PharmacyDispensingItem.deleted_at.is_(None))
            .order_by(PharmacyDispensingItem.dispensing_id, PharmacyDispensingItem.line_no)
        ):
            items[it.dispensing_id].append(it)
    every = [it for lines in items.values() for it in lines]
    meds = _by_id(tx, Medicine, {it.medicine_id for it in every})
    batches = _by_id(tx, MedicineBatch, {it.batch_id for it in every})
    patients = _by_id(tx, Patient, {d.patient_id for d in rows})
    rxs = _by_id(tx, Prescription, {d.prescription_id for d in rows if d.prescription_id})
    users = _by_id(tx, User, {d.dispensed_by_id for d in rows if d.dispensed_by_id})
    out = []
    for d in rows:
        p, rx, who = patients.get(d.patient_id), rxs.get(d.prescription_id), users.get(d.dispensed_by_id)
        out.append(DispensingView(
            id=d.id, code=d.code, status=d.status, patient_id=d.patient_id,
            patient_name=p.full_name if p else "?", patient_code=p.code if p else "?",
            prescription_id=d.prescription_id, prescription_code=rx.code if rx else "",
            prescription_version=d.prescription_version, prescription_status=rx.status if rx else "",
            dispensed_by_id=d.dispensed_by_id, dispensed_by_name=who.full_name if who else "",
            dispensed_at=d.dispensed_at, subtotal_paise=d.subtotal_paise, tax_paise=d.tax_paise,
            total_paise=d.total_paise, note=d.note,
            items=tuple(
                DispensingItemView(
                    id=it.id, line_no=it.line_no, prescription_item_id=it.prescription_item_id,
                    medicine_id=it.medicine_id, medicine_name=medicine_label(meds[it.medicine_id]),
                    schedule=meds[it.medicine_id].schedule, batch_id=it.batch_id,
                    batch_number=batches[it.batch_id].batch_number, expiry_date=batches[it.batch_id].expiry_date,
                    quantity=it.quantity, unit_price_paise=it.unit_price_paise, line_total_paise=it.line_total_paise,
                    tax_basis_points=it.tax_basis_points, tax_paise=it.tax_paise,
                    returned_quantity=it.returned_quantity, pick_reason=it.pick_reason,
                    substitute_note=it.substitute_note,
                )
                for it in items[d.id]
            ),
        ))  # fmt: skip
    return out


def _by_id(tx: Transaction, model: type[T], ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, T]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    key = cast(Any, model).id
    return {cast(Any, row).id: row for row in tx.session.scalars(select(model).where(key.in_(wanted)))}


def dispensing_row(tx: Transaction, dispensing_id: uuid.UUID) -> PharmacyDispensing:
    d = tx.session.get(PharmacyDispensing, dispensing_id) if isinstance(dispensing_id, uuid.UUID) else None
    if d is None or d.deleted_at is not None:
        raise NotFound("No such dispensing (it may have been removed on another PC).")
    return d


@requires("pharmacy.view")
def dispensing(ctx: Context, dispensing_id: uuid.UUID) -> DispensingView:
    """One dispensing with its lines."""
    with ctx.transaction(readonly=True) as tx:
        return dispensing_views(tx, [dispensing_row(tx, dispensing_id)])[0]


@requires("pharmacy.view")
def dispensings_for(ctx: Context, patient_id: uuid.UUID) -> list[DispensingView]:
    """A patient's dispensings, newest first (the last ``MAX_HISTORY``)."""
    with ctx.transaction(readonly=True) as tx:
        if not isinstance(patient_id, uuid.UUID) or tx.session.get(Patient, patient_id) is None:
            raise NotFound("That patient does not exist.")
        rows = tx.session.scalars(
            select(PharmacyDispensing)
            .where(PharmacyDispensing.patient_id == patient_id, PharmacyDispensing.deleted_at.is_(None))
            .order_by(PharmacyDispensing.dispensed_at.desc(), PharmacyDispensing.code.desc())
            .limit(MAX_HISTORY)
        )
        return dispensing_views(tx, list(rows))
