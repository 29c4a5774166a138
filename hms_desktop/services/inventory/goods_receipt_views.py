"""What a goods receipt note looks like to the screens: the header (supplier, bill, PO, who inspected it) and
each received line with its batch, quantities in packs, the units it put in stock and whether it created the
batch or added to one already there. ``expires_soon`` flags a batch that expires within
``SHORT_EXPIRY_DAYS`` of the day it was received (accepted, but the pharmacist should know).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import select

from db.models.inventory import GoodsReceiptNote, GrnItem, PurchaseOrder, Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Transaction
from hms_desktop.errors import NotFound
from hms_desktop.services.inventory.purchase_common import user_names

SHORT_EXPIRY_DAYS = 30
T = TypeVar("T", Medicine, MedicineBatch, Supplier, PurchaseOrder)


@dataclass(frozen=True, kw_only=True)
class GrnItemView:
    id: uuid.UUID
    medicine_id: uuid.UUID
    medicine_name: str
    pack_size: int
    batch_id: uuid.UUID | None
    batch_number: str
    expiry_date: date
    received_packs: int
    accepted_packs: int
    rejected_packs: int
    rejected_reason: str | None
    free_packs: int
    unit_cost_paise: int  # one pack, before GST
    mrp_paise: int  # one pack, as printed
    amount_paise: int  # accepted x cost (free packs cost nothing)
    units_added: int  # (accepted + free) x pack size, in the medicine's units
    new_batch: bool  # this line created the batch (else it added to one already in stock)
    location: str  # the batch's shelf
    po_item_id: uuid.UUID | None
    expires_soon: bool


@dataclass(frozen=True, kw_only=True)
class GrnView:
    id: uuid.UUID
    grn_number: str
    status: str
    supplier_id: uuid.UUID
    supplier_name: str
    supplier_invoice_number: str
    received_date: date
    po_id: uuid.UUID | None
    po_number: str  # "" for a direct receipt
    inspected_by_name: str
    notes: str
    total_paise: int
    lines: tuple[GrnItemView, ...]


def grn_row(tx: Transaction, grn_id: object) -> GoodsReceiptNote:
    g = tx.session.get(GoodsReceiptNote, grn_id) if isinstance(grn_id, uuid.UUID) else None
    if g is None or g.deleted_at is not None:
        raise NotFound("No such goods receipt (it may have been removed on another PC).")
    return g


def _by_id(tx: Transaction, model: type[T], ids: set[uuid.UUID | None]) -> dict[uuid.UUID, T]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r for r in tx.session.scalars(select(model).where(model.id.in_(wanted)))}


def grn_views(tx: Transaction, grns: Sequence[GoodsReceiptNote]) -> list[GrnView]:
    """Views of ``grns`` with their lines, batches, medicines, supplier, PO and inspector, in a few queries."""
    items = sorted(tx.session.scalars(select(GrnItem).where(GrnItem.grn_id.in_([g.id for g in grns]),
                                                            GrnItem.deleted_at.is_(None))),
                   key=lambda i: i.id) if grns else []  # fmt: skip
    medicines = _by_id(tx, Medicine, {i.medicine_id for i in items})
    batches = _by_id(tx, MedicineBatch, {i.medicine_batch_id for i in items})
    suppliers = _by_id(tx, Supplier, {g.supplier_id for g in grns})
    orders = _by_id(tx, PurchaseOrder, {g.po_id for g in grns})
    names = user_names(tx, {g.inspected_by_id for g in grns})
    received = {g.id: g.received_date for g in grns}
    lines: dict[uuid.UUID, list[GrnItemView]] = {g.id: [] for g in grns}
    for i in items:
        assert i.medicine_id is not None and i.expiry_date is not None  # medicine lines (a CHECK)
        m, b = medicines[i.medicine_id], batches.get(i.medicine_batch_id) if i.medicine_batch_id else None
        lines[i.grn_id].append(GrnItemView(
            id=i.id, medicine_id=m.id, medicine_name=m.name, pack_size=m.pack_size,
            batch_id=i.medicine_batch_id, batch_number=i.batch_number, expiry_date=i.expiry_date,
            received_packs=i.received_quantity, accepted_packs=i.accepted_quantity,
            rejected_packs=i.received_quantity - i.accepted_quantity, rejected_reason=i.rejected_reason,
            free_packs=i.free_quantity, unit_cost_paise=i.unit_cost_paise, mrp_paise=i.mrp_paise,
            amount_paise=i.accepted_quantity * i.unit_cost_paise,
            units_added=(i.accepted_quantity + i.free_quantity) * m.pack_size,
            new_batch=b is not None and b.grn_item_id == i.id, location=b.location if b else "",
            po_item_id=i.po_item_id,
            expires_soon=i.expiry_date <= received[i.grn_id] + timedelta(days=SHORT_EXPIRY_DAYS),
        ))  # fmt: skip
    out = []
    for g in grns:
        po = orders.get(g.po_id) if g.po_id else None
        out.append(GrnView(
            id=g.id, grn_number=g.grn_number, status=g.status, supplier_id=g.supplier_id,
            supplier_name=suppliers[g.supplier_id].name, supplier_invoice_number=g.supplier_invoice_number,
            received_date=g.received_date, po_id=g.po_id, po_number=po.po_number if po else "",
            inspected_by_name=names.get(g.inspected_by_id, ""), notes=g.notes, total_paise=g.total_paise,
            lines=tuple(lines[g.id]),
        ))  # fmt: skip
    return out
