"""Purchase orders: what the clinic orders from a supplier, in packs, at a cost per pack.

Life of an order (``purchase_orders.status``): ``draft`` (``create_purchase_order``, changed with
``update_purchase_order``) -> ``sent`` (``send_purchase_order``) -> ``partially_received`` -> ``received`` (moved by
goods receipts, ``goods_receipts.receive_goods``); ``closed`` (``close_purchase_order``, with a reason, from sent or
partly received: the rest will not come); ``cancelled`` (``cancel_purchase_order``, with a reason, from draft or
sent while nothing has been received). Each of these is ``inventory.purchase``; reading (``purchase_orders``,
``purchase_order``, ``purchase_order_pdf``) is ``inventory.view``.

Rules:
- The supplier must be active (an inactive one takes no new order and no order is sent to it). The PO number
  comes from the PURCHASE_ORDERS series; the order date is the clinic's local today; an expected date, when
  given, is not before it.
- Lines (1 to 200) name active medicines of the catalogue, each medicine once per order, with 1 to 100,000
  packs at a cost per pack above zero (paise, before GST). Each line keeps the GST rate in force on the order
  date (``pharmacy.pricing.gst_rate_on``); its amount is packs x cost; its tax ``split_gst(amount, rate)``; the
  order's subtotal, tax and total (subtotal + tax) are the sums (see ``purchase_order_views``).
- Only a draft changes; an update replaces the lines (a medicine no longer on it has its line deleted, one
  still on it keeps its line). Sending refuses a line whose medicine has become inactive since.
- A cancelling or closing reason is kept on the order's notes ("Cancelled on 30/11/2026 by Imran Sheikh: ...");
  the audit trail records who changed the status and when.
- ``create_purchase_order`` takes the screen's ``request_id`` as the order's id: called again with it, it
  returns the order already made, unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.ids import uuid7
from db.models.inventory import PURCHASE_ORDER_STATUSES, GoodsReceiptNote, PurchaseOrder, PurchaseOrderItem
from db.models.pharmacy import Medicine
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import PURCHASE_ORDERS, next_code
from hms_desktop.services.inventory.purchase_common import (
    MAX_PACKS,
    a_date,
    active_medicine,
    lines_of,
    medicines_by_id,
    paise,
    user_names,
    whole,
)
from hms_desktop.services.inventory.purchase_order_print import purchase_order_pdf
from hms_desktop.services.inventory.purchase_order_views import (
    POItemView,
    PurchaseOrderView,
    line_tax,
    live_items,
    po_row,
    po_views,
)
from hms_desktop.services.inventory.suppliers import active_supplier
from hms_desktop.services.pharmacy.pricing import gst_rate_on
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

__all__ = [
    "POItemView",
    "POLine",
    "PurchaseOrderInput",
    "PurchaseOrderView",
    "cancel_purchase_order",
    "close_purchase_order",
    "create_purchase_order",
    "purchase_order",
    "purchase_order_pdf",
    "purchase_orders",
    "send_purchase_order",
    "update_purchase_order",
]

MAX_LIST = 500


@dataclass(frozen=True)
class POLine:
    medicine_id: uuid.UUID
    packs: int
    unit_cost_paise: int  # one pack, before GST


@dataclass(frozen=True)
class PurchaseOrderInput:
    supplier_id: uuid.UUID
    lines: tuple[POLine, ...]
    expected_date: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class _Line:
    medicine_id: uuid.UUID
    packs: int
    cost: int


def _clean_lines(data: PurchaseOrderInput) -> list[_Line]:
    out = []
    for n, line in enumerate(lines_of(data.lines), start=1):
        if not isinstance(line, POLine):
            raise ValidationError("lines", f"Line {n} is not an order line.")
        out.append(_Line(
            medicine_id=line.medicine_id,
            packs=whole(line.packs, "packs", f"Line {n}: the number of packs", 1, MAX_PACKS),
            cost=paise(line.unit_cost_paise, "unit_cost_paise", f"Line {n}: the cost of a pack"),
        ))  # fmt: skip
    return out


def _checked(tx: Transaction, lines: list[_Line]) -> list[tuple[_Line, Medicine]]:
    found = medicines_by_id(tx, {ln.medicine_id for ln in lines})
    seen: dict[uuid.UUID, int] = {}
    out = []
    for n, ln in enumerate(lines, start=1):
        m = active_medicine(found, ln.medicine_id, "medicine_id", n)
        if m.id in seen:
            raise ValidationError(
                "medicine_id", f"Line {n}: {m.name} is already on line {seen[m.id]}; a medicine appears once on an "
                "order (change the packs on that line).",
            )  # fmt: skip
        seen[m.id] = n
        out.append((ln, m))
    return out


def _expected(value: date | None, order_date: date) -> date | None:
    if value is None:
        return None
    day = a_date(value, "expected_date", "the expected date")
    if day < order_date:
        raise ValidationError(
            "expected_date", f"The expected date cannot be before the order date, {order_date:%d/%m/%Y}."
        )
    return day


def _write_lines(tx: Transaction, po: PurchaseOrder, lines: list[tuple[_Line, Medicine]]) -> None:
    """Make the order's live lines ``lines`` (kept, changed, added or deleted) and its totals."""
    existing = {i.medicine_id: i for i in live_items(tx, [po.id])}
    subtotal = tax = 0
    for ln, m in lines:
        rate = gst_rate_on(tx.session, m, po.order_date)
        amount = ln.packs * ln.cost
        item = existing.pop(m.id, None)
        if item is None:
            item = PurchaseOrderItem(id=uuid7(), po_id=po.id, item_kind="medicine",
                                     medicine_id=m.id, received_quantity=0)  # fmt: skip
            tx.session.add(item)
        inner = " ".join(x for x in (m.generic_name, m.strength) if x)
        item.description = (f"{m.name} ({inner})" if inner else m.name)[:300]
        item.quantity, item.unit_price_paise, item.tax_basis_points, item.line_total_paise = (
            ln.packs,
            ln.cost,
            rate,
            amount,
        )
        subtotal += amount
        tax += line_tax(amount, rate)
    now = tx.ctx.clock.now()
    for gone in existing.values():
        gone.deleted_at = now
    po.subtotal_paise, po.tax_paise, po.total_paise = subtotal, tax, subtotal + tax


def _notes(value: str) -> str:
    return clean_text(value, "notes", label="Notes", required=False, max_len=1000)


def _one(tx: Transaction, po: PurchaseOrder) -> PurchaseOrderView:
    tx.flush()
    return po_views(tx, [po])[0]


@requires("inventory.purchase")
def create_purchase_order(ctx: Context, data: PurchaseOrderInput, *, request_id: uuid.UUID) -> PurchaseOrderView:
    """A draft order dated today with its lines (the order already made for ``request_id`` if any)."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give a request id.")
    lines, notes = _clean_lines(data), _notes(data.notes)
    with ctx.transaction() as tx:
        done = tx.session.get(PurchaseOrder, request_id)
        if done is not None:
            return po_views(tx, [done])[0]
        supplier = active_supplier(tx, data.supplier_id, "order from")
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        checked = _checked(tx, lines)
        po = PurchaseOrder(
            id=request_id, po_number=next_code(tx, PURCHASE_ORDERS.resolve(settings), today), supplier_id=supplier.id,
            order_date=today, expected_date=_expected(data.expected_date, today), status="draft", notes=notes,
        )  # fmt: skip
        tx.session.add(po)
        tx.flush()
        _write_lines(tx, po, checked)
        view = _one(tx, po)
        tx.commit()
        return view


def _draft(tx: Transaction, po_id: uuid.UUID, doing: str) -> PurchaseOrder:
    po = po_row(tx, po_id)
    if po.status != "draft":
        raise Conflict(f"{po.po_number} is {po.status.replace('_', ' ')}; only a draft can be {doing}.")
    return po


@requires("inventory.purchase")
def update_purchase_order(ctx: Context, po_id: uuid.UUID, data: PurchaseOrderInput) -> PurchaseOrderView:
    """Change a draft: its supplier, expected date, notes and lines (which replace the old ones)."""
    lines, notes = _clean_lines(data), _notes(data.notes)
    with ctx.transaction() as tx:
        po = _draft(tx, po_id, "changed")
        supplier = active_supplier(tx, data.supplier_id, "order from")
        checked = _checked(tx, lines)
        po.supplier_id, po.expected_date, po.notes = supplier.id, _expected(data.expected_date, po.order_date), notes
        _write_lines(tx, po, checked)
        view = _one(tx, po)
        tx.commit()
        return view


@requires("inventory.purchase")
def send_purchase_order(ctx: Context, po_id: uuid.UUID) -> PurchaseOrderView:
    """The draft goes to the supplier: it can no longer change; goods may be received against it."""
    with ctx.transaction() as tx:
        po = _draft(tx, po_id, "sent")
        active_supplier(tx, po.supplier_id, "order from")
        items = live_items(tx, [po.id])
        if not items:
            raise ValidationError("lines", f"{po.po_number} has no lines; add what to order first.")
        found = medicines_by_id(tx, {i.medicine_id for i in items if i.medicine_id is not None})
        for n, i in enumerate(items, start=1):
            active_medicine(found, i.medicine_id, "medicine_id", n)
        po.status, po.approved_by_id = "sent", tx.actor.user_id
        view = _one(tx, po)
        tx.commit()
        return view


def _reason(tx: Transaction, po: PurchaseOrder, what: str, why: str) -> None:
    today = local_today(clinic_settings(tx.session), tx.ctx.clock)
    who = user_names(tx, {tx.actor.user_id}).get(tx.actor.user_id) or tx.actor.email
    line = f"{what} on {today:%d/%m/%Y} by {who}: {why}"
    po.notes = f"{po.notes}\n{line}" if po.notes else line


@requires("inventory.purchase")
def cancel_purchase_order(ctx: Context, po_id: uuid.UUID, reason: str) -> PurchaseOrderView:
    """Call off a draft or sent order of which nothing has been received."""
    why = clean_text(reason, "reason", label="A reason for cancelling", max_len=300)
    with ctx.transaction() as tx:
        po = po_row(tx, po_id)
        received = any(i.received_quantity > 0 for i in live_items(tx, [po.id])) or tx.session.scalar(
            select(GoodsReceiptNote.grn_number).where(
                GoodsReceiptNote.po_id == po.id, GoodsReceiptNote.status == "posted",
                GoodsReceiptNote.deleted_at.is_(None),
            ).limit(1)
        ) is not None  # fmt: skip
        if po.status in ("partially_received", "received") or received:
            raise Conflict(f"Goods have been received against {po.po_number}; close it instead of cancelling it.")
        if po.status not in ("draft", "sent"):
            raise Conflict(f"{po.po_number} is already {po.status}.")
        po.status = "cancelled"
        _reason(tx, po, "Cancelled", why)
        view = _one(tx, po)
        tx.commit()
        return view


@requires("inventory.purchase")
def close_purchase_order(ctx: Context, po_id: uuid.UUID, reason: str) -> PurchaseOrderView:
    """End a sent or partly received order: what has not come will not come (no more receipts against it)."""
    why = clean_text(reason, "reason", label="A reason for closing", max_len=300)
    with ctx.transaction() as tx:
        po = po_row(tx, po_id)
        if po.status == "draft":
            raise Conflict(f"{po.po_number} is a draft that was never sent; cancel it instead.")
        if po.status not in ("sent", "partially_received"):
            raise Conflict(f"{po.po_number} is already {po.status}.")
        po.status = "closed"
        _reason(tx, po, "Closed", why)
        view = _one(tx, po)
        tx.commit()
        return view


@requires("inventory.view")
def purchase_order(ctx: Context, po_id: uuid.UUID) -> PurchaseOrderView:
    with ctx.transaction(readonly=True) as tx:
        return po_views(tx, [po_row(tx, po_id)])[0]


@requires("inventory.view")
def purchase_orders(
    ctx: Context, status: str | None = None, *, supplier_id: uuid.UUID | None = None
) -> list[PurchaseOrderView]:
    """Orders, newest first; ``status`` one status, ``supplier_id`` one supplier's (at most 500)."""
    if status is not None and status not in PURCHASE_ORDER_STATUSES:
        raise ValidationError("status", f"Choose a status: {', '.join(PURCHASE_ORDER_STATUSES)}.")
    with ctx.transaction(readonly=True) as tx:
        q = select(PurchaseOrder).where(PurchaseOrder.deleted_at.is_(None))
        if status is not None:
            q = q.where(PurchaseOrder.status == status)
        if supplier_id is not None:
            q = q.where(PurchaseOrder.supplier_id == supplier_id)
        q = q.order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.po_number.desc()).limit(MAX_LIST)
        return po_views(tx, list(tx.session.scalars(q)))
