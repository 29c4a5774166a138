"""Stock: suppliers, purchasing, goods receipt, the stock ledger, adjustments, cycle counts (spec Phase 4).

Medicines are stocked per batch (``medicine_batches``), optical products per product. A row about stock
names its item by ``item_kind`` plus exactly one target, checked by ``item_target`` below. Whether a
batch belongs to the named medicine is checked by the services (and by ``hms check``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import (
    Base,
    LedgerMixin,
    Paise,
    TrackedMixin,
    ledger_args,
    non_negative,
    one_of,
    partial_unique,
    sql_in,
)

ITEM_KINDS = ("medicine", "optical")
PURCHASE_ORDER_STATUSES = ("draft", "sent", "partially_received", "received", "cancelled", "closed")
GRN_STATUSES = ("draft", "posted", "cancelled")
STOCK_MOVEMENT_TYPES = (
    "opening",
    "receipt",
    "dispense",
    "return",
    "adjustment",
    "transfer_in",
    "transfer_out",
    "expiry_writeoff",
    "cycle_count",
)
INBOUND_MOVEMENT_TYPES = ("opening", "receipt", "transfer_in")  # always add stock
OUTBOUND_MOVEMENT_TYPES = ("dispense", "transfer_out", "expiry_writeoff")  # always remove stock
ADJUSTMENT_REASONS = ("damage", "expiry", "theft", "count_correction", "other")
ADJUSTMENT_STATUSES = ("requested", "approved", "rejected", "applied")
CYCLE_COUNT_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")


def item_target(with_batch: bool) -> CheckConstraint:
    """Medicine rows name a medicine (and its batch when ``with_batch``); optical rows name a product only."""
    medicine = "medicine_id IS NOT NULL AND optical_product_id IS NULL"
    optical = "optical_product_id IS NOT NULL AND medicine_id IS NULL"
    if with_batch:
        medicine += " AND batch_id IS NOT NULL"
        optical += " AND batch_id IS NULL"
    return CheckConstraint(
        f"(item_kind = 'medicine' AND {medicine}) OR (item_kind = 'optical' AND {optical})",
        name="item_target",
    )


class Supplier(TrackedMixin, Base):
    """A vendor of medicines or optical goods. ``state_code`` decides CGST+SGST vs IGST on purchases."""

    __tablename__ = "suppliers"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    gstin: Mapped[str | None] = mapped_column(String(15))
    state_code: Mapped[str | None] = mapped_column(String(2))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=0)
    drug_licence_number: Mapped[str] = mapped_column(String(64), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("gstin IS NULL OR length(gstin) = 15", name="gstin_length"),
        CheckConstraint("state_code IS NULL OR length(state_code) = 2", name="state_code_length"),
        # A GSTIN starts with its state code.
        CheckConstraint("gstin IS NULL OR state_code = substr(gstin, 1, 2)", name="state_code_matches_gstin"),
        *non_negative("payment_terms_days"),
    )


class PurchaseOrder(TrackedMixin, Base):
    """An order to a supplier; its lines are ``purchase_order_items``."""

    __tablename__ = "purchase_orders"

    po_number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), index=True)
    order_date: Mapped[date]
    expected_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    subtotal_paise: Mapped[int] = Paise(default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    total_paise: Mapped[int] = Paise(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    __table_args__ = (
        one_of("status", PURCHASE_ORDER_STATUSES),
        *non_negative("subtotal_paise", "tax_paise", "total_paise"),
        CheckConstraint("total_paise = subtotal_paise + tax_paise", name="total_adds_up"),
        CheckConstraint("expected_date IS NULL OR expected_date >= order_date", name="expected_after_order"),
    )


class PurchaseOrderItem(TrackedMixin, Base):
    """One line of a purchase order. ``received_quantity`` is advanced by posted GRNs (may exceed the
    ordered quantity when a supplier adds free goods)."""

    __tablename__ = "purchase_order_items"

    po_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    optical_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_products.id"), index=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price_paise: Mapped[int] = Paise()
    tax_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    line_total_paise: Mapped[int] = Paise()

    __table_args__ = (
        one_of("item_kind", ITEM_KINDS),
        item_target(with_batch=False),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("tax_basis_points BETWEEN 0 AND 10000", name="tax_in_range"),
        *non_negative("received_quantity", "unit_price_paise", "line_total_paise"),
    )


class GoodsReceiptNote(TrackedMixin, Base):
    """Goods received from a supplier (against a PO or not). Posting it creates the medicine batches and
    the ``receipt`` stock movements. One supplier bill cannot be posted twice (partial unique index)."""

    __tablename__ = "goods_receipt_notes"

    grn_number: Mapped[str] = mapped_column(String(32), unique=True)
    po_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), index=True)
    received_date: Mapped[date]
    supplier_invoice_number: Mapped[str] = mapped_column(String(64), default="")
    inspected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    notes: Mapped[str] = mapped_column(Text, default="")
    total_paise: Mapped[int] = Paise(default=0)

    __table_args__ = (
        one_of("status", GRN_STATUSES),
        *non_negative("total_paise"),
        partial_unique(
            "uq_goods_receipt_notes_supplier_bill",
            "supplier_id",
            "supplier_invoice_number",
            where="supplier_invoice_number <> '' AND status <> 'cancelled'",
        ),
    )


class GrnItem(TrackedMixin, Base):
    """One received line: what arrived, how much was accepted, batch and expiry (medicines), cost and MRP.

    ``medicine_batch_id`` is the batch created when the GRN is posted (medicine rows only). Quantities are
    in packs (strips, bottles) as the supplier bills them, ``unit_cost_paise`` and ``mrp_paise`` per pack;
    rejected = received - accepted; ``free_quantity`` is packs the supplier added free (no cost). The stock
    that goes in is (accepted + free) x the medicine's pack size, in units.
    """

    __tablename__ = "grn_items"

    grn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goods_receipt_notes.id"), index=True)
    po_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("purchase_order_items.id"), index=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    optical_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_products.id"), index=True)
    batch_number: Mapped[str] = mapped_column(String(64), default="")
    expiry_date: Mapped[date | None]
    received_quantity: Mapped[int] = mapped_column(Integer)
    accepted_quantity: Mapped[int] = mapped_column(Integer)
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    unit_cost_paise: Mapped[int] = Paise()
    mrp_paise: Mapped[int] = Paise(default=0)
    medicine_batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicine_batches.id"), index=True)
    free_quantity: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        one_of("item_kind", ITEM_KINDS),
        item_target(with_batch=False),
        *non_negative("received_quantity", "accepted_quantity", "unit_cost_paise", "mrp_paise", "free_quantity"),
        CheckConstraint("accepted_quantity <= received_quantity", name="accepted_within_received"),
        CheckConstraint(
            "item_kind <> 'medicine' OR (length(batch_number) > 0 AND expiry_date IS NOT NULL)",
            name="medicine_has_batch_and_expiry",
        ),
        CheckConstraint("item_kind = 'medicine' OR medicine_batch_id IS NULL", name="batch_only_for_medicine"),
    )


class StockMovement(LedgerMixin, Base):
    """The stock ledger: every change of stock is one append-only row (a correction is a reversing row).

    On-hand of a batch (or an optical product) = SUM(quantity_delta) of its rows. The cached
    ``medicine_batches.quantity_on_hand`` and ``optical_products.stock_quantity`` must equal that sum;
    ``hms check`` verifies it. Inbound types always add and outbound types always remove (CHECK);
    ``return``, ``adjustment`` and ``cycle_count`` may go either way. ``reference_type``/``reference_id``
    name the source row (a GRN item, a dispensing item, an adjustment...). ``workstation_id`` is a plain id
    (see ``db.models.billing``).
    """

    __tablename__ = "stock_movements"

    item_kind: Mapped[str] = mapped_column(String(16))
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicine_batches.id"))  # ix_..._batch_ledger
    optical_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_products.id"))  # see Index
    movement_type: Mapped[str] = mapped_column(String(20))
    quantity_delta: Mapped[int] = mapped_column(Integer)
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID | None]
    moved_at: Mapped[datetime] = mapped_column(index=True)
    workstation_id: Mapped[uuid.UUID | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = ledger_args(
        one_of("item_kind", ITEM_KINDS),
        one_of("movement_type", STOCK_MOVEMENT_TYPES),
        item_target(with_batch=True),
        CheckConstraint("quantity_delta <> 0", name="quantity_delta_non_zero"),
        CheckConstraint(
            f"NOT ({sql_in('movement_type', INBOUND_MOVEMENT_TYPES)}) OR quantity_delta > 0",
            name="inbound_adds",
        ),
        CheckConstraint(
            f"NOT ({sql_in('movement_type', OUTBOUND_MOVEMENT_TYPES)}) OR quantity_delta < 0",
            name="outbound_removes",
        ),
        Index("ix_stock_movements_reference", "reference_type", "reference_id"),
        # a batch's ledger sum from the index alone (stock.move, pull recomputes, hms check, shortfalls)
        Index("ix_stock_movements_batch_ledger", "batch_id", "quantity_delta"),
        Index("ix_stock_movements_optical_ledger", "optical_product_id", "quantity_delta"),  # the same for optical
    )


class StockAdjustment(TrackedMixin, Base):
    """A manual stock correction: requested, approved (or rejected), then applied as one stock movement."""

    __tablename__ = "stock_adjustments"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicine_batches.id"), index=True)
    optical_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_products.id"), index=True)
    quantity_change: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    reason_text: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    approved_at: Mapped[datetime | None]
    stock_movement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_movements.id"), unique=True)

    __table_args__ = (
        one_of("item_kind", ITEM_KINDS),
        one_of("reason", ADJUSTMENT_REASONS),
        one_of("status", ADJUSTMENT_STATUSES),
        item_target(with_batch=True),
        CheckConstraint("quantity_change <> 0", name="quantity_change_non_zero"),
        CheckConstraint(
            "status NOT IN ('approved', 'applied') OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name="approved_has_approver",
        ),
        CheckConstraint("status <> 'applied' OR stock_movement_id IS NOT NULL", name="applied_has_movement"),
    )


class CycleCount(TrackedMixin, Base):
    """A physical stock verification session; ``scope`` describes what is counted (shelf, category...)."""

    __tablename__ = "cycle_counts"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    scheduled_date: Mapped[date]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    scope: Mapped[str] = mapped_column(Text, default="")
    counted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    items_counted: Mapped[int] = mapped_column(Integer, default=0)
    discrepancy_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        one_of("status", CYCLE_COUNT_STATUSES),
        *non_negative("items_counted", "discrepancy_count"),
        CheckConstraint("discrepancy_count <= items_counted", name="discrepancies_within_counted"),
        CheckConstraint(
            "completed_at IS NULL OR (started_at IS NOT NULL AND completed_at >= started_at)",
            name="completed_after_started",
        ),
        CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_completed_at"),
    )


class CycleCountItem(TrackedMixin, Base):
    """One counted batch or optical product: system vs physical quantity; ``variance`` = physical - system.

    A variance is corrected through a ``stock_adjustments`` row (``adjustment_id``).
    """

    __tablename__ = "cycle_count_items"

    cycle_count_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle_counts.id"), index=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicine_batches.id"), index=True)
    optical_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_products.id"), index=True)
    system_quantity: Mapped[int] = mapped_column(Integer)
    physical_quantity: Mapped[int | None] = mapped_column(Integer)
    variance: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    adjustment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_adjustments.id"), index=True)

    __table_args__ = (
        # One row per batch / product in a count (NULLs never collide, so each applies to its own kind).
        UniqueConstraint("cycle_count_id", "batch_id"),
        UniqueConstraint("cycle_count_id", "optical_product_id"),
        one_of("item_kind", ITEM_KINDS),
        item_target(with_batch=True),
        *non_negative("system_quantity", "physical_quantity"),
        CheckConstraint(
            "variance IS NULL OR (physical_quantity IS NOT NULL AND variance = physical_quantity - system_quantity)",
            name="variance_is_difference",
        ),
    )
