"""Pharmacy (spec Phase 2): medicine catalog, batch stock, dispensing, returns.

Stock truth is the ``stock_movements`` ledger (inventory); ``medicine_batches.quantity_on_hand`` is a cache
of it. Dispensing a line and restocking a return each write a movement in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import (
    Base,
    LedgerMixin,
    Paise,
    TrackedMixin,
    code_column,
    ledger_args,
    non_negative,
    one_of,
    partial_unique,
)

MEDICINE_FORMS = ("tablet", "capsule", "syrup", "injection", "ointment", "drops", "other")
MEDICINE_UNITS = (
    "strip",
    "tablet",
    "capsule",
    "bottle",
    "vial",
    "ampoule",
    "tube",
    "sachet",
    "box",
    "piece",
)
DISPENSING_STATUSES = ("draft", "dispensed", "partially_returned", "returned", "cancelled")
# Statuses in which the medicines have left the pharmacy, so who and when must be recorded.
DISPENSED_STATUSES = ("dispensed", "partially_returned", "returned")
PHARMACY_RETURN_STATUSES = ("requested", "approved", "completed", "rejected")
# Drugs and Cosmetics Rules: "none" sells over the counter; H, H1 and X only on a prescription; H1 and X
# each keep a register of every supply.
DRUG_SCHEDULES = ("none", "H", "H1", "X")
REGISTER_SCHEDULES = ("H1", "X")

_DISPENSED = ", ".join(f"'{s}'" for s in DISPENSED_STATUSES)


class Medicine(TrackedMixin, Base):
    """A medicine in the catalog. ``code`` is the pharmacy's SKU; ``barcode`` (EAN) is unique among live rows.

    ``category`` is the clinic's own therapeutic grouping (free text). Prices here are catalog defaults;
    the price actually charged comes from the batch. ``unit`` is what is sold and counted (a tablet);
    ``pack_size`` is how many of them a pack holds (10 in a strip), so loose units sell from a strip and
    stock is counted in units. ``schedule`` is the Drugs and Cosmetics Rules schedule (none, H, H1, X);
    ``is_schedule_h`` says "only on a prescription" (any of H, H1, X), kept in step with it by a CHECK.
    """

    __tablename__ = "medicines"

    code: Mapped[str] = code_column()
    name: Mapped[str] = mapped_column(String(200), index=True)
    generic_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    category: Mapped[str] = mapped_column(String(80), default="")
    form: Mapped[str] = mapped_column(String(16))
    strength: Mapped[str] = mapped_column(String(64), default="")
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    hsn_code: Mapped[str] = mapped_column(String(8), default="")
    gst_rate_basis_points: Mapped[int] = mapped_column(Integer)
    mrp_paise: Mapped[int] = Paise(default=0)
    unit: Mapped[str] = mapped_column(String(16))
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    is_schedule_h: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str] = mapped_column(String(4), default="none")
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    barcode: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        one_of("form", MEDICINE_FORMS),
        one_of("unit", MEDICINE_UNITS),
        one_of("schedule", DRUG_SCHEDULES),
        CheckConstraint("is_schedule_h = (schedule <> 'none')", name="schedule_h_matches_schedule"),
        CheckConstraint("pack_size BETWEEN 1 AND 10000", name="pack_size_in_range"),
        *non_negative("mrp_paise", "reorder_level"),
        CheckConstraint("gst_rate_basis_points BETWEEN 0 AND 10000", name="gst_rate_in_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        partial_unique("uq_medicines_barcode_live", "barcode", where="barcode IS NOT NULL AND deleted_at IS NULL"),
    )


class MedicineBatch(TrackedMixin, Base):
    """Stock of one medicine from one manufacturer batch, with its expiry (FEFO picks the earliest).

    ``quantity_on_hand`` is a CACHED balance (in the medicine's units): it always equals the sum of
    ``stock_movements`` for this batch, is written in the same transaction as each movement, and is checked
    against the ledger (and rebuilt from it, never the other way round). ``mrp_paise`` is the batch's label
    MRP of one pack (tax-inclusive, as printed); ``cost_price_paise`` what one pack cost;
    ``sale_price_paise`` (per pack) may not exceed the MRP. ``location`` is the shelf or rack.
    ``grn_item_id`` names the goods-receipt line that created the batch; it is a plain id, not a foreign
    key, because the GRN line in turn references the batch it created (a cycle SQLite cannot order).
    """

    __tablename__ = "medicine_batches"

    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_number: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date]
    quantity_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    cost_price_paise: Mapped[int] = Paise(default=0)
    mrp_paise: Mapped[int] = Paise(default=0)
    sale_price_paise: Mapped[int] = Paise(default=0)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    received_at: Mapped[datetime]
    grn_item_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        UniqueConstraint("medicine_id", "batch_number"),
        *non_negative("quantity_on_hand", "cost_price_paise", "mrp_paise", "sale_price_paise"),
        CheckConstraint("sale_price_paise <= mrp_paise", name="sale_price_within_mrp"),
        CheckConstraint("length(batch_number) > 0", name="batch_number_not_empty"),
        # FEFO and the stock summary read (medicine, expiry, on hand) of live batches from this index alone
        Index(
            "ix_medicine_batches_live_stock",
            "medicine_id",
            "expiry_date",
            "quantity_on_hand",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )


class PharmacyDispensing(TrackedMixin, Base):
    """A dispensing (sale) header: to a patient, against a prescription or over the counter.

    ``dispensed_by_id``/``dispensed_at`` are empty while a draft and required once dispensed. Totals are
    the sums of the lines (computed by the service); ``invoice_id`` is set when billed.
    ``prescription_version`` is the version of the prescription that was filled; ``note`` the pharmacist's.
    """

    __tablename__ = "pharmacy_dispensing"

    code: Mapped[str] = code_column()
    prescription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    dispensed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    dispensed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    subtotal_paise: Mapped[int] = Paise(default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    discount_paise: Mapped[int] = Paise(default=0)
    total_paise: Mapped[int] = Paise(default=0)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    prescription_version: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (
        one_of("status", DISPENSING_STATUSES),
        *non_negative("subtotal_paise", "tax_paise", "discount_paise", "total_paise"),
        CheckConstraint(
            f"status NOT IN ({_DISPENSED}) OR (dispensed_at IS NOT NULL AND dispensed_by_id IS NOT NULL)",
            name="dispensed_has_who_and_when",
        ),
    )


class PharmacyDispensingItem(TrackedMixin, Base):
    """One dispensed line: a quantity from one batch at a unit price, with its tax.

    ``returned_quantity`` is a cache of the ``pharmacy_return_items`` quantities of completed returns,
    so a later return cannot take back more than was dispensed. ``pick_reason`` is why the pharmacist took
    this batch instead of the one FEFO chose (empty when FEFO chose it); ``substitute_note`` is set when a
    generic substitute was given for the prescribed medicine.
    """

    __tablename__ = "pharmacy_dispensing_items"

    dispensing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_dispensing.id"), index=True)
    prescription_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("prescription_items.id"), index=True)
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicine_batches.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_paise: Mapped[int] = Paise()
    tax_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    line_total_paise: Mapped[int] = Paise()
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    pick_reason: Mapped[str] = mapped_column(String(300), default="")
    substitute_note: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        *non_negative("unit_price_paise", "tax_paise", "line_total_paise", "returned_quantity"),
        CheckConstraint("tax_basis_points BETWEEN 0 AND 10000", name="tax_rate_in_range"),
        CheckConstraint("returned_quantity <= quantity", name="returned_within_dispensed"),
    )


class PharmacyReturn(TrackedMixin, Base):
    """A return of dispensed medicines: requested, approved (``approved_by_id``), completed or rejected."""

    __tablename__ = "pharmacy_returns"

    code: Mapped[str] = code_column()
    dispensing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_dispensing.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    refund_amount_paise: Mapped[int] = Paise(default=0)
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    returned_at: Mapped[datetime]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    __table_args__ = (
        one_of("status", PHARMACY_RETURN_STATUSES),
        *non_negative("refund_amount_paise"),
        CheckConstraint(
            "status NOT IN ('approved', 'completed') OR approved_by_id IS NOT NULL",
            name="approved_has_approver",
        ),
    )


class PharmacyReturnItem(TrackedMixin, Base):
    """One returned line. ``restock`` false (damaged, expired, opened) means no stock movement back in."""

    __tablename__ = "pharmacy_return_items"

    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_returns.id"), index=True)
    dispensing_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_dispensing_items.id"), index=True)
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"), index=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicine_batches.id"), index=True)
    quantity_returned: Mapped[int] = mapped_column(Integer)
    refund_paise: Mapped[int] = Paise(default=0)
    restock: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("quantity_returned > 0", name="quantity_returned_positive"),
        *non_negative("refund_paise"),
    )


class ScheduleRegisterEntry(LedgerMixin, Base):
    """The Schedule H1 (and X) register: one entry per supply, written when it is dispensed and never changed.

    Everything the rules ask for is copied in at the time of supply (prescriber's name and address, patient's
    name and address, drug, quantity, batch), so a later edit of a patient, doctor or medicine does not rewrite
    the register. Kept at least 3 years (H1) or 2 (X); the store never deletes ledger rows.
    """

    __tablename__ = "schedule_register"

    schedule: Mapped[str] = mapped_column(String(4), index=True)
    supplied_at: Mapped[datetime] = mapped_column(index=True)
    dispensing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_dispensing.id"), index=True)
    dispensing_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pharmacy_dispensing_items.id"), unique=True)
    dispensing_code: Mapped[str] = mapped_column(String(32))
    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    prescription_code: Mapped[str] = mapped_column(String(32))
    prescriber_name: Mapped[str] = mapped_column(String(200))
    prescriber_registration: Mapped[str] = mapped_column(String(200), default="")
    prescriber_address: Mapped[str] = mapped_column(String(500), default="")
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_address: Mapped[str] = mapped_column(String(500), default="")
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"), index=True)
    medicine_name: Mapped[str] = mapped_column(String(300))
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    batch_number: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date]
    quantity: Mapped[int] = mapped_column(Integer)
    dispensed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    dispensed_by_name: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = ledger_args(
        one_of("schedule", REGISTER_SCHEDULES),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
