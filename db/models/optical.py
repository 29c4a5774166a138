"""Optical (spec Phase 2): product catalog, eye prescriptions, spectacle/contact-lens orders, repairs.

Powers are integer hundredths of a dioptre (-2.25 D = -225) so they compare and sum exactly; the CHECKs
bound the ranges and the service validates the 0.25 D steps. Distances are integer tenths of a millimetre.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
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

OPTICAL_CATEGORIES = ("frame", "sunglasses", "lens", "contact_lens", "solution", "accessory")
RIM_TYPES = ("", "full_rim", "half_rim", "rimless")
REPLACEMENT_SCHEDULES = ("", "daily", "fortnightly", "monthly", "quarterly", "yearly")
LENS_TYPES = (
    "single_vision",
    "bifocal",
    "progressive",
    "office",
    "plano",
    "spherical",
    "toric",
    "multifocal",
)
PRISM_BASES = ("in", "out", "up", "down")
# in_lab: sent to the lab; received: back from the lab, waiting for quality check (pass -> ready; fail -> in_lab
# again as a remake).
OPTICAL_ORDER_STATUSES = ("draft", "confirmed", "in_lab", "received", "ready", "delivered", "cancelled")
EYES = ("right", "left", "both", "none")
REPAIR_STATUSES = ("received", "in_progress", "waiting_for_parts", "ready", "delivered", "cancelled")


class OpticalProduct(TrackedMixin, Base):
    """A frame, lens, contact lens, solution or accessory. ``barcode`` is unique among live rows.

    ``lens_type`` applies to lenses and contact lenses only (empty otherwise). ``stock_quantity`` is a
    CACHED balance: it always equals the sum of ``stock_movements`` for this product, is written in the
    same transaction as each movement, and is checked against (and rebuilt from) the ledger.
    """

    __tablename__ = "optical_products"

    sku: Mapped[str] = code_column()
    name: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    brand: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    color: Mapped[str] = mapped_column(String(50), default="")
    size: Mapped[str] = mapped_column(String(32), default="")
    lens_type: Mapped[str | None] = mapped_column(String(16))
    material: Mapped[str] = mapped_column(String(64), default="")
    hsn_code: Mapped[str] = mapped_column(String(8), default="")
    gst_rate_basis_points: Mapped[int] = mapped_column(Integer)
    mrp_paise: Mapped[int] = Paise(default=0)
    cost_price_paise: Mapped[int] = Paise(default=0)
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # False: made to order (most spectacle lenses): never on the shelf, no stock movements.
    is_stocked: Mapped[bool] = mapped_column(Boolean, default=True)
    # Frames and sunglasses: the box size printed on the temple (A lens width, B lens height, DBL bridge), mm.
    rim_type: Mapped[str] = mapped_column(String(16), default="")
    frame_a_mm: Mapped[int | None] = mapped_column(Integer)
    frame_b_mm: Mapped[int | None] = mapped_column(Integer)
    frame_dbl_mm: Mapped[int | None] = mapped_column(Integer)
    temple_mm: Mapped[int | None] = mapped_column(Integer)
    # Lenses: refractive index in hundredths (1.67 = 167), coatings and tint offered, and the powers the lens
    # can be made in (hundredths of a dioptre; cylinder in minus-cylinder form, so cylinder_max <= 0).
    lens_index: Mapped[int | None] = mapped_column(Integer)
    coatings: Mapped[str] = mapped_column(String(200), default="")
    tint: Mapped[str] = mapped_column(String(64), default="")
    sphere_min: Mapped[int | None] = mapped_column(Integer)
    sphere_max: Mapped[int | None] = mapped_column(Integer)
    cylinder_min: Mapped[int | None] = mapped_column(Integer)
    cylinder_max: Mapped[int | None] = mapped_column(Integer)
    add_min: Mapped[int | None] = mapped_column(Integer)
    add_max: Mapped[int | None] = mapped_column(Integer)
    # Contact lenses: base curve and diameter in tenths of a mm (8.6 mm = 86), how often they are replaced.
    base_curve_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    diameter_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    replacement_schedule: Mapped[str] = mapped_column(String(16), default="")

    __table_args__ = (
        one_of("category", OPTICAL_CATEGORIES),
        one_of("lens_type", LENS_TYPES),
        one_of("rim_type", RIM_TYPES),
        one_of("replacement_schedule", REPLACEMENT_SCHEDULES),
        CheckConstraint("frame_a_mm BETWEEN 20 AND 90", name="frame_a_in_range"),
        CheckConstraint("frame_b_mm BETWEEN 10 AND 70", name="frame_b_in_range"),
        CheckConstraint("frame_dbl_mm BETWEEN 8 AND 30", name="frame_dbl_in_range"),
        CheckConstraint("temple_mm BETWEEN 100 AND 170", name="temple_in_range"),
        CheckConstraint("lens_index BETWEEN 140 AND 200", name="lens_index_in_range"),
        CheckConstraint("sphere_min IS NULL OR sphere_max IS NULL OR sphere_min <= sphere_max", name="sphere_range"),
        CheckConstraint(
            "cylinder_min IS NULL OR cylinder_max IS NULL OR cylinder_min <= cylinder_max", name="cylinder_range"
        ),
        CheckConstraint("cylinder_max IS NULL OR cylinder_max <= 0", name="cylinder_range_minus_form"),
        CheckConstraint("add_min IS NULL OR add_max IS NULL OR add_min <= add_max", name="add_range"),
        CheckConstraint("base_curve_mm_tenths BETWEEN 70 AND 100", name="base_curve_in_range"),
        CheckConstraint("diameter_mm_tenths BETWEEN 80 AND 160", name="diameter_in_range"),
        *non_negative("mrp_paise", "cost_price_paise", "stock_quantity", "reorder_level"),
        CheckConstraint("gst_rate_basis_points BETWEEN 0 AND 10000", name="gst_rate_in_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        partial_unique(
            "uq_optical_products_barcode_live", "barcode", where="barcode IS NOT NULL AND deleted_at IS NULL"
        ),
    )


def _eye_checks(eye: str) -> list[Any]:
    """Range CHECKs for one eye's columns (``right_``/``left_``); NULL (not measured) always passes."""
    p = f"{eye}_"
    return [
        CheckConstraint(f"{p}sphere BETWEEN -3000 AND 3000", name=f"{p}sphere_in_range"),
        CheckConstraint(f"{p}cylinder BETWEEN -1000 AND 1000", name=f"{p}cylinder_in_range"),
        CheckConstraint(f"{p}axis BETWEEN 0 AND 180", name=f"{p}axis_in_range"),
        CheckConstraint(f"{p}cylinder IS NULL OR {p}cylinder = 0 OR {p}axis IS NOT NULL", name=f"{p}cylinder_has_axis"),
        CheckConstraint(f"{p}add_power BETWEEN 0 AND 400", name=f"{p}add_power_in_range"),
        CheckConstraint(f"{p}prism BETWEEN 0 AND 2000", name=f"{p}prism_in_range"),
        one_of(f"{p}prism_base", PRISM_BASES, name=f"{p}prism_base"),
        CheckConstraint(f"{p}prism IS NULL OR {p}prism = 0 OR {p}prism_base IS NOT NULL", name=f"{p}prism_has_base"),
        CheckConstraint(f"{p}pd_mm_tenths BETWEEN 150 AND 450", name=f"{p}pd_in_range"),
    ]


class OpticalPrescription(TrackedMixin, Base):
    """An eye (spectacle) prescription, per eye: sphere, cylinder, axis, add, prism, visual acuity.

    Powers in hundredths of a dioptre, axis in whole degrees, prism in hundredths of a prism dioptre with
    its base direction. ``pd_mm_tenths`` is the binocular pupillary distance (62.5 mm = 625);
    ``right_pd_mm_tenths``/``left_pd_mm_tenths`` are the monocular ones when measured instead. An eye's
    columns are empty when that eye was not prescribed for.
    """

    __tablename__ = "optical_prescriptions"

    code: Mapped[str] = code_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    examined_at: Mapped[datetime]

    right_sphere: Mapped[int | None] = mapped_column(Integer)
    right_cylinder: Mapped[int | None] = mapped_column(Integer)
    right_axis: Mapped[int | None] = mapped_column(Integer)
    right_add_power: Mapped[int | None] = mapped_column(Integer)
    right_prism: Mapped[int | None] = mapped_column(Integer)
    right_prism_base: Mapped[str | None] = mapped_column(String(8))
    right_visual_acuity: Mapped[str | None] = mapped_column(String(16))
    right_near_acuity: Mapped[str | None] = mapped_column(String(8))  # N-notation: "N6"
    right_pd_mm_tenths: Mapped[int | None] = mapped_column(Integer)

    left_sphere: Mapped[int | None] = mapped_column(Integer)
    left_cylinder: Mapped[int | None] = mapped_column(Integer)
    left_axis: Mapped[int | None] = mapped_column(Integer)
    left_add_power: Mapped[int | None] = mapped_column(Integer)
    left_prism: Mapped[int | None] = mapped_column(Integer)
    left_prism_base: Mapped[str | None] = mapped_column(String(8))
    left_visual_acuity: Mapped[str | None] = mapped_column(String(16))
    left_near_acuity: Mapped[str | None] = mapped_column(String(8))  # N-notation: "N6"
    left_pd_mm_tenths: Mapped[int | None] = mapped_column(Integer)

    pd_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    lens_recommendation: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    valid_until: Mapped[date | None]
    # An outside prescription typed in at the optical counter: who wrote it (doctor_id is then empty).
    external_prescriber: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        *_eye_checks("right"),
        *_eye_checks("left"),
        CheckConstraint("pd_mm_tenths BETWEEN 300 AND 900", name="pd_in_range"),
    )


class OpticalOrder(TrackedMixin, Base):
    """An order for spectacles, lenses or optical goods, usually made from an eye prescription.

    ``advance_paise`` is what the patient paid on ordering (it cannot exceed the total); ``invoice_id`` is
    set when billed.
    """

    __tablename__ = "optical_orders"

    code: Mapped[str] = code_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    optical_prescription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("optical_prescriptions.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    ordered_at: Mapped[datetime]
    promised_date: Mapped[date | None]
    delivered_at: Mapped[datetime | None]
    subtotal_paise: Mapped[int] = Paise(default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    discount_paise: Mapped[int] = Paise(default=0)
    total_paise: Mapped[int] = Paise(default=0)
    advance_paise: Mapped[int] = Paise(default=0)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # Fitting measurements for the lab (tenths of a mm): monocular PD and fitting height per eye, and the
    # frame's box size (from the catalogue, or measured when the patient brings their own frame).
    right_pd_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    left_pd_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    right_fitting_height_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    left_fitting_height_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    box_a_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    box_b_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    dbl_mm_tenths: Mapped[int | None] = mapped_column(Integer)
    lab_name: Mapped[str] = mapped_column(String(200), default="")
    lab_reference: Mapped[str] = mapped_column(String(64), default="")
    confirmed_at: Mapped[datetime | None]
    sent_to_lab_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    ready_at: Mapped[datetime | None]
    remake_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(String(1000), default="")

    __table_args__ = (
        one_of("status", OPTICAL_ORDER_STATUSES),
        CheckConstraint("right_pd_mm_tenths BETWEEN 150 AND 450", name="right_pd_in_range"),
        CheckConstraint("left_pd_mm_tenths BETWEEN 150 AND 450", name="left_pd_in_range"),
        CheckConstraint("right_fitting_height_mm_tenths BETWEEN 50 AND 450", name="right_fitting_height_in_range"),
        CheckConstraint("left_fitting_height_mm_tenths BETWEEN 50 AND 450", name="left_fitting_height_in_range"),
        CheckConstraint("remake_count >= 0", name="remake_count_non_negative"),
        *non_negative("subtotal_paise", "tax_paise", "discount_paise", "total_paise", "advance_paise"),
        CheckConstraint("advance_paise <= total_paise", name="advance_within_total"),
        CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_time"),
        CheckConstraint("delivered_at IS NULL OR delivered_at >= ordered_at", name="delivered_after_ordered"),
    )


class OpticalOrderItem(TrackedMixin, Base):
    """One order line: a product, the eye it is for, and its customization.

    ``customization`` is a JSON object of lens/frame options (``tint``, ``coating``, ``index``, fitting
    heights, ...).
    """

    __tablename__ = "optical_order_items"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("optical_orders.id"), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("optical_products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_paise: Mapped[int] = Paise()
    tax_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    tax_paise: Mapped[int] = Paise(default=0)
    line_total_paise: Mapped[int] = Paise()
    eye: Mapped[str] = mapped_column(String(8), default="none")
    customization: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    # What the line was sold as, copied when the order is made (a later catalogue edit does not rewrite it).
    description: Mapped[str] = mapped_column(String(300), default="")
    hsn_code: Mapped[str] = mapped_column(String(8), default="")
    discount_paise: Mapped[int] = Paise(default=0)

    __table_args__ = (
        one_of("eye", EYES),
        CheckConstraint("discount_paise >= 0", name="discount_paise_non_negative"),
        CheckConstraint("discount_paise <= quantity * unit_price_paise", name="discount_within_gross"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        *non_negative("unit_price_paise", "tax_paise", "line_total_paise"),
        CheckConstraint("tax_basis_points BETWEEN 0 AND 10000", name="tax_rate_in_range"),
    )


class OpticalRepair(TrackedMixin, Base):
    """A repair job for a patient's spectacles (issue, cost, status, estimated completion).

    ``invoice_id`` is not in the spec's column list: a repair is charged, and billing needs to find
    which repairs are already invoiced.
    """

    __tablename__ = "optical_repairs"

    code: Mapped[str] = code_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    item_description: Mapped[str] = mapped_column(String(500))
    issue_description: Mapped[str] = mapped_column(String(1000))
    cost_paise: Mapped[int] = Paise(default=0)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    received_at: Mapped[datetime]
    estimated_completion: Mapped[date | None]
    completed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # own_item: the patient's own spectacles (False: bought here). The estimate is parts + labour (cost_paise
    # is their sum); work starts only once the patient has approved it (who, how and when are kept).
    own_item: Mapped[bool] = mapped_column(Boolean, default=True)
    parts_paise: Mapped[int] = Paise(default=0)
    labour_paise: Mapped[int] = Paise(default=0)
    estimate_approved_at: Mapped[datetime | None]
    estimate_approved_by: Mapped[str] = mapped_column(String(200), default="")
    ready_at: Mapped[datetime | None]

    __table_args__ = (
        one_of("status", REPAIR_STATUSES),
        *non_negative("parts_paise", "labour_paise"),
        CheckConstraint("cost_paise = parts_paise + labour_paise", name="cost_is_parts_plus_labour"),
        CheckConstraint(
            "status NOT IN ('in_progress', 'waiting_for_parts', 'ready', 'delivered') "
            "OR estimate_approved_at IS NOT NULL",
            name="work_needs_approved_estimate",
        ),
        *non_negative("cost_paise"),
        CheckConstraint("length(item_description) > 0", name="item_description_not_empty"),
        CheckConstraint("completed_at IS NULL OR completed_at >= received_at", name="completed_after_received"),
        CheckConstraint("delivered_at IS NULL OR delivered_at >= received_at", name="delivered_after_received"),
        CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_time"),
    )


class OpticalStatusEvent(LedgerMixin, Base):
    """One step of an optical order's or a repair's life (append-only): from which status to which, when, by
    whom, and why (a remake's or a cancellation's reason). Exactly one of ``order_id`` / ``repair_id``."""

    __tablename__ = "optical_status_events"

    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_orders.id"), index=True)
    repair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("optical_repairs.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    happened_at: Mapped[datetime]
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    __table_args__ = ledger_args(
        CheckConstraint("(order_id IS NULL) <> (repair_id IS NULL)", name="one_subject"),
        # the board's "delivered or cancelled today" and any step-by-day report
        Index("ix_optical_status_events_step", "to_status", "happened_at"),
    )
