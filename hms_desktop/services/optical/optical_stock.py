"""Optical stock on the shelf: frames, sunglasses, contact lenses, solutions and accessories received and
counted through the stock ledger (``hms_desktop.stock``), and the reorder alerts.

Rules:
- ``receive_optical_stock`` (``inventory.receive``): one ``receipt`` movement of 1 to 100,000 pieces;
  ``count_optical_stock`` (``inventory.count``): one ``cycle_count`` movement that brings the ledger to what
  was counted (none when it is already there; this also clears a shortfall from two PCs selling offline). A
  note of at most 500 characters is kept on the movement. ``optical.catalog`` alone does not move stock:
  ``sync/table_rights.py`` lets only the stock rights write ``stock_movements``.
- Made-to-order products (most spectacle lenses: ``is_stocked`` False) have no stock: both are refused,
  naming the product, and nothing is written. Inactive products may still be received and counted (their
  stock has to be sold or counted out).
- A manual receipt or count has no source row of its own: its movement names the screen's ``request_id``
  (``reference_type`` "optical_receipt" / "optical_count"), so a retried Save finds it and returns the
  product as it is, moving nothing twice.
- ``optical_stock_alerts`` (``optical.view``): active stocked products with a reorder level above zero whose
  stock is at or below it, the largest gap first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from db.models.inventory import StockMovement
from db.models.optical import OpticalProduct
from hms_desktop import stock
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.optical.catalog import product_row, product_view
from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.pharmacy.catalog_rules import whole_number
from hms_desktop.validation import clean_text

RECEIPT = "optical_receipt"
COUNT = "optical_count"
MAX_QUANTITY = 100_000


@dataclass(frozen=True, kw_only=True)
class OpticalStockAlert:
    product_id: uuid.UUID
    sku: str
    name: str
    category: str
    on_hand: int
    reorder_level: int

    @property
    def short_by(self) -> int:
        """How many to order to be back above the reorder level (at least one)."""
        return self.reorder_level - self.on_hand + 1


def _request_id(request_id: object) -> uuid.UUID:
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each entry its own id (a UUID).")
    return request_id


def _done(tx: Transaction, kind: str, request_id: uuid.UUID) -> bool:
    found = tx.session.scalar(
        select(StockMovement.id).where(StockMovement.reference_type == kind, StockMovement.reference_id == request_id)
    )
    return found is not None


def _stocked(p: OpticalProduct, doing: str) -> None:
    if not p.is_stocked:
        raise Conflict(f"{p.name} ({p.sku}) is made to order for each patient: it has no stock to {doing}.")


@requires("inventory.receive")
def receive_optical_stock(
    ctx: Context, product_id: uuid.UUID, quantity: int | str, note: str, request_id: uuid.UUID
) -> ProductView:
    """Put ``quantity`` pieces of a stocked product on the shelf (see the module's rules)."""
    rid = _request_id(request_id)
    with ctx.transaction() as tx:
        p = product_row(tx, product_id)
        if not _done(tx, RECEIPT, rid):
            _stocked(p, "receive")
            count = whole_number(quantity, "quantity", "The quantity received", 1, MAX_QUANTITY)
            text = clean_text(note, "note", label="The note", required=False, max_len=stock.NOTE_LENGTH)
            stock.move(tx, optical_product_id=p.id, quantity_delta=count, movement_type="receipt",
                       reference_type=RECEIPT, reference_id=rid, reason=text)  # fmt: skip
        view = product_view(tx, p)
        tx.commit()
        return view


@requires("inventory.count")
def count_optical_stock(
    ctx: Context, product_id: uuid.UUID, counted: int | str, note: str, request_id: uuid.UUID
) -> ProductView:
    """Record a shelf count of a stocked product: the ledger is brought to ``counted`` (module rules)."""
    rid = _request_id(request_id)
    with ctx.transaction() as tx:
        p = product_row(tx, product_id)
        if not _done(tx, COUNT, rid):
            _stocked(p, "count")
            number = whole_number(counted, "counted", "The counted quantity", 0, MAX_QUANTITY)
            text = clean_text(note, "note", label="The note", required=False, max_len=stock.NOTE_LENGTH)
            stock.count(tx, optical_product_id=p.id, counted=number, reference_type=COUNT, reference_id=rid,
                        reason=text or "Shelf count")  # fmt: skip
        view = product_view(tx, p)
        tx.commit()
        return view


@requires("optical.view")
def optical_stock_alerts(ctx: Context) -> list[OpticalStockAlert]:
    """Active stocked products at or below their reorder level, the largest gap first."""
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.execute(
            select(OpticalProduct.id, OpticalProduct.sku, OpticalProduct.name, OpticalProduct.category,
                   OpticalProduct.stock_quantity, OpticalProduct.reorder_level)
            .where(OpticalProduct.deleted_at.is_(None), OpticalProduct.is_active.is_(True),
                   OpticalProduct.is_stocked.is_(True), OpticalProduct.reorder_level > 0,
                   OpticalProduct.stock_quantity <= OpticalProduct.reorder_level)
        ).all()  # fmt: skip
        alerts = [
            OpticalStockAlert(product_id=i, sku=sku, name=name, category=kind, on_hand=held, reorder_level=level)
            for i, sku, name, kind, held, level in rows
        ]
        return sorted(alerts, key=lambda a: (-a.short_by, a.name.lower(), a.sku))
