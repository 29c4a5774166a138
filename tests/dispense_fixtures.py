"""Helpers for the dispensing, returns and register tests, on the pharmacy day (tests/pharmacy_fixtures.py: Monday
30 November 2026, 10:00 in Bengaluru; Farida Khan the pharmacist; the demo catalogue).

- ``shelf(pd)``: Dolo 650 (strip of 15, MRP Rs 33.60: Rs 2.24 a tablet) in three batches: D1 (10 tablets, expires
  31 Jan 2027), D2 (50, 30 Jun 2027) and DX (100, expired on 29 Nov 2026);
- ``edit_medicine(pd, brand, **fields)``: set catalogue fields directly (a barcode, another schedule);
- ``written(ctx)``: rows of every table dispensing and returns write, and the numbers taken from code series, so a
  refusal can prove it wrote nothing;
- ``otc(pd, *lines)`` / ``rx_lines(...)``: dispensing inputs; ``rx_item(view, brand)``: a prescription line's id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from db.models.clinical import Charge
from db.models.hospital import IdSequence
from db.models.inventory import StockMovement
from db.models.pharmacy import (
    Medicine,
    PharmacyDispensing,
    PharmacyDispensingItem,
    PharmacyReturn,
    PharmacyReturnItem,
    ScheduleRegisterEntry,
)
from db.models.prescriptions import Prescription
from hms_desktop.context import Context
from hms_desktop.services.clinical.prescription_views import PrescriptionView
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine
from tests.pharmacy_fixtures import PharmacyDay, stocked

DOLO_MRP = 3360  # a strip of 15: 224 paise a tablet
SOON, LATER, GONE = date(2027, 1, 31), date(2027, 6, 30), date(2026, 11, 29)


@dataclass(frozen=True)
class Shelf:
    d1: uuid.UUID  # 10 tablets, expires first
    d2: uuid.UUID  # 50 tablets, later
    dx: uuid.UUID  # 100 tablets, expired yesterday


def shelf(pd: PharmacyDay) -> Shelf:
    dolo = pd.medicines["Dolo 650"]
    return Shelf(
        d1=stocked(pd.system, dolo, "D1", SOON, 10, mrp_paise=DOLO_MRP, cost_paise=2400),
        d2=stocked(pd.system, dolo, "D2", LATER, 50, mrp_paise=DOLO_MRP, cost_paise=2400),
        dx=stocked(pd.system, dolo, "DX", GONE, 100, mrp_paise=DOLO_MRP, cost_paise=2400),
    )


def edit_medicine(pd: PharmacyDay, brand: str, **fields: object) -> None:
    with pd.system.transaction() as tx:
        med = tx.session.get(Medicine, pd.medicines[brand])
        assert med is not None
        for key, value in fields.items():
            setattr(med, key, value)
        tx.commit()


def written(ctx: Context) -> dict[str, int]:
    tables = (PharmacyDispensing, PharmacyDispensingItem, StockMovement, Charge, ScheduleRegisterEntry,
              PharmacyReturn, PharmacyReturnItem)  # fmt: skip
    with ctx.transaction(readonly=True) as tx:
        out = {t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
        out["numbers"] = int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0)
        out["dispensed_rx"] = int(
            tx.session.scalar(select(func.count()).where(Prescription.status == "dispensed")) or 0
        )
        return out


def otc(pd: PharmacyDay, *lines: DispenseLine, note: str = "") -> DispenseInput:
    return DispenseInput(patient_id=pd.rx.day.patient.id, lines=lines, note=note)


def rx_lines(rx: PrescriptionView, *lines: DispenseLine) -> DispenseInput:
    return DispenseInput(patient_id=rx.patient_id, prescription_id=rx.id, lines=lines)


def rx_item(rx: PrescriptionView, brand: str) -> uuid.UUID:
    found = next(i.id for i in rx.items if i.medicine_name == brand)
    assert found is not None
    return found


def take(pd: PharmacyDay, brand: str, quantity: int, **kw: object) -> DispenseLine:
    return DispenseLine(medicine_id=pd.medicines[brand], quantity=quantity, **kw)  # type: ignore[arg-type]
