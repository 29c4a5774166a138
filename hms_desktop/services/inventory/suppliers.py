"""Suppliers: the distributors the clinic buys medicines from.

Rules:
- ``create_supplier`` / ``update_supplier`` / ``set_supplier_active`` / ``delete_supplier``
  (``inventory.purchase``); ``suppliers`` and ``supplier`` (``inventory.view``).
- A name is required. A GSTIN is optional; when given it must be valid (format and check character,
  ``validation.clean_gstin``) and the supplier's GST state code is taken from its first two digits (a
  different state typed beside it is refused); without a GSTIN the state code may be given on its own (it
  decides CGST + SGST or IGST on the purchase). Two suppliers that are not deleted never share a GSTIN: the
  second is a Conflict naming the first.
- Phone (a landline with its STD code or a mobile), email (optional), address, payment terms of 0 to 365
  days, the drug licence number (free text, as printed on the supplier's bill). The code comes from the
  SUPPLIERS series (``SUP-00001``).
- An inactive supplier stays on its old orders and receipts but takes no new purchase order or goods receipt.
  A supplier is deleted (a tombstone) only while no purchase order, goods receipt or batch names it.
- ``create_supplier`` takes the screen's ``request_id`` as the new row's id: called again with it, it returns
  the supplier already made, unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from db.models.inventory import GoodsReceiptNote, PurchaseOrder, Supplier
from db.models.pharmacy import MedicineBatch
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import SUPPLIERS, next_code
from hms_desktop.services.inventory.purchase_common import whole
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import (
    GST_STATE_CODES,
    clean_contact_phone,
    clean_email,
    clean_gstin,
    clean_state_code,
    clean_text,
)

MAX_TERMS_DAYS = 365
MAX_LIST = 500


@dataclass(frozen=True)
class SupplierInput:
    name: str
    gstin: str | None = None
    state_code: str | None = None  # only without a GSTIN (with one it is the GSTIN's first two digits)
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    payment_terms_days: int = 0
    drug_licence_number: str = ""


@dataclass(frozen=True, kw_only=True)
class SupplierView:
    id: uuid.UUID
    code: str
    name: str
    contact_name: str
    phone: str
    email: str
    address: str
    gstin: str | None
    state_code: str | None
    state_name: str  # "Karnataka", "" when not known
    payment_terms_days: int
    drug_licence_number: str
    is_active: bool


@dataclass(frozen=True)
class _Clean:
    name: str
    gstin: str | None
    state_code: str | None
    contact_name: str
    phone: str
    email: str
    address: str
    payment_terms_days: int
    drug_licence_number: str


def _clean(data: SupplierInput) -> _Clean:
    name = clean_text(data.name, "name", label="The supplier's name")
    gstin = clean_gstin(data.gstin)
    state = clean_state_code(data.state_code)
    if gstin is not None:
        if state is not None and state != gstin[:2]:
            raise ValidationError(
                "state_code", f"The GSTIN {gstin} is registered in {GST_STATE_CODES[gstin[:2]]} (state code "
                f"{gstin[:2]}), not state code {state}.",
            )  # fmt: skip
        state = gstin[:2]
    phone = clean_contact_phone(data.phone)
    if len(phone) > 20:
        raise ValidationError("phone", "A phone number has at most 20 characters; leave out the extra spaces.")
    return _Clean(
        name=name,
        gstin=gstin,
        state_code=state,
        contact_name=clean_text(data.contact_name, "contact_name", label="The contact's name", required=False),
        phone=phone,
        email=clean_email(data.email, required=False),
        address=clean_text(data.address, "address", label="The address", required=False, max_len=500),
        payment_terms_days=whole(
            data.payment_terms_days, "payment_terms_days", "Payment terms (days)", 0, MAX_TERMS_DAYS
        ),  # fmt: skip
        drug_licence_number=clean_text(
            data.drug_licence_number,
            "drug_licence_number",
            label="The drug licence number",
            required=False,
            max_len=64,
        ),  # fmt: skip
    )


def view_of(s: Supplier) -> SupplierView:
    return SupplierView(
        id=s.id, code=s.code, name=s.name, contact_name=s.contact_name, phone=s.phone, email=s.email,
        address=s.address, gstin=s.gstin, state_code=s.state_code,
        state_name=GST_STATE_CODES.get(s.state_code or "", ""), payment_terms_days=s.payment_terms_days,
        drug_licence_number=s.drug_licence_number, is_active=s.is_active,
    )  # fmt: skip


def supplier_row(tx: Transaction, supplier_id: object) -> Supplier:
    s = tx.session.get(Supplier, supplier_id) if isinstance(supplier_id, uuid.UUID) else None
    if s is None or s.deleted_at is not None:
        raise NotFound("No such supplier (it may have been removed on another PC).")
    return s


def active_supplier(tx: Transaction, supplier_id: object, doing: str) -> Supplier:
    """The supplier of a new order or receipt: it must exist and be active (``doing``: "order from")."""
    s = tx.session.get(Supplier, supplier_id) if isinstance(supplier_id, uuid.UUID) else None
    if s is None or s.deleted_at is not None:
        raise ValidationError("supplier_id", "Choose a supplier from the list.")
    if not s.is_active:
        raise ValidationError("supplier_id", f"{s.name} ({s.code}) is inactive; the clinic does not {doing} them.")
    return s


def _refuse_same_gstin(tx: Transaction, gstin: str | None, own_id: uuid.UUID | None) -> None:
    if gstin is None:
        return
    query = select(Supplier).where(Supplier.gstin == gstin, Supplier.deleted_at.is_(None))
    if own_id is not None:
        query = query.where(Supplier.id != own_id)
    other = tx.session.scalars(query).first()
    if other is not None:
        state = "" if other.is_active else ", inactive"
        raise Conflict(
            f"The GSTIN {gstin} is already {other.name}'s ({other.code}{state}); a supplier is entered once."
        )


def _apply(s: Supplier, c: _Clean) -> None:
    s.name, s.gstin, s.state_code, s.contact_name = c.name, c.gstin, c.state_code, c.contact_name
    s.phone, s.email, s.address = c.phone, c.email, c.address
    s.payment_terms_days, s.drug_licence_number = c.payment_terms_days, c.drug_licence_number


@requires("inventory.purchase")
def create_supplier(ctx: Context, data: SupplierInput, *, request_id: uuid.UUID) -> SupplierView:
    """A new active supplier with the next SUPPLIERS code (the one already made for ``request_id`` if any)."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give a request id.")
    c = _clean(data)
    with ctx.transaction() as tx:
        done = tx.session.get(Supplier, request_id)
        if done is not None:
            return view_of(done)
        _refuse_same_gstin(tx, c.gstin, None)
        settings = clinic_settings(tx.session)
        s = Supplier(id=request_id, code=next_code(tx, SUPPLIERS.resolve(settings), local_today(settings, ctx.clock)),
                     is_active=True)  # fmt: skip
        _apply(s, c)
        tx.session.add(s)
        tx.flush()
        view = view_of(s)
        tx.commit()
        return view


@requires("inventory.purchase")
def update_supplier(ctx: Context, supplier_id: uuid.UUID, data: SupplierInput) -> SupplierView:
    """Change a supplier's details (its code stays); the same rules as a new one."""
    c = _clean(data)
    with ctx.transaction() as tx:
        s = supplier_row(tx, supplier_id)
        _refuse_same_gstin(tx, c.gstin, s.id)
        _apply(s, c)
        tx.flush()
        view = view_of(s)
        tx.commit()
        return view


@requires("inventory.purchase")
def set_supplier_active(ctx: Context, supplier_id: uuid.UUID, active: bool) -> SupplierView:
    """Deactivate (no new orders or receipts) or reactivate a supplier."""
    if not isinstance(active, bool):
        raise ValidationError("active", "Say whether the supplier is active.")
    with ctx.transaction() as tx:
        s = supplier_row(tx, supplier_id)
        if active and s.gstin is not None:
            _refuse_same_gstin(tx, s.gstin, s.id)
        if s.is_active != active:
            s.is_active = active
            tx.flush()
        view = view_of(s)
        tx.commit()
        return view


@requires("inventory.purchase")
def delete_supplier(ctx: Context, supplier_id: uuid.UUID) -> None:
    """Remove a supplier entered by mistake: refused once an order, receipt or batch names it (deactivate it)."""
    with ctx.transaction() as tx:
        s = supplier_row(tx, supplier_id)
        for model, what in ((PurchaseOrder, "purchase orders"), (GoodsReceiptNote, "goods receipts"),
                            (MedicineBatch, "batches in stock")):  # fmt: skip
            used = tx.session.scalar(
                select(func.count()).select_from(model).where(model.supplier_id == s.id, model.deleted_at.is_(None))
            )
            if used:
                raise Conflict(f"{s.name} ({s.code}) has {what} on record, so it cannot be deleted; deactivate it.")
        s.deleted_at = ctx.clock.now()
        tx.flush()
        tx.commit()


@requires("inventory.view")
def supplier(ctx: Context, supplier_id: uuid.UUID) -> SupplierView:
    with ctx.transaction(readonly=True) as tx:
        return view_of(supplier_row(tx, supplier_id))


@requires("inventory.view")
def suppliers(ctx: Context, query: str = "", *, include_inactive: bool = True) -> list[SupplierView]:
    """Suppliers by name; ``query`` matches the name, code, GSTIN, contact or phone (any part, any case)."""
    text = clean_text(query, "query", label="The search", required=False, max_len=100)
    with ctx.transaction(readonly=True) as tx:
        q = select(Supplier).where(Supplier.deleted_at.is_(None))
        if not include_inactive:
            q = q.where(Supplier.is_active.is_(True))
        if text:
            like = f"%{text.lower()}%"
            q = q.where(or_(*(func.lower(col).like(like) for col in (
                Supplier.name, Supplier.code, Supplier.gstin, Supplier.contact_name, Supplier.phone))))  # fmt: skip
        rows = tx.session.scalars(q.order_by(func.lower(Supplier.name), Supplier.code).limit(MAX_LIST))
        return [view_of(s) for s in rows]
