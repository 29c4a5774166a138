"""Money in and out: invoices, payments, refunds, credit notes, end-of-day settlement (spec Phase 4).

Amounts are integer paise; GST is split per line (CGST + SGST within the hospital's state, IGST across
states) and rounded once per line (ROUND_HALF_UP); the invoice rounds its grand total to whole rupees.
Issued invoices are immutable: the services refuse to edit one once ``issued_at`` is set (only payment
progress and status move), and a correction is a credit note. ``payments`` and ``refunds`` are
append-only ledgers (the store refuses UPDATE/DELETE); an invoice's paid/refunded amounts are cached sums
of them.

``workstation_id`` is a plain id, not a foreign key, like ``refresh_tokens.workstation_id``: the
workstation may be another PC whose record has not arrived through sync yet.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, LedgerMixin, Paise, TrackedMixin, ledger_args, non_negative, one_of

INVOICE_STATUSES = ("draft", "issued", "partially_paid", "paid", "cancelled", "refunded")
SUPPLY_TYPES = ("intra_state", "inter_state")
INVOICE_ITEM_TYPES = ("consultation", "medicine", "lab", "optical", "procedure", "other")
PAYMENT_METHODS = ("cash", "card", "upi", "cheque", "bank_transfer", "insurance", "advance")
REFUND_METHODS = ("cash", "card", "upi", "cheque", "bank_transfer", "advance")
CREDIT_NOTE_STATUSES = ("draft", "issued", "cancelled")
SETTLEMENT_STATUSES = ("open", "closed", "approved")

# GST (CGST Rules, rule 46(b)): an invoice or credit note number is at most 16 characters.
GST_DOCUMENT_NUMBER_LENGTH = 16


def _gst_split(supply_type_column: str = "supply_type") -> CheckConstraint:
    """Intra-state supply carries CGST + SGST only; inter-state supply carries IGST only."""
    return CheckConstraint(
        f"({supply_type_column} = 'intra_state' AND igst_paise = 0) "
        f"OR ({supply_type_column} = 'inter_state' AND cgst_paise = 0 AND sgst_paise = 0)",
        name="gst_split_matches_supply_type",
    )


class Invoice(TrackedMixin, Base):
    """An invoice header with its GST breakup and payment progress.

    Immutable once issued (``issued_at`` set): the services change only ``status``,
    ``amount_paid_paise`` and ``amount_refunded_paise`` afterwards, and corrections go through
    ``credit_notes``. ``place_of_supply_state_code`` and ``supply_type`` decide CGST+SGST vs IGST.
    ``amount_paid_paise`` may exceed the grand total (an overpayment, later refunded).
    """

    __tablename__ = "invoices"

    invoice_number: Mapped[str] = mapped_column(String(GST_DOCUMENT_NUMBER_LENGTH), unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    invoice_date: Mapped[date] = mapped_column(index=True)
    issued_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    place_of_supply_state_code: Mapped[str] = mapped_column(String(2))
    supply_type: Mapped[str] = mapped_column(String(16), default="intra_state")
    subtotal_paise: Mapped[int] = Paise(default=0)
    discount_paise: Mapped[int] = Paise(default=0)
    taxable_paise: Mapped[int] = Paise(default=0)
    cgst_paise: Mapped[int] = Paise(default=0)
    sgst_paise: Mapped[int] = Paise(default=0)
    igst_paise: Mapped[int] = Paise(default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    round_off_paise: Mapped[int] = Paise(default=0)
    grand_total_paise: Mapped[int] = Paise(default=0)
    amount_paid_paise: Mapped[int] = Paise(default=0)
    amount_refunded_paise: Mapped[int] = Paise(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    cancelled_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        one_of("status", INVOICE_STATUSES),
        one_of("supply_type", SUPPLY_TYPES),
        CheckConstraint(
            f"length(invoice_number) BETWEEN 1 AND {GST_DOCUMENT_NUMBER_LENGTH}", name="invoice_number_length"
        ),
        CheckConstraint("length(place_of_supply_state_code) = 2", name="place_of_supply_state_code_length"),
        *non_negative(
            "subtotal_paise",
            "discount_paise",
            "taxable_paise",
            "cgst_paise",
            "sgst_paise",
            "igst_paise",
            "tax_paise",
            "grand_total_paise",
            "amount_paid_paise",
            "amount_refunded_paise",
        ),
        CheckConstraint("round_off_paise BETWEEN -99 AND 99", name="round_off_in_range"),
        CheckConstraint("discount_paise <= subtotal_paise", name="discount_within_subtotal"),
        CheckConstraint("grand_total_paise = taxable_paise + tax_paise + round_off_paise", name="grand_total_adds_up"),
        CheckConstraint("amount_refunded_paise <= amount_paid_paise", name="refunded_within_paid"),
        _gst_split(),
        # A draft has no issue time; every issued state has one (a draft may be cancelled unissued).
        CheckConstraint(
            "(status = 'draft' AND issued_at IS NULL) OR status = 'cancelled' "
            "OR (status IN ('issued', 'partially_paid', 'paid', 'refunded') AND issued_at IS NOT NULL)",
            name="issued_at_matches_status",
        ),
    )


class InvoiceItem(TrackedMixin, Base):
    """One charge on an invoice, with its tax breakup (rounded per line).

    ``reference_type``/``reference_id`` point at the source row (e.g. ``pharmacy_dispensing_items``,
    ``lab_orders``, ``optical_orders``) without a foreign key, since the source table varies.
    ``tax_configuration_id`` (not named by the spec) records which tax rule gave the rate; the rate itself
    is copied into ``tax_rate_basis_points`` so a later change to the rule never rewrites an invoice.
    """

    __tablename__ = "invoice_items"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    tax_configuration_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tax_configurations.id"), index=True)
    hsn_sac_code: Mapped[str] = mapped_column(String(8), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_paise: Mapped[int] = Paise()
    discount_paise: Mapped[int] = Paise(default=0)
    taxable_paise: Mapped[int] = Paise()
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    cgst_paise: Mapped[int] = Paise(default=0)
    sgst_paise: Mapped[int] = Paise(default=0)
    igst_paise: Mapped[int] = Paise(default=0)
    line_total_paise: Mapped[int] = Paise()

    __table_args__ = (
        UniqueConstraint("invoice_id", "line_no"),
        one_of("item_type", INVOICE_ITEM_TYPES),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("length(description) > 0", name="description_not_empty"),
        CheckConstraint("tax_rate_basis_points BETWEEN 0 AND 10000", name="tax_rate_in_range"),
        *non_negative(
            "unit_price_paise",
            "discount_paise",
            "taxable_paise",
            "cgst_paise",
            "sgst_paise",
            "igst_paise",
            "line_total_paise",
        ),
        CheckConstraint("discount_paise <= quantity * unit_price_paise", name="discount_within_gross"),
        CheckConstraint("(reference_type IS NULL) = (reference_id IS NULL)", name="reference_type_and_id_together"),
    )


class Payment(LedgerMixin, Base):
    """Money received against an invoice (append-only; a mistake is undone by a refund, never an edit).

    ``idempotency_key`` is made by the client once per Save, so a double-click or a retry after power loss
    records one payment. ``workstation_id`` (not named by the spec) ties the payment to the till for the
    daily settlement.
    """

    __tablename__ = "payments"

    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_paise: Mapped[int] = Paise()
    transaction_ref: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(index=True)
    received_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    workstation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = ledger_args(
        one_of("method", PAYMENT_METHODS),
        CheckConstraint("amount_paise > 0", name="amount_positive"),
        CheckConstraint("length(idempotency_key) > 0", name="idempotency_key_not_empty"),
    )


class Refund(LedgerMixin, Base):
    """Money paid back against an earlier payment (append-only).

    ``workstation_id`` (not named by the spec) places the refund in the right till's daily settlement;
    ``idempotency_key`` works as on ``payments``. ``approved_by_id`` is who authorised it.
    """

    __tablename__ = "refunds"

    refund_number: Mapped[str] = mapped_column(String(20), unique=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    amount_paise: Mapped[int] = Paise()
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    refunded_at: Mapped[datetime] = mapped_column(index=True)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    workstation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    __table_args__ = ledger_args(
        one_of("method", REFUND_METHODS),
        CheckConstraint("amount_paise > 0", name="amount_positive"),
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        CheckConstraint("length(idempotency_key) > 0", name="idempotency_key_not_empty"),
    )


class CreditNote(TrackedMixin, Base):
    """A GST credit note reducing an issued invoice (the only way to correct one).

    ``items`` is a JSON list of the credited lines (invoice line number, quantity, amounts), copied so the
    note stays readable as issued. Like invoices, immutable once issued.
    """

    __tablename__ = "credit_notes"

    credit_note_number: Mapped[str] = mapped_column(String(GST_DOCUMENT_NUMBER_LENGTH), unique=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    issued_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    reason: Mapped[str] = mapped_column(String(500))
    taxable_paise: Mapped[int] = Paise(default=0)
    cgst_paise: Mapped[int] = Paise(default=0)
    sgst_paise: Mapped[int] = Paise(default=0)
    igst_paise: Mapped[int] = Paise(default=0)
    total_paise: Mapped[int] = Paise(default=0)
    items: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (
        one_of("status", CREDIT_NOTE_STATUSES),
        CheckConstraint(
            f"length(credit_note_number) BETWEEN 1 AND {GST_DOCUMENT_NUMBER_LENGTH}",
            name="credit_note_number_length",
        ),
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        *non_negative("taxable_paise", "cgst_paise", "sgst_paise", "igst_paise", "total_paise"),
        CheckConstraint("status <> 'issued' OR issued_at IS NOT NULL", name="issued_has_issued_at"),
        CheckConstraint("status <> 'draft' OR issued_at IS NULL", name="draft_not_issued"),
    )


class DailySettlement(TrackedMixin, Base):
    """One cashier's end-of-day reconciliation at one workstation.

    The ``expected_*`` amounts are sums of the day's ``payments`` minus ``refunds`` for this cashier and
    till; ``counted_cash_paise`` is what was in the drawer (null until counted); ``discrepancy_paise`` is
    counted minus expected and may be negative. ``by_method`` keeps the per-method totals as computed.
    """

    __tablename__ = "daily_settlements"

    settlement_date: Mapped[date] = mapped_column(index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    workstation_id: Mapped[uuid.UUID]
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    expected_cash_paise: Mapped[int] = Paise(default=0)
    counted_cash_paise: Mapped[int | None] = Paise()
    expected_card_paise: Mapped[int] = Paise(default=0)
    expected_upi_paise: Mapped[int] = Paise(default=0)
    expected_other_paise: Mapped[int] = Paise(default=0)
    total_collected_paise: Mapped[int] = Paise(default=0)
    total_refunded_paise: Mapped[int] = Paise(default=0)
    discrepancy_paise: Mapped[int] = Paise(default=0)
    by_method: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    __table_args__ = (
        UniqueConstraint("settlement_date", "cashier_id", "workstation_id"),
        one_of("status", SETTLEMENT_STATUSES),
        *non_negative(
            "expected_cash_paise",
            "counted_cash_paise",
            "expected_card_paise",
            "expected_upi_paise",
            "expected_other_paise",
            "total_collected_paise",
            "total_refunded_paise",
        ),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opened"),
        CheckConstraint("status = 'open' OR closed_at IS NOT NULL", name="closed_has_closed_at"),
        CheckConstraint("status <> 'approved' OR approved_by_id IS NOT NULL", name="approved_has_approver"),
    )
