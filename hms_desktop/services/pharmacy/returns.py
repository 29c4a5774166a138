"""A patient's return of dispensed medicines (``PRT-2026-00001``), against one dispensing (``pharmacy.returns``).

Rules (``return_medicines``; all in one transaction, or nothing):
- Each line names a line of that dispensing (``dispensing_item_id``); the medicine comes back as the same batch
  the line was sold from (``batch_id``, when the screen gives the batch read off the strip, must be it).
- The quantity is a whole number from 1 to what the line dispensed less what earlier returns took back (two lines
  of one request for the same dispensing line count together).
- The batch is not expired on the clinic's local today, and the return is within the clinic's window: at most
  ``pharmacy_return_days`` (a setting, default 7) local days after the dispensing's date.
- ``restock`` true: a ``return`` stock movement puts the quantity back on that batch (``hms_desktop.stock.move``,
  reference ``pharmacy_return_items``); false (opened, damaged, cold chain broken): no movement, the return is
  recorded all the same.
- Refund per line = the line's unit price x quantity; the header's ``refund_amount_paise`` is their sum; the return
  is ``completed`` at once and ``approved_by`` the pharmacist who took it.
- The dispensing line's ``returned_quantity`` grows; the dispensing becomes ``partially_returned``, or
  ``returned`` once every line has come back in full. The prescription stays as it was (it was filled).
- Money back: a line's charge that billing has not invoiced yet (``unbilled``) is reduced through the charges
  module: cancelled when the whole line is back, otherwise cancelled and added again with the quantity kept (the
  charges contract revives a cancelled source line with the new values: the same row, status ``unbilled``).
  A charge already billed is left as it is: the return's refund amount is what billing credits (a credit note,
  the billing issue), read from ``pharmacy_returns`` / ``pharmacy_return_items``.
``request_id`` is the new return's id: called again with it, the first return is returned unchanged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.models.clinical import Charge
from db.models.identity import User
from db.models.pharmacy import (
    Medicine,
    MedicineBatch,
    PharmacyDispensing,
    PharmacyDispensingItem,
    PharmacyReturn,
    PharmacyReturnItem,
)
from hms_desktop import stock
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import PHARMACY_RETURNS, next_code
from hms_desktop.services.clinical.charges import ChargeInput, add_charge, cancel_charge
from hms_desktop.services.pharmacy import fefo
from hms_desktop.services.pharmacy.dispense_plan import whole
from hms_desktop.services.pharmacy.dispensing import charge_description
from hms_desktop.services.pharmacy.dispensing_views import dispensing_row, medicine_label
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

MAX_LINES = 50


@dataclass(frozen=True, kw_only=True)
class ReturnLine:
    dispensing_item_id: uuid.UUID
    quantity: int
    restock: bool = True  # False: opened or damaged, not put back on the shelf
    batch_id: uuid.UUID | None = None  # the batch on the returned strip, when scanned or typed: must be the line's


@dataclass(frozen=True, kw_only=True)
class ReturnInput:
    dispensing_id: uuid.UUID
    lines: Sequence[ReturnLine]
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReturnItemView:
    id: uuid.UUID
    dispensing_item_id: uuid.UUID
    medicine_id: uuid.UUID
    medicine_name: str
    batch_id: uuid.UUID
    batch_number: str
    quantity: int
    refund_paise: int
    restock: bool


@dataclass(frozen=True, kw_only=True)
class ReturnView:
    id: uuid.UUID
    code: str
    dispensing_id: uuid.UUID
    dispensing_code: str
    dispensing_status: str  # after this return: partially_returned or returned
    patient_id: uuid.UUID
    reason: str
    refund_amount_paise: int
    status: str
    returned_at: datetime
    approved_by_id: uuid.UUID | None
    approved_by_name: str
    items: tuple[ReturnItemView, ...]


def _view(tx: Transaction, r: PharmacyReturn) -> ReturnView:
    d = tx.session.get(PharmacyDispensing, r.dispensing_id)
    who = tx.session.get(User, r.approved_by_id) if r.approved_by_id else None
    rows = tx.session.execute(
        select(PharmacyReturnItem, Medicine, MedicineBatch)
        .join(Medicine, Medicine.id == PharmacyReturnItem.medicine_id)
        .join(MedicineBatch, MedicineBatch.id == PharmacyReturnItem.batch_id)
        .where(PharmacyReturnItem.return_id == r.id, PharmacyReturnItem.deleted_at.is_(None))
        .order_by(PharmacyReturnItem.created_at, PharmacyReturnItem.id)
    ).all()
    assert d is not None
    return ReturnView(
        id=r.id, code=r.code, dispensing_id=d.id, dispensing_code=d.code, dispensing_status=d.status,
        patient_id=r.patient_id, reason=r.reason, refund_amount_paise=r.refund_amount_paise, status=r.status,
        returned_at=r.returned_at, approved_by_id=r.approved_by_id, approved_by_name=who.full_name if who else "",
        items=tuple(
            ReturnItemView(id=i.id, dispensing_item_id=i.dispensing_item_id, medicine_id=m.id,
                           medicine_name=medicine_label(m), batch_id=b.id, batch_number=b.batch_number,
                           quantity=i.quantity_returned, refund_paise=i.refund_paise, restock=i.restock)
            for i, m, b in rows
        ),
    )  # fmt: skip


def _lines(data: ReturnInput, d: PharmacyDispensing, items: dict[uuid.UUID, PharmacyDispensingItem],
           tx: Transaction) -> list[tuple[ReturnLine, PharmacyDispensingItem, MedicineBatch, int]]:  # fmt: skip
    lines = list(data.lines) if not isinstance(data.lines, str | bytes) else []
    if not lines or not all(isinstance(x, ReturnLine) for x in lines):
        raise ValidationError("lines", "Choose what comes back.")
    if len(lines) > MAX_LINES:
        raise ValidationError("lines", f"Take back at most {MAX_LINES} lines at a time.")
    today = local_today(clinic_settings(tx.session), tx.ctx.clock)
    asked: dict[uuid.UUID, int] = defaultdict(int)
    out = []
    for index, x in enumerate(lines):
        field = f"lines[{index}]"
        item = items.get(x.dispensing_item_id) if isinstance(x.dispensing_item_id, uuid.UUID) else None
        if item is None:
            raise ValidationError(f"{field}.dispensing_item_id", f"That is not a line of {d.code}.")
        m, b = tx.session.get(Medicine, item.medicine_id), tx.session.get(MedicineBatch, item.batch_id)
        assert m is not None and b is not None
        if x.batch_id is not None and x.batch_id != b.id:
            other = tx.session.get(MedicineBatch, x.batch_id) if isinstance(x.batch_id, uuid.UUID) else None
            shown = f"batch {other.batch_number}" if other is not None else "another batch"
            raise ValidationError(f"{field}.batch_id", f"This {m.name} is {shown}, but {d.code} sold it from batch "
                                                       f"{b.batch_number}: only that batch comes back.")  # fmt: skip
        left = item.quantity - item.returned_quantity
        if left <= 0:
            raise ValidationError(f"{field}.quantity", f"{m.name}, batch {b.batch_number} has all come back already.")
        q = x.quantity
        if isinstance(q, int) and not isinstance(q, bool) and (q > left or asked[item.id] + q > left):
            earlier = f", {item.returned_quantity} came back earlier" if item.returned_quantity else ""
            raise ValidationError(f"{field}.quantity", f"{d.code} dispensed {item.quantity} of {m.name} (batch "
                                  f"{b.batch_number}){earlier}: at most {left} can come back.")  # fmt: skip
        quantity = whole(q, f"{field}.quantity", f"The quantity of {m.name} returned", left)
        asked[item.id] += quantity
        if fefo.is_expired(b.expiry_date, today):
            raise ValidationError(f"{field}.dispensing_item_id", f"{m.name}, batch {b.batch_number} expired on "
                                  f"{b.expiry_date:%d %b %Y}: an expired medicine is not taken back.")  # fmt: skip
        out.append((x, item, b, quantity))
    return out


def _window(tx: Transaction, d: PharmacyDispensing) -> None:
    settings = clinic_settings(tx.session)
    days = int(settings.get("pharmacy_return_days", 7))
    assert d.dispensed_at is not None
    sold = d.dispensed_at.astimezone(zone_of(settings)).date()
    if (local_today(settings, tx.ctx.clock) - sold).days > days:
        raise Conflict(f"{d.code} was dispensed on {sold:%d %b %Y}; medicines come back within {days} days of the "
                       "sale, so this return is refused.")  # fmt: skip


def _charge_back(tx: Transaction, d: PharmacyDispensing, item: PharmacyDispensingItem, code: str) -> None:
    """Reduce the line's charge while it is unbilled (see the module's rules); a billed one is credited by billing."""
    charge = tx.session.scalars(
        select(Charge).where(
            Charge.source_type == "dispensing",
            Charge.source_id == d.id,
            Charge.line_no == item.line_no,
            Charge.deleted_at.is_(None),
        )  # fmt: skip
    ).first()
    if charge is None or charge.status != "unbilled":
        return
    kept = item.quantity - item.returned_quantity
    cancel_charge(tx, "dispensing", d.id, f"Returned on {code}", line_no=item.line_no)
    if kept == 0:
        return
    m, b = tx.session.get(Medicine, item.medicine_id), tx.session.get(MedicineBatch, item.batch_id)
    assert m is not None and b is not None
    add_charge(tx, ChargeInput(
        patient_id=d.patient_id, source_type="dispensing", source_id=d.id, line_no=item.line_no,
        item_type="medicine", description=charge_description(m, kept, b.batch_number, f" ({code}: part returned)"),
        unit_price_paise=item.unit_price_paise, quantity=kept, appointment_id=charge.appointment_id,
        price_includes_tax=True, hsn_sac_code=charge.hsn_sac_code, gst_rate_basis_points=item.tax_basis_points,
    ))  # fmt: skip


@requires("pharmacy.returns")
def return_medicines(ctx: Context, data: ReturnInput, *, request_id: uuid.UUID) -> ReturnView:
    """Take medicines back against a dispensing (see the module's rules); the completed return."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "A return needs its request id.")
    if not isinstance(data, ReturnInput):
        raise ValidationError("lines", "Choose what comes back.")
    reason = clean_text(data.reason, "reason", label="The reason for the return", max_len=500)
    with ctx.transaction() as tx:
        done = tx.session.get(PharmacyReturn, request_id)
        if done is not None:
            return _view(tx, done)
        user = tx.session.get(User, tx.actor.user_id) if tx.actor.user_id is not None else None
        if user is None:
            raise PermissionDenied("pharmacy.returns", "Sign in as a member of staff to take a return.")
        d = dispensing_row(tx, data.dispensing_id)
        if d.status not in ("dispensed", "partially_returned"):
            raise Conflict(f"{d.code} is {d.status.replace('_', ' ')}; nothing more can come back on it.")
        items = {
            i.id: i
            for i in tx.session.scalars(
                select(PharmacyDispensingItem).where(
                    PharmacyDispensingItem.dispensing_id == d.id, PharmacyDispensingItem.deleted_at.is_(None)
                )
            )
        }
        lines = _lines(data, d, items, tx)
        _window(tx, d)
        settings = clinic_settings(tx.session)
        r = PharmacyReturn(
            id=request_id, code=next_code(tx, PHARMACY_RETURNS.resolve(settings), local_today(settings, ctx.clock)),
            dispensing_id=d.id, patient_id=d.patient_id, reason=reason, status="completed", refund_amount_paise=0,
            returned_at=ctx.clock.now(), approved_by_id=user.id,
        )  # fmt: skip
        tx.session.add(r)
        tx.flush()
        for x, item, b, quantity in lines:
            ri = PharmacyReturnItem(return_id=r.id, dispensing_item_id=item.id, medicine_id=item.medicine_id,
                                    batch_id=b.id, quantity_returned=quantity,
                                    refund_paise=item.unit_price_paise * quantity, restock=bool(x.restock))  # fmt: skip
            tx.session.add(ri)
            tx.flush()
            if ri.restock:
                stock.move(tx, batch_id=b.id, quantity_delta=quantity, movement_type="return",
                           reference_type="pharmacy_return_items", reference_id=ri.id, reason=reason)  # fmt: skip
            item.returned_quantity += quantity
            r.refund_amount_paise += ri.refund_paise
        for item in {i.id: i for _, i, _, _ in lines}.values():
            _charge_back(tx, d, item, r.code)
        whole_back = all(i.returned_quantity == i.quantity for i in items.values())
        d.status = "returned" if whole_back else "partially_returned"
        tx.flush()
        view = _view(tx, r)
        tx.commit()
        return view


@requires("pharmacy.view")
def returns_of(ctx: Context, dispensing_id: uuid.UUID) -> list[ReturnView]:
    """The returns taken against a dispensing, oldest first."""
    with ctx.transaction(readonly=True) as tx:
        d = dispensing_row(tx, dispensing_id)
        rows = tx.session.scalars(
            select(PharmacyReturn)
            .where(PharmacyReturn.dispensing_id == d.id, PharmacyReturn.deleted_at.is_(None))
            .order_by(PharmacyReturn.returned_at, PharmacyReturn.code)
        )
        return [_view(tx, r) for r in rows]
