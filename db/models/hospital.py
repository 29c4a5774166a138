"""The clinic itself: hospital record, settings, departments, tax rules (spec Phase 0).

One store serves one clinic, so only the tables that the spec ties to a hospital carry ``hospital_id``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TrackedMixin, one_of

TAX_APPLIES_TO = ("service", "medicine", "optical", "lab")
TAX_KINDS = ("GST", "VAT", "CESS", "OTHER")


class Hospital(TrackedMixin, Base):
    __tablename__ = "hospitals"

    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    # GST state code (first two digits of a GSTIN): decides intra-state (CGST+SGST) vs inter-state (IGST).
    state_code: Mapped[str | None] = mapped_column(String(2))
    pincode: Mapped[str] = mapped_column(String(6), default="")
    licence_number: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    gstin: Mapped[str | None] = mapped_column(String(15))

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


class HospitalSetting(TrackedMixin, Base):
    """Key-value configuration (timezone, currency, fiscal-year start, prefixes, idle lock, SMTP, ...).

    ``value`` holds JSON; ``blob`` holds binary values such as the logo image. Secrets (the SMTP password)
    never live here: they go to the key store.
    """

    __tablename__ = "hospital_settings"

    hospital_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hospitals.id"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("hospital_id", "key"),)


class Department(TrackedMixin, Base):
    __tablename__ = "departments"

    hospital_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hospitals.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("hospital_id", "code"),
        UniqueConstraint("hospital_id", "name"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class TaxConfiguration(TrackedMixin, Base):
    """A tax rule: rate in basis points (18% = 1800), HSN/SAC code, what it applies to, when it is in force.

    GST is split at invoicing: CGST + SGST (half each) when the place of supply is the hospital's state,
    IGST otherwise (``intra_state_split``).
    """

    __tablename__ = "tax_configurations"

    hospital_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8), default="GST")
    rate_basis_points: Mapped[int] = mapped_column(Integer)
    hsn_sac_code: Mapped[str] = mapped_column(String(8), default="")
    applies_to: Mapped[str] = mapped_column(String(16))
    intra_state_split: Mapped[bool] = mapped_column(Boolean, default=True)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        one_of("applies_to", TAX_APPLIES_TO),
        one_of("kind", TAX_KINDS),
        CheckConstraint("rate_basis_points BETWEEN 0 AND 10000", name="rate_in_range"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_range"),
    )


class IdSequence(TrackedMixin, Base):
    """A counter that issues human codes (``PAT-2026-00001``, appointments, invoices, ...).

    One row per series and period (``period`` is the year, the financial year such as ``2026-27``, or ``""``
    for a series that never resets). ``next_value`` is taken and advanced in one statement inside the
    caller's write transaction, so two processes never get the same number and a rolled-back action
    leaves no gap. ``scope`` names the workstation that owns a block of numbers when PCs sync ("" = local).
    """

    __tablename__ = "id_sequences"

    series: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16), default="")
    scope: Mapped[str] = mapped_column(String(16), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    padding: Mapped[int] = mapped_column(Integer, default=5)
    next_value: Mapped[int] = mapped_column(Integer, default=1)
    block_end: Mapped[int | None] = mapped_column(Integer)
    reset: Mapped[str] = mapped_column(String(16), default="yearly")

    __table_args__ = (
        UniqueConstraint("series", "period", "scope"),
        one_of("reset", ("never", "yearly", "financial_year")),
        CheckConstraint("next_value >= 1", name="next_value_positive"),
        CheckConstraint("padding BETWEEN 1 AND 12", name="padding_in_range"),
    )
