"""Purchase tests' clinic: the pharmacy day (tests/pharmacy_fixtures.py: Monday 30 November 2026, Farida Khan the
pharmacist, Imran Sheikh and Asha Rao inventory managers, the demo catalogue) with two suppliers made by Imran:

- ``medplus``: MedPlus Distributors, Bengaluru (a Karnataka GSTIN, like the clinic's: CGST + SGST), 30 days;
- ``zenith``: Zenith Pharma Agencies, Mumbai (a Maharashtra GSTIN: IGST), 15 days.

Helpers: ``gstin(state, pan)`` a valid GSTIN (check character computed); ``order(...)`` a purchase order made
(and sent); ``grn_line(...)`` a receipt line with sensible defaults; ``written(ctx)`` the rows of every table
the purchase services write and the numbers taken from code series (refusals must leave them unchanged).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from db.models.hospital import IdSequence
from db.models.inventory import GoodsReceiptNote, GrnItem, PurchaseOrder, PurchaseOrderItem, StockMovement, Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Context
from hms_desktop.services.inventory.goods_receipts import GrnLine
from hms_desktop.services.inventory.purchase_orders import (
    POLine,
    PurchaseOrderInput,
    PurchaseOrderView,
    create_purchase_order,
    send_purchase_order,
)
from hms_desktop.services.inventory.suppliers import SupplierInput, SupplierView, create_supplier
from hms_desktop.validation import gstin_check_char
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day

EXPIRY = date(2028, 6, 30)


def gstin(state: str, pan: str, entity: str = "1") -> str:
    first = f"{state}{pan}{entity}Z"
    return first + gstin_check_char(first)


MEDPLUS_GSTIN = gstin("29", "AABCM1234F")
ZENITH_GSTIN = gstin("27", "AAFCZ5678K")


@dataclass(frozen=True)
class PurchaseDay:
    pd: PharmacyDay
    medplus: SupplierView
    zenith: SupplierView

    @property
    def manager(self) -> Context:
        return self.pd.manager

    @property
    def pharmacist(self) -> Context:
        return self.pd.pharmacist

    @property
    def system(self) -> Context:
        return self.pd.system

    def med(self, brand: str) -> uuid.UUID:
        return self.pd.medicines[brand]


def purchase_day(system_ctx: Context, make_user) -> PurchaseDay:  # type: ignore[no-untyped-def]
    pd = pharmacy_day(system_ctx, make_user)
    medplus = create_supplier(pd.manager, SupplierInput(
        "MedPlus Distributors", gstin=MEDPLUS_GSTIN, contact_name="Ravi Kumar", phone="080 4123 4567",
        email="orders@medplus.example.in", address="14 Residency Road, Bengaluru 560025", payment_terms_days=30,
        drug_licence_number="KA-BNG-20B-12345",
    ), request_id=uuid.uuid4())  # fmt: skip
    zenith = create_supplier(pd.manager, SupplierInput(
        "Zenith Pharma Agencies", gstin=ZENITH_GSTIN, phone="022 2345 6789", address="Andheri East, Mumbai",
        payment_terms_days=15,
    ), request_id=uuid.uuid4())  # fmt: skip
    return PurchaseDay(pd, medplus, zenith)


def order(day: PurchaseDay, *lines: tuple[str, int, int], supplier: SupplierView | None = None, send: bool = True,
          **kw: Any) -> PurchaseOrderView:  # fmt: skip
    """A PO of ``(brand, packs, cost per pack)`` lines to MedPlus (by default), sent unless ``send=False``."""
    data = PurchaseOrderInput((supplier or day.medplus).id, tuple(POLine(day.med(b), n, c) for b, n, c in lines), **kw)
    po = create_purchase_order(day.manager, data, request_id=uuid.uuid4())
    return send_purchase_order(day.manager, po.id) if send else po


def grn_line(medicine_id: uuid.UUID, batch: str = "B100", **kw: Any) -> GrnLine:
    values: dict[str, Any] = {
        "expiry_date": EXPIRY, "received_packs": 10, "accepted_packs": 10, "free_packs": 0,
        "unit_cost_paise": 2500, "mrp_paise": 3360,
    }  # fmt: skip
    values.update(kw)
    return GrnLine(medicine_id, batch, **values)


def written(ctx: Context) -> dict[str, int]:
    with ctx.transaction(readonly=True) as tx:
        out = {
            t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Supplier, PurchaseOrder, PurchaseOrderItem, GoodsReceiptNote, GrnItem, MedicineBatch,
                      StockMovement)
        }  # fmt: skip
        out["received"] = int(tx.session.scalar(select(func.sum(PurchaseOrderItem.received_quantity))) or 0)
        out["numbers"] = int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0)
        return out


def set_medicine_active(ctx: Context, medicine_id: uuid.UUID, active: bool) -> None:
    """Straight on the row: the catalogue service is another module's (these tests do not depend on it)."""
    with ctx.transaction() as tx:
        m = tx.session.get(Medicine, medicine_id)
        assert m is not None
        m.is_active = active
        tx.commit()
