"""How far each line of a prescription's current version has been dispensed (read inside a caller's transaction).

Rules:
- A line's dispensed quantity is the sum of the dispensing lines that name it (``prescription_item_id``) in
  dispensings that left the pharmacy (``dispensed``, ``partially_returned``, ``returned``): a later return
  does not put the line back on the list (the patient brought the medicine back; the prescription was filled).
- A line with a prescribed quantity (> 0) still has ``quantity - dispensed`` to dispense, and is filled at 0.
- A line without one (quantity 0: SOS, or a syrup whose dose gives no count) is dispensed in whatever quantity
  the pharmacist judges (up to ``OPEN_QUANTITY_LIMIT``): its remaining is ``None`` (open) until something is
  dispensed for it, then 0 (filled).
- The current version's lines are the live ``prescription_items`` rows: an amendment soft-deletes a changed
  line and adds the new one, so a dispensing of the old line does not count towards the new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.pharmacy import DISPENSED_STATUSES, PharmacyDispensing, PharmacyDispensingItem
from db.models.prescriptions import PrescriptionItem

OPEN_QUANTITY_LIMIT = 1000


@dataclass(frozen=True, kw_only=True)
class LineFill:
    prescription_item_id: uuid.UUID
    line_no: int
    medicine_id: uuid.UUID | None
    medicine_name: str
    prescribed: int | None  # None: no quantity was prescribed (SOS): the pharmacist decides
    dispensed: int
    remaining: int | None  # None: an open quantity not dispensed yet
    filled: bool


def dispensed_by_item(session: Session, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Units dispensed so far against each prescription line (lines with none are left out)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(PharmacyDispensingItem.prescription_item_id, func.sum(PharmacyDispensingItem.quantity))
        .join(PharmacyDispensing, PharmacyDispensing.id == PharmacyDispensingItem.dispensing_id)
        .where(
            PharmacyDispensingItem.prescription_item_id.in_(list(item_ids)),
            PharmacyDispensingItem.deleted_at.is_(None),
            PharmacyDispensing.status.in_(DISPENSED_STATUSES),
            PharmacyDispensing.deleted_at.is_(None),
        )
        .group_by(PharmacyDispensingItem.prescription_item_id)
    )
    return {item_id: int(n) for item_id, n in rows if item_id is not None}


def fill_of(item: PrescriptionItem, dispensed: int) -> LineFill:
    prescribed = item.quantity if item.quantity and item.quantity > 0 else None
    if prescribed is None:
        remaining = 0 if dispensed > 0 else None
    else:
        remaining = max(prescribed - dispensed, 0)
    return LineFill(
        prescription_item_id=item.id,
        line_no=item.line_no,
        medicine_id=item.medicine_id,
        medicine_name=item.medicine_name,
        prescribed=prescribed,
        dispensed=dispensed,
        remaining=remaining,
        filled=remaining == 0,
    )


def live_items(session: Session, rx_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PrescriptionItem]]:
    """The current version's lines of each prescription, in line order."""
    out: dict[uuid.UUID, list[PrescriptionItem]] = {i: [] for i in rx_ids}
    if not rx_ids:
        return out
    rows = session.scalars(
        select(PrescriptionItem)
        .where(PrescriptionItem.prescription_id.in_(list(rx_ids)), PrescriptionItem.deleted_at.is_(None))
        .order_by(PrescriptionItem.prescription_id, PrescriptionItem.line_no)
    )
    for item in rows:
        out[item.prescription_id].append(item)
    return out


def fills(session: Session, rx_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[LineFill]]:
    """Each prescription's lines with what was dispensed and what remains (two queries)."""
    items = live_items(session, rx_ids)
    done = dispensed_by_item(session, [i.id for lines in items.values() for i in lines])
    return {rx_id: [fill_of(i, done.get(i.id, 0)) for i in lines] for rx_id, lines in items.items()}
