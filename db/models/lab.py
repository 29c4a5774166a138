"""Laboratory (spec Phase 2): the test catalog and lab test orders with their results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Paise, TrackedMixin, code_column, non_negative, one_of

LAB_TEST_CATEGORIES = (
    "haematology",
    "biochemistry",
    "microbiology",
    "serology",
    "immunology",
    "clinical_pathology",
    "histopathology",
    "molecular",
    "other",
)
SAMPLE_TYPES = ("blood", "serum", "plasma", "urine", "stool", "sputum", "swab", "csf", "tissue", "other")
LAB_PRIORITIES = ("routine", "urgent", "stat")
# ordered -> sample_collected -> completed (result entered) -> verified (by a second user); or cancelled.
LAB_ORDER_STATUSES = ("ordered", "sample_collected", "in_progress", "completed", "verified", "cancelled")
RESULT_FLAGS = ("normal", "abnormal", "critical")


class LabTest(TrackedMixin, Base):
    """A test the lab offers (catalog). Not one of the spec's tables: the spec's ``lab_orders`` "test type"
    needs a catalog to pick from and to price (``price_paise``, SAC code and GST rate for the invoice).

    ``tat_hours`` is the usual turnaround time. ``parameters`` is the result template, a JSON list of parameter
    objects (name, unit, numeric or text, reference ranges by sex and age, critical limits, choices): the shape
    is documented and validated in ``hms_desktop.services.clinical.lab_parameters``.
    """

    __tablename__ = "lab_tests"

    code: Mapped[str] = code_column()
    name: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(24), default="other")
    sample_type: Mapped[str] = mapped_column(String(16), default="blood")
    price_paise: Mapped[int] = Paise(default=0)
    tat_hours: Mapped[int | None] = mapped_column(Integer)
    sac_code: Mapped[str] = mapped_column(String(8), default="")
    gst_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    parameters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        one_of("category", LAB_TEST_CATEGORIES),
        one_of("sample_type", SAMPLE_TYPES),
        *non_negative("price_paise"),
        CheckConstraint("tat_hours IS NULL OR tat_hours > 0", name="tat_hours_positive"),
        CheckConstraint("gst_rate_basis_points BETWEEN 0 AND 10000", name="gst_rate_in_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class LabOrder(TrackedMixin, Base):
    """One lab test ordered for a patient, from order through sample collection to the reported result.

    ``test_name`` and ``price_paise`` are copied from the catalog when ordered, so a later catalog change
    does not alter the order or its bill. ``result`` is a JSON object of measured values, e.g.
    ``{"values": [{"name": "Hb", "value": "13.2", "unit": "g/dL", "ref_low": "13", "ref_high": "17",
    "flag": "normal"}]}``; ``result_flag`` is the overall flag (worst of the values).
    """

    __tablename__ = "lab_orders"

    code: Mapped[str] = code_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    lab_test_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lab_tests.id"), index=True)
    test_name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(8), default="routine")
    status: Mapped[str] = mapped_column(String(20), default="ordered")
    ordered_at: Mapped[datetime]
    sample_collected_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    result_summary: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_flag: Mapped[str | None] = mapped_column(String(8))
    reported_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    price_paise: Mapped[int] = Paise(default=0)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    sample_collected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    verified_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(String(500), default="", server_default="")  # the doctor's, for the lab

    __table_args__ = (
        one_of("priority", LAB_PRIORITIES),
        one_of("status", LAB_ORDER_STATUSES),
        one_of("result_flag", RESULT_FLAGS),
        *non_negative("price_paise"),
        CheckConstraint("length(test_name) > 0", name="test_name_not_empty"),
        CheckConstraint(
            "sample_collected_at IS NULL OR sample_collected_at >= ordered_at", name="collected_after_ordered"
        ),
        CheckConstraint("completed_at IS NULL OR completed_at >= ordered_at", name="completed_after_ordered"),
        CheckConstraint(
            "status <> 'completed' OR (completed_at IS NOT NULL AND reported_by_id IS NOT NULL)",
            name="completed_has_who_and_when",
        ),
        CheckConstraint(
            "status <> 'verified' OR (verified_at IS NOT NULL AND verified_by_id IS NOT NULL "
            "AND completed_at IS NOT NULL AND reported_by_id IS NOT NULL)",
            name="verified_has_who_and_when",
        ),
        CheckConstraint(
            "verified_by_id IS NULL OR reported_by_id IS NULL OR verified_by_id <> reported_by_id",
            name="verified_by_second_user",
        ),
        Index("ix_lab_orders_status_priority_ordered_at", "status", "priority", "ordered_at"),
    )
