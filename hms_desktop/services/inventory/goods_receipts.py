"""Goods receipts (GRN): what arrived from a supplier, against a purchase order or direct, put on the shelf.

``receive_goods`` (``inventory.receive``) does it all in ONE transaction: the posted GRN (number from the
GOODS_RECEIPTS series, ``inspected_by`` the signed-in user), its lines, the batches, one ``receipt`` stock
movement per line (``hms_desktop.stock.move``, reference ``grn_items``/line id) and the PO's received
quantities and status. Any refused line writes nothing at all. ``goods_receipts`` and ``goods_receipt`` read
(``inventory.view``).

Rules:
- The supplier must be active. Its bill number (``supplier_invoice_number``) is required and entered once per
  supplier (spaces and case aside): a second GRN of the same bill is refused, naming the earlier GRN.
- The received date is a date, not after the clinic's local today.
- Lines (1 to 200) name active medicines, each with a batch number and expiry (a medicine and batch once per
  receipt). Quantities are packs: received >= accepted >= 0, free >= 0, something received or free; rejected
  (received - accepted) needs a reason. Cost per pack (before GST) and MRP per pack (as printed) are above
  zero, and the MRP is not below the cost. An expiry before the local today is refused (a batch expiring
  within ``SHORT_EXPIRY_DAYS`` is accepted and flagged on the view).
- A batch number already recorded for that medicine (any case) with another expiry is refused (the pack or
  the earlier entry is wrong); with the same expiry the goods add to that batch, provided its MRP is the same
  (another MRP is another batch). Otherwise a new batch: cost and MRP per pack, sale price = MRP, supplier,
  received now, the GRN line that created it, shelf location.
- Stock in: (accepted + free) x the medicine's pack size units, when above zero. A line rejected whole (nothing
  accepted, nothing free) is recorded with its reason but makes no batch and moves no stock.
- Against a PO: it must be sent or partly received and to the same supplier. A line may name its PO line
  (same medicine, of that PO); a line that names none is matched to the PO's line for its medicine, if any.
  Only ACCEPTED packs count towards the order (free packs are extra, rejected ones did not arrive for good):
  the PO line's ``received_quantity`` grows by the accepted packs, and the PO becomes ``received`` once every
  line has received at least what was ordered, else ``partially_received`` once anything has. Receiving more
  than ordered is allowed (the view shows it). A direct GRN (no PO) is allowed.
- ``total_paise`` = sum of accepted x cost (free packs at no cost).
- ``request_id`` is the GRN's id: called again with it, the GRN already posted is returned unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from db.ids import uuid7
from db.models.inventory import GoodsReceiptNote, GrnItem, PurchaseOrder, PurchaseOrderItem, Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import GOODS_RECEIPTS, next_code
from hms_desktop.services.inventory.goods_receipt_views import (
    SHORT_EXPIRY_DAYS,
    GrnItemView,
    GrnView,
    grn_row,
    grn_views,
)
from hms_desktop.services.inventory.purchase_common import (
    MAX_PACKS,
    a_date,
    active_medicine,
    lines_of,
    medicines_by_id,
    month_year,
    paise,
    rupees,
    whole,
)
from hms_desktop.services.inventory.purchase_order_views import live_items, po_row
from hms_desktop.services.inventory.suppliers import active_supplier
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

__all__ = ["SHORT_EXPIRY_DAYS", "GrnInput", "GrnItemView", "GrnLine", "GrnView", "goods_receipt", "goods_receipts",
           "receive_goods"]  # fmt: skip

MAX_LIST = 500
RECEIVABLE = ("sent", "partially_received")


@dataclass(frozen=True)
class GrnLine:
    medicine_id: uuid.UUID
    batch_number: str
    expiry_date: date
    received_packs: int
    accepted_packs: int
    free_packs: int
    unit_cost_paise: int  # one pack, before GST
    mrp_paise: int  # one pack, as printed on it
    po_item_id: uuid.UUID | None = None
    rejected_reason: str | None = None
    location: str = ""


@dataclass(frozen=True)
class GrnInput:
    supplier_id: uuid.UUID
    supplier_invoice_number: str
    received_date: date
    lines: tuple[GrnLine, ...]
    po_id: uuid.UUID | None = None
    notes: str = ""


@dataclass
class _Planned:
    medicine: Medicine
    batch_number: str
    expiry: date
    received: int
    accepted: int
    free: int
    cost: int
    mrp: int
    reason: str | None
    location: str
    batch: MedicineBatch | None  # the batch already in stock these goods add to
    po_item: PurchaseOrderItem | None


def _refuse_same_bill(tx: Transaction, supplier: Supplier, bill: str) -> None:
    earlier = tx.session.scalars(
        select(GoodsReceiptNote).where(
            GoodsReceiptNote.supplier_id == supplier.id,
            func.upper(GoodsReceiptNote.supplier_invoice_number) == bill.upper(),
            GoodsReceiptNote.status != "cancelled",
            GoodsReceiptNote.deleted_at.is_(None),
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"Bill {earlier.supplier_invoice_number} of {supplier.name} is already entered as {earlier.grn_number} "
            f"(received {earlier.received_date:%d/%m/%Y}); a bill is received once."
        )


def _order(tx: Transaction, po_id: uuid.UUID | None, supplier: Supplier) -> PurchaseOrder | None:
    if po_id is None:
        return None
    po = po_row(tx, po_id)
    if po.status == "draft":
        raise Conflict(f"{po.po_number} is a draft that was never sent; send it before receiving goods against it.")
    if po.status not in RECEIVABLE:
        raise Conflict(f"{po.po_number} is {po.status}; goods can no longer be received against it.")
    if po.supplier_id != supplier.id:
        other = tx.session.get(Supplier, po.supplier_id)
        raise ValidationError("po_id", f"{po.po_number} is an order to {other.name if other else 'another supplier'}, "
                                       f"not to {supplier.name}.")  # fmt: skip
    return po


def _existing_batches(tx: Transaction, lines: list[GrnLine]) -> dict[tuple[uuid.UUID, str], MedicineBatch]:
    numbers = {str(ln.batch_number).strip().upper() for ln in lines}
    rows = tx.session.scalars(select(MedicineBatch).where(
        MedicineBatch.medicine_id.in_({ln.medicine_id for ln in lines if isinstance(ln.medicine_id, uuid.UUID)}),
        func.upper(MedicineBatch.batch_number).in_(numbers),
    ))  # fmt: skip
    return {(b.medicine_id, b.batch_number.upper()): b for b in rows}


def _po_item(tx: Transaction, po: PurchaseOrder | None, items: dict[uuid.UUID, PurchaseOrderItem], line: GrnLine,
             m: Medicine, n: int) -> PurchaseOrderItem | None:  # fmt: skip
    if line.po_item_id is None:
        return next((i for i in items.values() if i.medicine_id == m.id), None)
    if po is None:
        raise ValidationError("po_item_id", f"Line {n} names an order line; choose the purchase order it was on.")
    item = items.get(line.po_item_id) if isinstance(line.po_item_id, uuid.UUID) else None
    if item is None:
        raise ValidationError("po_item_id", f"Line {n}: that order line is not on {po.po_number}.")
    if item.medicine_id != m.id:
        ordered = tx.session.get(Medicine, item.medicine_id)
        what = ordered.name if ordered is not None else item.description
        raise ValidationError("po_item_id", f"Line {n}: that order line is for {what}, not {m.name}.")
    return item


def _batch(found: MedicineBatch | None, m: Medicine, number: str, expiry: date, mrp: int, n: int) -> None:
    """Refuse goods that cannot join the batch of that number already recorded (``found``)."""
    if found is None:
        return
    if found.deleted_at is not None:
        gone = f"batch {found.batch_number} of {m.name} was deleted from the stock records"
        raise ValidationError("batch_number", f"Line {n}: {gone}; it cannot be received again under that number.")
    if found.expiry_date != expiry:
        same_month = (found.expiry_date.year, found.expiry_date.month) == (expiry.year, expiry.month)
        shown = f"{found.expiry_date:%d/%m/%Y}" if same_month else month_year(found.expiry_date)
        raise ValidationError("expiry_date", f"Line {n}: batch {found.batch_number} of {m.name} is already in stock "
                                             f"expiring {shown}; check the expiry printed on the pack.")  # fmt: skip
    if found.mrp_paise != mrp:
        raise ValidationError("mrp_paise", f"Line {n}: batch {found.batch_number} of {m.name} is in stock at MRP "
                                           f"{rupees(found.mrp_paise)} a pack, not {rupees(mrp)}; check the MRP on the "
                                           "pack.")  # fmt: skip


def _plan(tx: Transaction, lines: list[GrnLine], po: PurchaseOrder | None, today: date) -> list[_Planned]:
    for n, line in enumerate(lines, start=1):
        if not isinstance(line, GrnLine):
            raise ValidationError("lines", f"Line {n} is not a receipt line.")
    found = medicines_by_id(tx, {ln.medicine_id for ln in lines})
    existing = _existing_batches(tx, lines)
    items = {i.id: i for i in live_items(tx, [po.id])} if po is not None else {}
    seen: dict[tuple[uuid.UUID, str], int] = {}
    out = []
    for n, ln in enumerate(lines, start=1):
        m = active_medicine(found, ln.medicine_id, "medicine_id", n)
        number = clean_text(ln.batch_number, "batch_number", label=f"Line {n} ({m.name}): the batch number", max_len=64)
        key = (m.id, number.upper())
        if key in seen:
            raise ValidationError("batch_number", f"Line {n}: batch {number} of {m.name} is already on line "
                                                  f"{seen[key]}; enter a batch once.")  # fmt: skip
        seen[key] = n
        expiry = a_date(ln.expiry_date, "expiry_date", f"line {n}'s expiry")
        if expiry < today:
            raise ValidationError("expiry_date", f"Line {n}: batch {number} of {m.name} expired on {expiry:%d/%m/%Y}; "
                                                 "expired stock cannot be received.")  # fmt: skip
        received = whole(ln.received_packs, "received_packs", f"Line {n} ({m.name}): packs received", 0, MAX_PACKS)
        accepted = whole(ln.accepted_packs, "accepted_packs", f"Line {n} ({m.name}): packs accepted", 0, MAX_PACKS)
        free = whole(ln.free_packs, "free_packs", f"Line {n} ({m.name}): free packs", 0, MAX_PACKS)
        if accepted > received:
            raise ValidationError("accepted_packs", f"Line {n}: {accepted} packs of {m.name} accepted but {received} "
                                                    "received; accept at most what arrived.")  # fmt: skip
        if received + free == 0:
            raise ValidationError("received_packs", f"Line {n}: no packs of {m.name} received; remove the line.")
        reason = None
        if received > accepted:
            why = f"Line {n}: why {received - accepted} packs of {m.name} were rejected"
            reason = clean_text(ln.rejected_reason, "rejected_reason", label=why, max_len=500)
        cost = paise(ln.unit_cost_paise, "unit_cost_paise", f"Line {n} ({m.name}): the cost of a pack")
        mrp = paise(ln.mrp_paise, "mrp_paise", f"Line {n} ({m.name}): the MRP of a pack")
        if mrp < cost:
            below = f"the MRP of {m.name} batch {number} ({rupees(mrp)} a pack) is below its cost ({rupees(cost)})"
            raise ValidationError("mrp_paise", f"Line {n}: {below}; check the bill and the pack.")
        batch = existing.get(key)
        _batch(batch, m, number, expiry, mrp, n)
        location = clean_text(ln.location, "location", label=f"Line {n}: the shelf", required=False, max_len=64)
        out.append(_Planned(
            medicine=m, batch_number=batch.batch_number if batch else number, expiry=expiry, received=received,
            accepted=accepted, free=free, cost=cost, mrp=mrp, reason=reason, location=location, batch=batch,
            po_item=_po_item(tx, po, items, ln, m, n),
        ))  # fmt: skip
    return out


def _advance(tx: Transaction, po: PurchaseOrder) -> None:
    items = live_items(tx, [po.id])
    if items and all(i.received_quantity >= i.quantity for i in items):
        po.status = "received"
    elif any(i.received_quantity > 0 for i in items):
        po.status = "partially_received"


def _post(tx: Transaction, grn: GoodsReceiptNote, plan: list[_Planned], supplier: Supplier) -> None:
    now = tx.ctx.clock.now()
    rows: list[tuple[GrnItem, int, MedicineBatch | None]] = []
    for p in plan:
        item = GrnItem(
            id=uuid7(), grn_id=grn.id, po_item_id=p.po_item.id if p.po_item else None, item_kind="medicine",
            medicine_id=p.medicine.id, batch_number=p.batch_number, expiry_date=p.expiry,
            received_quantity=p.received, accepted_quantity=p.accepted, rejected_reason=p.reason,
            unit_cost_paise=p.cost, mrp_paise=p.mrp, free_quantity=p.free,
        )  # fmt: skip
        units = (p.accepted + p.free) * p.medicine.pack_size
        batch = p.batch
        if batch is None and units > 0:  # a line rejected whole puts nothing on the shelf: no batch
            batch = MedicineBatch(
                id=uuid7(), medicine_id=p.medicine.id, batch_number=p.batch_number, expiry_date=p.expiry,
                cost_price_paise=p.cost, mrp_paise=p.mrp, sale_price_paise=p.mrp, supplier_id=supplier.id,
                received_at=now, grn_item_id=item.id, location=p.location,
            )  # fmt: skip
            tx.session.add(batch)
        item.medicine_batch_id = batch.id if batch is not None and units > 0 else None
        if p.po_item is not None:
            p.po_item.received_quantity += p.accepted
        rows.append((item, units, batch))
    tx.flush()  # the new batches first: a line references its batch (the mappers declare no relationships)
    tx.session.add_all([item for item, _, _ in rows])
    tx.flush()
    note = f"{grn.grn_number}, bill {grn.supplier_invoice_number}"
    for item, units, batch in rows:
        if units > 0 and batch is not None:
            stock.move(tx, batch_id=batch.id, quantity_delta=units, movement_type="receipt",
                       reference_type="grn_items", reference_id=item.id, reason=note)  # fmt: skip


@requires("inventory.receive")
def receive_goods(ctx: Context, data: GrnInput, *, request_id: uuid.UUID) -> GrnView:
    """Post a goods receipt: the GRN, its lines, batches, stock and the PO's progress, all or nothing."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give a request id.")
    if not isinstance(data, GrnInput):
        raise ValidationError("lines", "Enter the goods received.")
    bill = clean_text(data.supplier_invoice_number, "supplier_invoice_number", label="The supplier's bill number",
                      max_len=64)  # fmt: skip
    notes = clean_text(data.notes, "notes", label="Notes", required=False, max_len=1000)
    received_date = a_date(data.received_date, "received_date", "the date the goods arrived")
    lines = lines_of(data.lines)
    with ctx.transaction() as tx:
        done = tx.session.get(GoodsReceiptNote, request_id)
        if done is not None:
            return grn_views(tx, [done])[0]
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        if received_date > today:
            raise ValidationError("received_date", f"Goods cannot be received after today ({today:%d/%m/%Y}).")
        supplier = active_supplier(tx, data.supplier_id, "receive goods from")
        _refuse_same_bill(tx, supplier, bill)
        po = _order(tx, data.po_id, supplier)
        plan = _plan(tx, lines, po, today)
        grn = GoodsReceiptNote(
            id=request_id, grn_number=next_code(tx, GOODS_RECEIPTS.resolve(settings), today),
            po_id=po.id if po else None, supplier_id=supplier.id, received_date=received_date,
            supplier_invoice_number=bill, inspected_by_id=tx.actor.user_id, status="posted", notes=notes,
            total_paise=sum(p.accepted * p.cost for p in plan),
        )  # fmt: skip
        tx.session.add(grn)
        tx.flush()
        _post(tx, grn, plan, supplier)
        if po is not None:
            _advance(tx, po)
        tx.flush()
        view = grn_views(tx, [grn])[0]
        tx.commit()
        return view


@requires("inventory.view")
def goods_receipt(ctx: Context, grn_id: uuid.UUID) -> GrnView:
    with ctx.transaction(readonly=True) as tx:
        return grn_views(tx, [grn_row(tx, grn_id)])[0]


@requires("inventory.view")
def goods_receipts(
    ctx: Context, *, supplier_id: uuid.UUID | None = None, po_id: uuid.UUID | None = None
) -> list[GrnView]:
    """Receipts, newest first (at most 500); ``supplier_id`` one supplier's, ``po_id`` those against one order."""
    with ctx.transaction(readonly=True) as tx:
        q = select(GoodsReceiptNote).where(GoodsReceiptNote.deleted_at.is_(None))
        if supplier_id is not None:
            q = q.where(GoodsReceiptNote.supplier_id == supplier_id)
        if po_id is not None:
            q = q.where(GoodsReceiptNote.po_id == po_id)
        q = q.order_by(GoodsReceiptNote.received_date.desc(), GoodsReceiptNote.grn_number.desc()).limit(MAX_LIST)
        return grn_views(tx, list(tx.session.scalars(q)))
