"""Charges: the billable lines every module leaves for billing (consultations, lab orders, dispensing, optical
orders, repairs, procedures), which the billing module turns into invoice lines.

The contract (for the billing issue and the modules that leave charges):

- A charge is left by ``add_charge(tx, ChargeInput(...))`` inside the leaving action's own transaction, so the
  charge exists exactly when the action does. ``(source_type, source_id, line_no)`` names what left it
  (``consultation``/consultation id/1; ``dispensing``/dispensing id/line 3; ``lab_order``/order id/1; ...)
  and is unique: calling again with the same source returns the existing row unchanged (a retried or
  double-clicked action never charges twice). A cancelled charge called again is revived with the new
  values (it is the same source line, back in play).
- ``unit_price_paise`` is what one unit costs; ``amount_paise = unit_price_paise x quantity``. With
  ``price_includes_tax`` (a medicine's MRP, an optical product's MRP) the GST is inside the price and billing
  works the taxable value out (MRP x 100 / (100 + rate)); without it (services) the price is the taxable
  value. ``gst_rate_basis_points`` and ``hsn_sac_code`` are those in force when the charge was left; billing
  copies them onto the invoice line. Health care services (consultations SAC 999312, lab tests 999316) are
  exempt (rate 0, Notification 12/2017-CT(Rate) entry 74): they go on a bill of supply (Rule 49) or the
  exempt part of an invoice-cum-bill of supply (Rule 46A).
- ``status``: ``unbilled`` (waiting for an invoice) -> ``billed`` (``invoice_id`` set, by billing, with
  ``mark_billed``); ``waived`` (nothing to pay, ``status_reason`` says why, e.g. "free follow-up within 7
  days": kept so the visit's record and the doctor's statistics show it, never invoiced); ``cancelled``
  (``cancel_charge``, with a reason; only while unbilled or waived: a billed charge is corrected by a credit
  note on its invoice, never by cancelling the charge).
- Billing reads ``unbilled_charges(ctx, patient_id)`` (or the ``charges`` table in its own transaction),
  makes its lines, and calls ``mark_billed(tx, charge_ids, invoice_id)`` in the same transaction as the invoice.

Reading needs ``billing.view``: charges are the money side of the visit (cashiers, pharmacists and optical
staff hold it; reception and doctors see fees elsewhere).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from db.models.clinical import CHARGE_ITEM_TYPES, CHARGE_SOURCES, Charge
from db.models.hospital import TaxConfiguration
from db.models.patients import Patient
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.settings import current_hospital
from hms_desktop.validation import clean_text

SAC_HEALTH_SERVICES = "999312"  # human health services: OPD consultations, procedures
SAC_LAB_AND_IMAGING = "999316"
_HSN_SAC = re.compile(r"^[0-9]{4}([0-9]{2}){0,2}$")


@dataclass(frozen=True, kw_only=True)
class ChargeInput:
    patient_id: uuid.UUID
    source_type: str  # consultation, lab_order, dispensing, optical_order, repair, procedure, other
    source_id: uuid.UUID
    item_type: str  # consultation, medicine, lab, optical, procedure, other (= the invoice line's type)
    description: str  # what the invoice line says: "Consultation: Dr Meera Iyer (OPD)"
    unit_price_paise: int
    quantity: int = 1
    line_no: int = 1
    appointment_id: uuid.UUID | None = None
    doctor_id: uuid.UUID | None = None
    price_includes_tax: bool = False
    hsn_sac_code: str = ""
    gst_rate_basis_points: int = 0
    waived_reason: str | None = None  # set: the charge is left as waived (nothing to pay), with this reason


@dataclass(frozen=True, kw_only=True)
class ChargeView:
    id: uuid.UUID
    patient_id: uuid.UUID
    appointment_id: uuid.UUID | None
    doctor_id: uuid.UUID | None
    source_type: str
    source_id: uuid.UUID
    line_no: int
    item_type: str
    description: str
    quantity: int
    unit_price_paise: int
    amount_paise: int
    price_includes_tax: bool
    hsn_sac_code: str
    gst_rate_basis_points: int
    status: str
    status_reason: str | None
    charged_at: datetime
    invoice_id: uuid.UUID | None


def charge_view(c: Charge) -> ChargeView:
    return ChargeView(
        id=c.id,
        patient_id=c.patient_id,
        appointment_id=c.appointment_id,
        doctor_id=c.doctor_id,
        source_type=c.source_type,
        source_id=c.source_id,
        line_no=c.line_no,
        item_type=c.item_type,
        description=c.description,
        quantity=c.quantity,
        unit_price_paise=c.unit_price_paise,
        amount_paise=c.amount_paise,
        price_includes_tax=c.price_includes_tax,
        hsn_sac_code=c.hsn_sac_code,
        gst_rate_basis_points=c.gst_rate_basis_points,
        status=c.status,
        status_reason=c.status_reason,
        charged_at=c.charged_at,
        invoice_id=c.invoice_id,
    )


def _whole(value: object, field: str, label: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(field, f"{label} must be a whole number from {lo} to {hi}.")
    return value


def _clean(data: ChargeInput) -> dict[str, object]:
    if data.source_type not in CHARGE_SOURCES:
        raise ValidationError("source_type", f"{data.source_type} is not a source of charges.")
    if data.item_type not in CHARGE_ITEM_TYPES:
        raise ValidationError("item_type", f"{data.item_type} is not an item type.")
    if not isinstance(data.source_id, uuid.UUID):
        raise ValidationError("source_id", "A charge names the record that left it.")
    code = (data.hsn_sac_code or "").strip()
    if code and not _HSN_SAC.match(code):
        raise ValidationError("hsn_sac_code", "An HSN or SAC code has 4, 6 or 8 digits.")
    quantity = _whole(data.quantity, "quantity", "Quantity", 1, 100_000)
    price = _whole(data.unit_price_paise, "unit_price_paise", "The price in paise", 0, 10**12)
    reason = None
    if data.waived_reason is not None:
        reason = clean_text(data.waived_reason, "waived_reason", label="The reason for waiving", max_len=300)
    return {
        "patient_id": data.patient_id,
        "appointment_id": data.appointment_id,
        "doctor_id": data.doctor_id,
        "item_type": data.item_type,
        "description": clean_text(data.description, "description", label="The charge's description", max_len=300),
        "quantity": quantity,
        "unit_price_paise": price,
        "amount_paise": price * quantity,
        "price_includes_tax": bool(data.price_includes_tax),
        "hsn_sac_code": code,
        "gst_rate_basis_points": _whole(data.gst_rate_basis_points, "gst_rate_basis_points", "The GST rate", 0, 10000),
        "status": "waived" if reason else "unbilled",
        "status_reason": reason,
    }


def _source(tx: Transaction, source_type: str, source_id: uuid.UUID) -> list[Charge]:
    return list(
        tx.session.scalars(
            select(Charge)
            .where(Charge.source_type == source_type, Charge.source_id == source_id, Charge.deleted_at.is_(None))
            .order_by(Charge.line_no)
        )
    )


def add_charge(tx: Transaction, data: ChargeInput) -> Charge:
    """Leave one charge in the caller's transaction (idempotent on the source line; see the module's rules)."""
    values = _clean(data)
    line_no = _whole(data.line_no, "line_no", "The line number", 1, 10_000)
    if tx.session.get(Patient, data.patient_id) is None:
        raise ValidationError("patient_id", "A charge is for a registered patient.")
    existing = next((c for c in _source(tx, data.source_type, data.source_id) if c.line_no == line_no), None)
    if existing is not None and existing.status != "cancelled":
        return existing
    now = tx.ctx.clock.now()
    if existing is not None:  # the same source line back in play: the row is unique, so it is revived
        for key, value in values.items():
            setattr(existing, key, value)
        existing.charged_at = now
        tx.flush()
        return existing
    charge = Charge(source_type=data.source_type, source_id=data.source_id, line_no=line_no, charged_at=now, **values)
    tx.session.add(charge)
    tx.flush()
    return charge


def cancel_charge(
    tx: Transaction, source_type: str, source_id: uuid.UUID, reason: str, *, line_no: int | None = None
) -> list[Charge]:
    """Cancel the charges of a source (one line, or every line): refused for a billed one (Conflict: the
    invoice needs a credit note). Already cancelled lines stay as they are. The reason is kept to its first 300
    characters (callers compose it: "Lab order LAB-... cancelled: <why>"). Returns the cancelled rows."""
    why = clean_text(reason, "reason", label="A reason for cancelling the charge", max_len=10_000)[:300]
    lines = [c for c in _source(tx, source_type, source_id) if line_no is None or c.line_no == line_no]
    billed = [c for c in lines if c.status == "billed"]
    if billed:
        raise Conflict(
            f"{billed[0].description} is already billed; issue a credit note on its invoice instead of cancelling."
        )
    cancelled = [c for c in lines if c.status in ("unbilled", "waived")]
    for c in cancelled:
        c.status, c.status_reason = "cancelled", why
    tx.flush()
    return cancelled


def mark_billed(tx: Transaction, charge_ids: Iterable[uuid.UUID], invoice_id: uuid.UUID) -> list[Charge]:
    """Billing's side: these unbilled charges are now lines of ``invoice_id`` (same transaction as the invoice).
    Conflict when one is not unbilled (billed on another invoice, waived or cancelled meanwhile)."""
    ids = list(charge_ids)
    rows = {c.id: c for c in tx.session.scalars(select(Charge).where(Charge.id.in_(ids)))}
    for charge_id in ids:
        c = rows.get(charge_id)
        if c is None or c.deleted_at is not None:
            raise NotFound("A charge to bill no longer exists (it may have been removed on another PC).")
        if c.status != "unbilled":
            raise Conflict(f"{c.description} is {c.status}, not waiting to be billed.")
    for c in rows.values():
        c.status, c.invoice_id = "billed", invoice_id
    tx.flush()
    return [rows[i] for i in ids]


def exempt_unless_configured(tx: Transaction, applies_to: str, sac_code: str, on: date) -> int:
    """The GST rate (basis points) of a health-care service: the clinic's tax rule for exactly this SAC code
    in force on ``on`` if it has made one, else 0 (exempt). The blank-code default rule is not used: it is
    for the clinic's taxable services, and a health-care service is exempt by law."""
    rate = tx.session.scalar(
        select(TaxConfiguration.rate_basis_points)
        .where(
            TaxConfiguration.hospital_id == current_hospital(tx.session).id,
            TaxConfiguration.applies_to == applies_to,
            TaxConfiguration.hsn_sac_code == sac_code,
            TaxConfiguration.is_active.is_(True),
            TaxConfiguration.deleted_at.is_(None),
            TaxConfiguration.effective_from <= on,
            or_(TaxConfiguration.effective_to.is_(None), TaxConfiguration.effective_to >= on),
        )
        .limit(1)
    )
    return int(rate or 0)


@requires("billing.view")
def unbilled_charges(ctx: Context, patient_id: uuid.UUID) -> list[ChargeView]:
    """What the patient has still to be billed for, oldest first (waived, billed and cancelled lines aside)."""
    with ctx.transaction(readonly=True) as tx:
        if not isinstance(patient_id, uuid.UUID) or tx.session.get(Patient, patient_id) is None:
            raise NotFound("That patient does not exist.")
        rows = tx.session.scalars(
            select(Charge)
            .where(Charge.patient_id == patient_id, Charge.status == "unbilled", Charge.deleted_at.is_(None))
            .order_by(Charge.charged_at, Charge.source_type, Charge.source_id, Charge.line_no)
        )
        return [charge_view(c) for c in rows]
