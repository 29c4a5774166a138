"""What a purchase order looks like to the screens, the PDF and the goods receipt: the header with its supplier,
the live lines with their medicine, pack, HSN, GST rate and tax, and what is still to come.

Money: a line's amount is packs x cost per pack (GST is charged on top on a purchase); its tax is
``taxes.split_gst(amount, rate)`` (rounded once per line, half up); the order's subtotal, tax and total are
the sums of its lines (``total = subtotal + tax``, a CHECK). ``intra_state`` says whether the tax is CGST +
SGST (the supplier is in the clinic's state, or its state is not known) or IGST.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.models.inventory import PurchaseOrder, PurchaseOrderItem, Supplier
from db.models.pharmacy import Medicine
from hms_desktop.context import Transaction
from hms_desktop.errors import NotFound
from hms_desktop.services.admin.taxes import split_gst
from hms_desktop.services.inventory.purchase_common import pack_label, user_names
from hms_desktop.settings import current_hospital


@dataclass(frozen=True, kw_only=True)
class POItemView:
    id: uuid.UUID
    medicine_id: uuid.UUID
    medicine_name: str
    generic_name: str
    strength: str
    pack: str  # "strip of 15 tablets"
    pack_size: int
    hsn_code: str
    packs: int  # ordered
    received_packs: int  # accepted on goods receipts so far (free packs do not count towards the order)
    outstanding_packs: int  # still to come (0 once received in full)
    unit_cost_paise: int  # per pack, before GST
    tax_basis_points: int
    tax_paise: int
    line_total_paise: int  # packs x cost, before GST


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderView:
    id: uuid.UUID
    po_number: str
    status: str  # draft, sent, partially_received, received, closed, cancelled
    supplier_id: uuid.UUID
    supplier_code: str
    supplier_name: str
    supplier_gstin: str | None
    supplier_active: bool
    intra_state: bool
    order_date: date
    expected_date: date | None
    subtotal_paise: int
    tax_paise: int
    total_paise: int
    notes: str  # the buyer's notes, then a closing or cancelling reason on a line of its own
    raised_by_name: str
    sent_by_name: str  # "" until sent
    lines: tuple[POItemView, ...]


def line_tax(amount_paise: int, rate_basis_points: int) -> int:
    return split_gst(amount_paise, rate_basis_points, True)["tax_paise"]


def po_row(tx: Transaction, po_id: object) -> PurchaseOrder:
    po = tx.session.get(PurchaseOrder, po_id) if isinstance(po_id, uuid.UUID) else None
    if po is None or po.deleted_at is not None:
        raise NotFound("No such purchase order (it may have been removed on another PC).")
    return po


def live_items(tx: Transaction, po_ids: Sequence[uuid.UUID]) -> list[PurchaseOrderItem]:
    """The lines of ``po_ids`` that are not deleted, in the order they were made."""
    if not po_ids:
        return []
    rows = tx.session.scalars(
        select(PurchaseOrderItem).where(PurchaseOrderItem.po_id.in_(po_ids), PurchaseOrderItem.deleted_at.is_(None))
    )
    return sorted(rows, key=lambda i: i.id)


def po_views(tx: Transaction, orders: Sequence[PurchaseOrder]) -> list[PurchaseOrderView]:
    """Views of ``orders`` with their suppliers, lines, medicines and staff names, in a few queries."""
    items = live_items(tx, [o.id for o in orders])
    supplier_ids = {o.supplier_id for o in orders}
    suppliers = {s.id: s for s in tx.session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids)))}
    medicine_ids = {i.medicine_id for i in items if i.medicine_id is not None}
    medicines = {m.id: m for m in tx.session.scalars(select(Medicine).where(Medicine.id.in_(medicine_ids)))}
    names = user_names(tx, {o.created_by_id for o in orders} | {o.approved_by_id for o in orders})
    clinic_state = current_hospital(tx.session).state_code
    by_order: dict[uuid.UUID, list[POItemView]] = {o.id: [] for o in orders}
    for i in items:
        assert i.medicine_id is not None  # the purchase services order medicines only
        m = medicines[i.medicine_id]
        by_order[i.po_id].append(POItemView(
            id=i.id, medicine_id=m.id, medicine_name=m.name, generic_name=m.generic_name,
            strength=m.strength, pack=pack_label(m),
            pack_size=m.pack_size, hsn_code=m.hsn_code, packs=i.quantity, received_packs=i.received_quantity,
            outstanding_packs=max(i.quantity - i.received_quantity, 0), unit_cost_paise=i.unit_price_paise,
            tax_basis_points=i.tax_basis_points, tax_paise=line_tax(i.line_total_paise, i.tax_basis_points),
            line_total_paise=i.line_total_paise,
        ))  # fmt: skip
    out = []
    for o in orders:
        s = suppliers[o.supplier_id]
        out.append(PurchaseOrderView(
            id=o.id, po_number=o.po_number, status=o.status, supplier_id=s.id, supplier_code=s.code,
            supplier_name=s.name, supplier_gstin=s.gstin, supplier_active=s.is_active and s.deleted_at is None,
            intra_state=s.state_code is None or clinic_state is None or s.state_code == clinic_state,
            order_date=o.order_date, expected_date=o.expected_date, subtotal_paise=o.subtotal_paise,
            tax_paise=o.tax_paise, total_paise=o.total_paise, notes=o.notes,
            raised_by_name=names.get(o.created_by_id, ""), sent_by_name=names.get(o.approved_by_id, ""),
            lines=tuple(by_order[o.id]),
        ))  # fmt: skip
    return out
