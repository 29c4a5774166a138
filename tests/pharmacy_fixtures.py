"""Pharmacy and inventory tests' clinic: the prescription day (tests/rx_fixtures.py: Monday 30 November 2026,
10:00 in Bengaluru, Dr Meera Iyer and Kavya Nair checked in, the demo catalogue loaded) with the stock staff:

- ``pharmacist``: Farida Khan (Pharmacist role);
- ``manager``: Imran Sheikh (Inventory Manager), ``checker``: Asha Rao (Inventory Manager, the second user of
  maker-checker approvals).

Helpers:
- ``stocked(ctx, medicine_id, batch, expiry, units, mrp_paise=..., cost_paise=...)``: a batch and its
  ``opening`` movement through the stock ledger (quantities in the medicine's units, MRP and cost per pack);
  for tests that need stock before the goods-receipt service is involved;
- ``sent_rx(pd, *lines)``: Dr Iyer's prescription for Kavya, sent to the pharmacy;
- ``on_hand(ctx, batch_id)``: the ledger's sum for a batch, read straight from ``stock_movements``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from db.models.inventory import StockMovement
from db.models.pharmacy import MedicineBatch
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.clinical.prescription_input import PrescriptionItemInput
from hms_desktop.services.clinical.prescription_views import PrescriptionView
from tests.clinical_fixtures import signed_in
from tests.rx_fixtures import RxDay, rx_day, rx_input


@dataclass(frozen=True)
class PharmacyDay:
    rx: RxDay
    pharmacist: Context  # Farida Khan
    manager: Context  # Imran Sheikh, Inventory Manager
    checker: Context  # Asha Rao, Inventory Manager

    @property
    def system(self) -> Context:
        return self.rx.day.system

    @property
    def medicines(self) -> dict[str, uuid.UUID]:
        return self.rx.medicines


def pharmacy_day(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    day = rx_day(system_ctx, make_user)
    system = day.day.system
    farida = make_user("Pharmacist", email="farida@sunrise.example.in", name="Farida Khan")
    imran = make_user("Inventory Manager", email="imran@sunrise.example.in", name="Imran Sheikh")
    asha = make_user("Inventory Manager", email="asha@sunrise.example.in", name="Asha Rao")
    return PharmacyDay(
        rx=day,
        pharmacist=signed_in(system, farida.id),
        manager=signed_in(system, imran.id),
        checker=signed_in(system, asha.id),
    )


def stocked(
    ctx: Context,
    medicine_id: uuid.UUID,
    batch: str,
    expiry: date,
    units: int,
    *,
    mrp_paise: int = 10_000,
    cost_paise: int = 7_000,
) -> uuid.UUID:
    """A batch of ``medicine_id`` holding ``units`` (an ``opening`` movement), MRP and cost per pack."""
    with ctx.transaction() as tx:
        row = MedicineBatch(
            medicine_id=medicine_id,
            batch_number=batch,
            expiry_date=expiry,
            mrp_paise=mrp_paise,
            sale_price_paise=mrp_paise,
            cost_price_paise=cost_paise,
            received_at=ctx.clock.now(),
        )
        tx.session.add(row)
        tx.session.flush()
        if units:
            stock.move(tx, batch_id=row.id, quantity_delta=units, movement_type="opening",
                       reference_type="medicine_batches", reference_id=row.id)  # fmt: skip
        tx.commit()
        return row.id


def sent_rx(pd: PharmacyDay, *lines: PrescriptionItemInput, **kw: object) -> PrescriptionView:
    doc = pd.rx.day.doctor_ctx
    made = rx.save_prescription(doc, rx_input(pd.rx, *lines, **kw))
    return rx.send_to_pharmacy(doc, made.id)


def on_hand(ctx: Context, batch_id: uuid.UUID) -> int:
    with ctx.transaction(readonly=True) as tx:
        total = tx.session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity_delta), 0)).where(StockMovement.batch_id == batch_id)
        )
        return int(total or 0)
