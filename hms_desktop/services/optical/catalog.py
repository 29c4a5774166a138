"""The optical catalogue: frames, sunglasses, spectacle and contact lenses, solutions and accessories (the field
rules: ``catalog_rules``; the views: ``catalog_views``).

Rules:
- ``create_product`` (``optical.catalog``): a new active product with the next ``OPTICAL_PRODUCTS`` code
  (OPP-00001) and no stock (stock arrives through the ledger: ``optical_stock``). The caller's ``request_id``
  is its id, so a second call with it returns the first product unchanged (a double-clicked Save adds one).
  A barcode already on another product that is not deleted (active or not) is a Conflict naming it. A GST rate
  left blank is the rate the optical tax rules give its HSN today; with no rule for it, the rate is required.
- ``update_product`` (``optical.catalog``): the same rules, the SKU and the stock kept. A product with stock
  on the shelf cannot become made to order (count it out first: a made-to-order product has no stock).
- ``set_active`` (``optical.catalog``): an inactive product leaves the searches (its orders and stock stay).
- ``product``, ``find_products``, ``product_by_barcode`` (``optical.view``). ``find_products`` searches the
  name, brand, model, SKU and barcode (any part, any case), an exact barcode or SKU first, then by name;
  ``in_stock_only`` drops stocked products with nothing on the shelf (made-to-order lenses are always
  available). ``product_by_barcode`` finds the product whose barcode (or SKU, on a label printed here) was
  scanned, active or not, else None.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_, select

from db.models.optical import OPTICAL_CATEGORIES, OpticalProduct
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import OPTICAL_PRODUCTS, next_code
from hms_desktop.services.optical.catalog_rules import ProductInput, barcode_forms, clean_product
from hms_desktop.services.optical.catalog_views import ProductView, view_of
from hms_desktop.services.optical.pricing import hsn_prefixes, optical_rate_on
from hms_desktop.services.pharmacy.pricing import tax_rule_rate
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

__all__ = ["ProductInput", "ProductView", "create_product", "find_products", "product", "product_by_barcode",
           "product_row", "product_view", "set_active", "update_product"]  # fmt: skip

MAX_LIMIT = 500


def _today(tx: Transaction) -> date:
    return local_today(clinic_settings(tx.session), tx.ctx.clock)


def product_view(tx: Transaction, p: OpticalProduct, today: date | None = None) -> ProductView:
    """The view of a product row, with its tax rate today (``today``: the clinic's date, when known)."""
    return view_of(p, optical_rate_on(tx.session, p, today or _today(tx)))


def product_row(tx: Transaction, product_id: object) -> OpticalProduct:
    """The product (active or not) for another optical service, in its transaction; NotFound once deleted."""
    p = tx.session.get(OpticalProduct, product_id) if isinstance(product_id, uuid.UUID) else None
    if p is None or p.deleted_at is not None:
        raise NotFound("That product is not in the optical catalogue (it may have been removed on another PC).")
    return p


def _request_id(request_id: object) -> uuid.UUID:
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each save its own id (a UUID).")
    return request_id


def _refuse_same_barcode(tx: Transaction, barcode: str | None, own_id: uuid.UUID | None) -> None:
    if barcode is None:
        return
    query = select(OpticalProduct).where(
        OpticalProduct.barcode.in_(barcode_forms(barcode)), OpticalProduct.deleted_at.is_(None)
    )
    if own_id is not None:
        query = query.where(OpticalProduct.id != own_id)
    other = tx.session.scalars(query).first()
    if other is not None:
        state = "" if other.is_active else ", inactive"
        raise Conflict(
            f"The barcode {barcode} is already on {other.name} ({other.sku}{state}); each product has its own."
        )


def _rate(tx: Transaction, columns: dict[str, Any], today: date, keep: int | None) -> int:
    """The product's own rate: as typed, else the rule's today, else what it had (``keep``)."""
    typed = columns["gst_rate_basis_points"]
    if isinstance(typed, int):
        return typed
    hsn = str(columns["hsn_code"])
    found = tax_rule_rate(tx.session, "optical", hsn_prefixes(hsn), today)
    if found is not None:
        return found
    if keep is not None:
        return keep
    raise ValidationError(
        "gst_rate",
        f"No optical tax rule covers HSN {hsn}: enter the GST rate (for example 5 or 18), or add the rule in "
        "Admin > Taxes.",
    )


def _apply(p: OpticalProduct, columns: dict[str, Any]) -> None:
    for name, value in columns.items():
        if getattr(p, name, None) != value:
            setattr(p, name, value)


@requires("optical.catalog")
def create_product(ctx: Context, data: ProductInput, request_id: uuid.UUID) -> ProductView:
    """Add a product to the catalogue (see the module's rules); again with ``request_id``: the first result."""
    rid = _request_id(request_id)
    with ctx.transaction() as tx:
        done = tx.session.get(OpticalProduct, rid)
        if done is not None:
            return product_view(tx, done)
        columns = clean_product(data)
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        columns["gst_rate_basis_points"] = _rate(tx, columns, today, None)
        _refuse_same_barcode(tx, columns["barcode"], None)
        p = OpticalProduct(id=rid, sku=next_code(tx, OPTICAL_PRODUCTS.resolve(settings), today), is_active=True,
                           stock_quantity=0)  # fmt: skip
        _apply(p, columns)
        tx.session.add(p)
        tx.flush()
        view = product_view(tx, p, today)
        tx.commit()
        return view


@requires("optical.catalog")
def update_product(ctx: Context, product_id: uuid.UUID, data: ProductInput) -> ProductView:
    """Change a product's details (its SKU and stock stay); the same rules as a new one."""
    with ctx.transaction() as tx:
        p = product_row(tx, product_id)
        columns = clean_product(data)
        today = _today(tx)
        columns["gst_rate_basis_points"] = _rate(tx, columns, today, p.gst_rate_basis_points)
        _refuse_same_barcode(tx, columns["barcode"], p.id)
        if p.is_stocked and not columns["is_stocked"]:
            held = stock.on_hand(tx, optical_product_id=p.id)
            if held:
                raise Conflict(
                    f"{p.name} ({p.sku}) has {held} on the shelf, so it cannot become made to order; count the "
                    "stock out first."
                )
        _apply(p, columns)
        tx.flush()
        view = product_view(tx, p, today)
        tx.commit()
        return view


@requires("optical.catalog")
def set_active(ctx: Context, product_id: uuid.UUID, active: bool) -> ProductView:
    """Retire a product from the searches (``active`` False) or bring it back."""
    if not isinstance(active, bool):
        raise ValidationError("active", "Say whether the product is active (yes or no).")
    with ctx.transaction() as tx:
        p = product_row(tx, product_id)
        if p.is_active != active:
            p.is_active = active
            tx.flush()
        view = product_view(tx, p)
        tx.commit()
        return view


@requires("optical.view")
def product(ctx: Context, product_id: uuid.UUID) -> ProductView:
    with ctx.transaction(readonly=True) as tx:
        return product_view(tx, product_row(tx, product_id))


def _scanned(code: str) -> tuple[str, ...]:
    text = "".join(code.split())
    return barcode_forms(text) if text.isdigit() else (text,)


@requires("optical.view")
def find_products(
    ctx: Context,
    text: str = "",
    category: str | None = None,
    in_stock_only: bool = False,
    limit: int = 50,
    *,
    include_inactive: bool = False,
) -> list[ProductView]:
    """Products matching ``text`` (see the module's rules), at most ``limit`` (1 to 500)."""
    query_text = clean_text(text, "text", label="The search", required=False, max_len=100)
    if category is not None and category not in OPTICAL_CATEGORIES:
        raise ValidationError("category", f"{category} is not a category; choose one of: "
                                          f"{', '.join(OPTICAL_CATEGORIES)}.")  # fmt: skip
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"Ask for 1 to {MAX_LIMIT} products.")
    with ctx.transaction(readonly=True) as tx:
        q = select(OpticalProduct).where(OpticalProduct.deleted_at.is_(None))
        if not include_inactive:
            q = q.where(OpticalProduct.is_active.is_(True))
        if category is not None:
            q = q.where(OpticalProduct.category == category)
        if in_stock_only:
            q = q.where(or_(OpticalProduct.is_stocked.is_(False), OpticalProduct.stock_quantity > 0))
        order = [func.lower(OpticalProduct.name), OpticalProduct.sku]
        if query_text:
            like = f"%{query_text.lower()}%"
            columns = (OpticalProduct.name, OpticalProduct.brand, OpticalProduct.model, OpticalProduct.sku,
                       OpticalProduct.barcode)  # fmt: skip
            q = q.where(or_(*(func.lower(c).like(like) for c in columns)))
            hit = or_(OpticalProduct.barcode.in_(_scanned(query_text)), OpticalProduct.sku == query_text.upper())
            order.insert(0, case((hit, 0), else_=1))
        rows = tx.session.scalars(q.order_by(*order).limit(limit))
        today = _today(tx)
        return [product_view(tx, p, today) for p in rows]


@requires("optical.view")
def product_by_barcode(ctx: Context, code: str) -> ProductView | None:
    """The product whose barcode (or SKU) was scanned, active or not; None for an unknown code."""
    text = "".join(code.split()) if isinstance(code, str) else ""
    if not text:
        return None
    with ctx.transaction(readonly=True) as tx:
        live = OpticalProduct.deleted_at.is_(None)
        p = tx.session.scalars(select(OpticalProduct).where(OpticalProduct.barcode.in_(_scanned(text)), live)).first()
        if p is None:
            p = tx.session.scalars(select(OpticalProduct).where(OpticalProduct.sku == text.upper(), live)).first()
        return product_view(tx, p) if p is not None else None
