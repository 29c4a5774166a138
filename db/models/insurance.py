"""Insurance: payers, patients' policies, pre-authorisations and claims (spec Phase 4).

Amounts are integer paise; the co-pay share is in basis points (20% = 2000).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Paise, TrackedMixin, non_negative, one_of

PROVIDER_KINDS = ("insurer", "tpa", "government_scheme")
POLICY_STATUSES = ("active", "expired", "cancelled")
RELATIONS_TO_HOLDER = ("self", "spouse", "child", "parent", "sibling", "other")
PRE_AUTHORIZATION_STATUSES = (
    "draft",
    "submitted",
    "approved",
    "partially_approved",
    "rejected",
    "expired",
    "cancelled",
)
CLAIM_STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "query_raised",
    "approved",
    "partially_approved",
    "rejected",
    "settled",
    "cancelled",
)


class InsuranceProvider(TrackedMixin, Base):
    """A payer: an insurance company, a third-party administrator (TPA) or a government scheme.

    ``payer_code`` is the payer's own identifier (e.g. an IRDAI/TPA code), used on claim forms.
    """

    __tablename__ = "insurance_providers"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="insurer")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    claim_submission_email: Mapped[str] = mapped_column(String(254), default="")
    portal_url: Mapped[str] = mapped_column(String(300), default="")
    payer_code: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        one_of("kind", PROVIDER_KINDS),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class InsurancePolicy(TrackedMixin, Base):
    """A patient's cover under a provider: policy and member number, holder, validity, sum insured.

    ``member_id`` is "" when the payer issues none (not NULL, so the natural unique key still holds: NULLs
    never collide in a UNIQUE constraint).
    """

    __tablename__ = "insurance_policies"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_providers.id"), index=True)
    policy_number: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64), default="")
    holder_name: Mapped[str] = mapped_column(String(200))
    relation_to_holder: Mapped[str] = mapped_column(String(16), default="self")
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    sum_insured_paise: Mapped[int] = Paise(default=0)
    copay_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")

    __table_args__ = (
        UniqueConstraint("provider_id", "policy_number", "member_id"),
        one_of("status", POLICY_STATUSES),
        one_of("relation_to_holder", RELATIONS_TO_HOLDER),
        CheckConstraint("length(policy_number) > 0", name="policy_number_not_empty"),
        CheckConstraint("length(holder_name) > 0", name="holder_name_not_empty"),
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
        CheckConstraint("copay_basis_points BETWEEN 0 AND 10000", name="copay_in_range"),
        *non_negative("sum_insured_paise"),
    )


class PreAuthorization(TrackedMixin, Base):
    """A request to the payer for approval before treatment (cashless), and its decision.

    ``code`` is ours; ``reference_number`` is the payer's. ``approved_amount_paise`` is null until decided.
    """

    __tablename__ = "pre_authorizations"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    treatment_plan: Mapped[str] = mapped_column(Text, default="")
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    estimated_cost_paise: Mapped[int] = Paise(default=0)
    approved_amount_paise: Mapped[int | None] = Paise()
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    reference_number: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None]

    __table_args__ = (
        one_of("status", PRE_AUTHORIZATION_STATUSES),
        *non_negative("estimated_cost_paise", "approved_amount_paise"),
        CheckConstraint(
            "decided_at IS NULL OR (submitted_at IS NOT NULL AND decided_at >= submitted_at)",
            name="decided_after_submitted",
        ),
        CheckConstraint(
            "status NOT IN ('approved', 'partially_approved') OR approved_amount_paise IS NOT NULL",
            name="approved_has_amount",
        ),
    )


class InsuranceClaim(TrackedMixin, Base):
    """A claim filed with the payer after treatment, tracked from draft to settlement.

    ``documents`` is a JSON list of ``{"document_id": <patient_documents id>, "label": ...}`` sent with the
    claim. Approved and settled amounts are null until the payer decides / pays; the settled amount may be
    below the approved one (deductions).
    """

    __tablename__ = "insurance_claims"

    claim_number: Mapped[str] = mapped_column(String(32), unique=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    pre_authorization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pre_authorizations.id"), index=True)
    treatment_details: Mapped[str] = mapped_column(Text, default="")
    claimed_amount_paise: Mapped[int] = Paise(default=0)
    approved_amount_paise: Mapped[int | None] = Paise()
    settled_amount_paise: Mapped[int | None] = Paise()
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    documents: Mapped[list[Any]] = mapped_column(default=list)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        one_of("status", CLAIM_STATUSES),
        *non_negative("claimed_amount_paise", "approved_amount_paise", "settled_amount_paise"),
        CheckConstraint(
            "approved_amount_paise IS NULL OR approved_amount_paise <= claimed_amount_paise",
            name="approved_within_claimed",
        ),
        CheckConstraint(
            "decided_at IS NULL OR (submitted_at IS NOT NULL AND decided_at >= submitted_at)",
            name="decided_after_submitted",
        ),
        CheckConstraint(
            "status <> 'settled' OR (settled_at IS NOT NULL AND settled_amount_paise IS NOT NULL)",
            name="settled_has_amount",
        ),
    )
