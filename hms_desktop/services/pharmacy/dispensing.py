"""Dispensing (``DSP-2026-000001``): a prescription's current version, or an over-the-counter sale, filled from
stock by FEFO in one transaction; the charges it leaves for billing; the Schedule H1/X register; the scanner.

``dispense`` (``pharmacy.dispense``) writes, in ONE transaction, or nothing at all:
- the header (code from ``DISPENSINGS``, ``dispensed``, who and when, the prescription and the version filled);
- one line per batch used (``line_no`` 1..n): unit price ``pricing.unit_price(batch MRP, pack size)`` (the
  batch's label MRP, tax inside), line total, the GST rate in force on the clinic's local today
  (``pricing.gst_rate_on``) and the tax inside the total (``pricing.tax_inside``); the pharmacist's
  ``pick_reason`` (a batch other than FEFO's first pick) and ``substitute_note`` stay on the line, so the
  audit trail records them with it;
- a ``dispense`` stock movement per line (``hms_desktop.stock.move``, reference ``pharmacy_dispensing_items``);
- a charge per line (``charges.add_charge``: source ``dispensing``/dispensing id/line no, item ``medicine``,
  MRP-based so ``price_includes_tax``, the HSN and rate);
- a Schedule H1/X register entry per line of an H1 or X medicine (``schedule_register.enter_supply``);
- the header's totals (subtotal = taxable value, tax, total = what the patient pays);
- the prescription becomes ``dispensed`` once every line of its current version is filled; until then it stays
  on the to-dispense list with what remains.
What is refused, and what a plan reports instead of refusing: see ``dispense_plan``. ``dispense`` refuses a
shortfall (``Conflict``, naming what is on hand) and a chosen batch without its reason (``ValidationError``).
``request_id`` is the new dispensing's id: called again with it, the first dispensing is returned unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from db.models.identity import User
from db.models.pharmacy import REGISTER_SCHEDULES, Medicine, MedicineBatch, PharmacyDispensing, PharmacyDispensingItem
from db.models.prescriptions import Prescription
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import DISPENSINGS, next_code
from hms_desktop.services.clinical.charges import ChargeInput, add_charge
from hms_desktop.services.pharmacy import fefo
from hms_desktop.services.pharmacy.dispense_plan import Prepared, medicines, plan_lines, prepare, sent_prescription
from hms_desktop.services.pharmacy.dispensing_views import (
    DispenseInput,
    DispenseLine,
    DispensePlan,
    DispensingView,
    PlanLine,
    dispensing_views,
    medicine_label,
)
from hms_desktop.services.pharmacy.pricing import gst_rate_on, tax_inside, unit_price
from hms_desktop.services.pharmacy.rx_fill import LineFill, fills
from hms_desktop.services.pharmacy.schedule_register import enter_supply, parties_of
from hms_desktop.settings import clinic_settings


@dataclass(frozen=True, kw_only=True)
class ScanBatch:
    id: uuid.UUID
    batch_number: str
    expiry_date: date
    on_hand: int
    mrp_paise: int  # per pack
    unit_price_paise: int  # one loose unit


@dataclass(frozen=True, kw_only=True)
class ScanHit:
    medicine_id: uuid.UUID
    code: str
    name: str
    generic_name: str
    strength: str
    schedule: str
    pack_size: int
    barcode: str
    batches: tuple[ScanBatch, ...]  # unexpired with stock, in FEFO order (the first is FEFO's pick)
    expired_on_hand: int  # units of expired batches still on the shelf (never sold)


def _plan(tx: Transaction, prepared: Prepared, today: date) -> DispensePlan:
    lines, shortages = plan_lines(tx.session, prepared, today)
    rx = prepared.rx
    return DispensePlan(
        patient_id=prepared.patient.id, prescription_id=rx.id if rx else None, prescription_code=rx.code if rx else "",
        prescription_version=rx.version if rx else None, lines=tuple(lines), shortages=tuple(shortages),
        total_paise=sum(p.line_total_paise for line in lines for p in line.picks),
    )  # fmt: skip


@requires("pharmacy.dispense")
def plan_dispense(ctx: Context, data: DispenseInput) -> DispensePlan:
    """What ``dispense`` would take from which batch, shortages and missing reasons named; writes nothing."""
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        return _plan(tx, prepare(tx.session, data), today)


def _unplanned(index: int, f: LineFill, m: Medicine | None) -> PlanLine:
    """A prescription line the plan takes nothing for, with the reason."""
    if f.filled:
        note = "Dispensed in full."
    elif m is None:
        note = "Not in the catalogue (or no longer sold): choose a medicine to give instead, with a note."
    else:
        note = "No quantity was prescribed (SOS): enter the quantity to give."
    return PlanLine(
        index=index, prescription_item_id=f.prescription_item_id, medicine_id=f.medicine_id,
        medicine_name=f.medicine_name, schedule=m.schedule if m else "", prescribed=f.prescribed,
        dispensed_before=f.dispensed, remaining=f.remaining, quantity=0, picks=(), shortfall=0, fefo_batch_id=None,
        needs_pick_reason=False, substitute=False, note=note,
    )  # fmt: skip


@requires("pharmacy.dispense")
def prescription_plan(ctx: Context, rx_id: uuid.UUID) -> DispensePlan:
    """The current version's lines with what is still to dispense and FEFO's picks for it; writes nothing.
    A filled line, a free-text medicine and an SOS line (no quantity prescribed) get no picks and a note."""
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        rx = sent_prescription(tx.session, rx_id)
        lines = fills(tx.session, [rx.id])[rx.id]
        found = medicines(tx.session, [f.medicine_id for f in lines if f.medicine_id is not None])
        sellable = {i for i, m in found.items() if m.is_active and m.deleted_at is None}
        wanted = [
            DispenseLine(medicine_id=f.medicine_id, quantity=f.remaining, prescription_item_id=f.prescription_item_id)
            for f in lines
            if f.medicine_id in sellable and f.remaining
        ]
        planned: dict[uuid.UUID | None, PlanLine] = {}
        if wanted:
            data = DispenseInput(patient_id=rx.patient_id, prescription_id=rx.id, lines=wanted)
            planned = {p.prescription_item_id: p for p in _plan(tx, prepare(tx.session, data), today).lines}
        out: list[PlanLine] = []
        for index, f in enumerate(lines):
            p = planned.get(f.prescription_item_id)
            m = found.get(f.medicine_id) if f.medicine_id in sellable else None
            out.append(replace(p, index=index) if p is not None else _unplanned(index, f, m))
        shortages = tuple(
            f"{p.medicine_name}: only {p.quantity - p.shortfall} of the {p.quantity} to dispense are on hand "
            "that may be sold."
            for p in out
            if p.shortfall
        )
        return DispensePlan(
            patient_id=rx.patient_id, prescription_id=rx.id, prescription_code=rx.code,
            prescription_version=rx.version, lines=tuple(out), shortages=shortages,
            total_paise=sum(p.line_total_paise for line in out for p in line.picks),
        )  # fmt: skip


def _pharmacist(tx: Transaction) -> User:
    user = tx.session.get(User, tx.actor.user_id) if tx.actor.user_id is not None else None
    if user is None:
        raise PermissionDenied("pharmacy.dispense", "Sign in as a member of staff to dispense: the record says who.")
    return user


def _refuse(plan: DispensePlan) -> None:
    if plan.shortages:
        raise Conflict(" ".join(plan.shortages) + " Nothing was dispensed.")
    for line in plan.lines:
        if line.needs_pick_reason:
            raise ValidationError(
                f"lines[{line.index}].pick_reason",
                f"{line.medicine_name}: say why this batch is given instead of the one that expires first.",
            )


@requires("pharmacy.dispense")
def dispense(ctx: Context, data: DispenseInput, *, request_id: uuid.UUID) -> DispensingView:
    """Dispense ``data`` from stock (see the module's rules); the dispensing with its lines."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "A dispensing needs its request id.")
    with ctx.transaction() as tx:
        done = tx.session.get(PharmacyDispensing, request_id)
        if done is not None:
            if done.patient_id != getattr(data, "patient_id", None):
                raise Conflict(f"This request already dispensed {done.code} to another patient.")
            return dispensing_views(tx, [done])[0]
        user = _pharmacist(tx)
        settings = clinic_settings(tx.session)
        now, today = ctx.clock.now(), local_today(settings, ctx.clock)
        prepared = prepare(tx.session, data)
        plan = _plan(tx, prepared, today)
        _refuse(plan)
        rx = prepared.rx
        d = PharmacyDispensing(
            id=request_id, code=next_code(tx, DISPENSINGS.resolve(settings), today),
            prescription_id=rx.id if rx else None, patient_id=prepared.patient.id, dispensed_by_id=user.id,
            dispensed_at=now, status="dispensed", prescription_version=rx.version if rx else None,
            note=prepared.note,
        )  # fmt: skip
        tx.session.add(d)
        tx.flush()
        parties = parties_of(tx, rx, prepared.patient, user) if rx is not None else None
        line_no = 0
        for line, planned in zip(prepared.lines, plan.lines, strict=True):
            m = line.medicine
            rate = gst_rate_on(tx.session, m, today)
            overridden = line.batch_id is not None and line.batch_id != planned.fefo_batch_id
            for p in planned.picks:
                line_no += 1
                batch = tx.session.get(MedicineBatch, p.batch_id)
                assert batch is not None
                item = PharmacyDispensingItem(
                    dispensing_id=d.id, prescription_item_id=line.rx_item.id if line.rx_item else None,
                    medicine_id=m.id, batch_id=batch.id, quantity=p.quantity, line_no=line_no,
                    pick_reason=line.pick_reason if overridden else "", substitute_note=line.substitute_note,
                )  # fmt: skip
                _write_line(tx, d, item, m, batch, rate, rx)
                if m.schedule in REGISTER_SCHEDULES:
                    assert parties is not None  # a scheduled medicine is never sold without a prescription
                    enter_supply(tx, parties, dispensing=d, item=item, medicine=m, batch=batch)
        items = list(
            tx.session.scalars(select(PharmacyDispensingItem).where(PharmacyDispensingItem.dispensing_id == d.id))
        )
        d.total_paise = sum(i.line_total_paise for i in items)
        d.tax_paise = sum(i.tax_paise for i in items)
        d.subtotal_paise = d.total_paise - d.tax_paise
        tx.flush()
        if rx is not None and all(f.filled for f in fills(tx.session, [rx.id])[rx.id]):
            rx.status = "dispensed"
            tx.flush()
        view = dispensing_views(tx, [d])[0]
        tx.commit()
        return view


def _write_line(tx: Transaction, d: PharmacyDispensing, item: PharmacyDispensingItem, m: Medicine,
                batch: MedicineBatch, rate: int, rx: Prescription | None) -> None:  # fmt: skip
    """Price the line, add it, take its stock out and leave its charge."""
    price = unit_price(batch.mrp_paise, m.pack_size)
    item.unit_price_paise, item.line_total_paise = price, price * item.quantity
    item.tax_basis_points, item.tax_paise = rate, tax_inside(item.line_total_paise, rate)
    tx.session.add(item)
    tx.flush()
    stock.move(tx, batch_id=batch.id, quantity_delta=-item.quantity, movement_type="dispense",
               reference_type="pharmacy_dispensing_items", reference_id=item.id)  # fmt: skip
    add_charge(tx, ChargeInput(
        patient_id=d.patient_id, source_type="dispensing", source_id=d.id, line_no=item.line_no,
        item_type="medicine", description=charge_description(m, item.quantity, batch.batch_number),
        unit_price_paise=price, quantity=item.quantity, appointment_id=rx.appointment_id if rx else None,
        price_includes_tax=True, hsn_sac_code=m.hsn_code or "", gst_rate_basis_points=rate,
    ))  # fmt: skip


def charge_description(m: Medicine, quantity: int, batch_number: str, suffix: str = "") -> str:
    """ "Dolo 650 (Paracetamol 650 mg) x 15, batch D1": what the invoice line will say."""
    return f"{medicine_label(m)} x {quantity}, batch {batch_number}{suffix}"[:300]


@requires("pharmacy.dispense")
def scan_pack(ctx: Context, barcode: str) -> ScanHit:
    """The medicine of a scanned pack (its EAN) and its sellable batches in FEFO order."""
    code = "".join(str(barcode or "").split())
    if not code:
        raise ValidationError("barcode", "Scan the pack's barcode.")
    with ctx.transaction(readonly=True) as tx:
        m = tx.session.scalars(
            select(Medicine).where(
                Medicine.barcode == code, Medicine.deleted_at.is_(None), Medicine.is_active.is_(True)
            )
        ).first()
        if m is None:
            raise NotFound(f"No medicine has the barcode {code}.")
        today = local_today(clinic_settings(tx.session), ctx.clock)
        rows = {b.id: b for b in tx.session.scalars(
            select(MedicineBatch).where(MedicineBatch.medicine_id == m.id, MedicineBatch.deleted_at.is_(None))
        )}  # fmt: skip
        stock_rows = [fefo.BatchStock(id=b.id, batch_number=b.batch_number, expiry_date=b.expiry_date,
                                      on_hand=b.quantity_on_hand) for b in rows.values()]  # fmt: skip
        expired = sum(s.on_hand for s in stock_rows if fefo.is_expired(s.expiry_date, today))
        return ScanHit(
            medicine_id=m.id, code=m.code, name=m.name, generic_name=m.generic_name, strength=m.strength,
            schedule=m.schedule, pack_size=m.pack_size, barcode=code, expired_on_hand=expired,
            batches=tuple(
                ScanBatch(id=s.id, batch_number=s.batch_number, expiry_date=s.expiry_date, on_hand=s.on_hand,
                          mrp_paise=rows[s.id].mrp_paise,
                          unit_price_paise=unit_price(rows[s.id].mrp_paise, m.pack_size))
                for s in fefo.usable(stock_rows, today)
            ),
        )  # fmt: skip
