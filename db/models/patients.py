"""Patients: demographics, consents, uploaded documents and printed ID cards (spec Phase 1).

Aadhaar numbers are never stored whole (DESIGN.md, "The encrypted store"): a patient row keeps only the
masked form ``XXXX XXXX 1234`` and the last four digits, and Aadhaar scans are stored masked.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TrackedMixin, code_column, non_negative, one_of, partial_unique, sql_in

GENDERS = ("M", "F", "O", "U")
BLOOD_GROUPS = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "unknown")
ID_TYPES = ("aadhaar", "pan", "passport", "voter_id", "driving_licence", "none")
# Groups seen first in the OPD queue (also used by ``appointment_queue.priority_group``).
PRIORITY_GROUPS = ("senior_citizen", "pregnant", "differently_abled", "child", "staff")
PHOTO_MIME_TYPES = ("image/jpeg", "image/png")

CONSENT_TYPES = (
    "treatment",
    "data_processing",
    "communication",
    "photography",
    "procedure",
    "research",
    "other",
)
CONSENT_SIGNER_KINDS = ("patient", "guardian")

DOCUMENT_TYPES = ("aadhaar", "insurance_card", "lab_report", "prescription", "consent", "other")
DOCUMENT_MIME_TYPES = ("application/pdf", "image/jpeg", "image/png")
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB

ID_CARD_STATUSES = ("active", "replaced", "lost")
ID_CARD_LIVE_STATUSES = ("active",)


def _indian_mobile(column: str, *, nullable: bool) -> CheckConstraint:
    """10 characters starting 6-9 (a digits-only test is not portable SQL; the service checks that)."""
    rule = f"length({column}) = 10 AND substr({column}, 1, 1) IN ('6', '7', '8', '9')"
    if nullable:
        rule = f"{column} IS NULL OR ({rule})"
    return CheckConstraint(rule, name=f"{column}_indian_mobile")


class Patient(TrackedMixin, Base):
    """A registered patient; ``code`` (``PAT-2026-00001``) is issued from ``id_sequences``.

    ``name_search`` is the full name normalised (lower case, single spaces, no punctuation) for prefix
    search; the service keeps it in step with ``full_name``. ``date_of_birth`` is null only when not even
    an age is known (an unidentified emergency patient); when only an age was given it holds an estimated
    date and ``dob_is_approximate`` is set. ``phone`` is nullable for the same emergency case.
    """

    __tablename__ = "patients"

    code: Mapped[str] = code_column(20)
    full_name: Mapped[str] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None]
    dob_is_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    gender: Mapped[str] = mapped_column(String(1), default="U")
    blood_group: Mapped[str] = mapped_column(String(8), default="unknown")
    phone: Mapped[str | None] = mapped_column(String(10), index=True)
    alternate_phone: Mapped[str | None] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    # GST state code (2 digits), for place of supply on the patient's invoices.
    state_code: Mapped[str | None] = mapped_column(String(2))
    pincode: Mapped[str] = mapped_column(String(6), default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(200), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(20), default="")
    emergency_contact_relation: Mapped[str] = mapped_column(String(32), default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_mime: Mapped[str | None] = mapped_column(String(32))
    id_type: Mapped[str] = mapped_column(String(16), default="none")
    # Aadhaar: only 'XXXX XXXX 1234'. Other IDs: masked as the service decides (never needed whole here).
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    aadhaar_last4: Mapped[str | None] = mapped_column(String(4))
    priority_group: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(String(2000), default="")

    __table_args__ = (
        CheckConstraint("length(full_name) > 0", name="full_name_not_empty"),
        CheckConstraint("length(name_search) > 0", name="name_search_not_empty"),
        one_of("gender", GENDERS),
        one_of("blood_group", BLOOD_GROUPS),
        one_of("id_type", ID_TYPES),
        one_of("priority_group", PRIORITY_GROUPS),
        one_of("photo_mime", PHOTO_MIME_TYPES),
        CheckConstraint("(photo IS NULL) = (photo_mime IS NULL)", name="photo_has_mime"),
        _indian_mobile("phone", nullable=True),
        _indian_mobile("alternate_phone", nullable=True),
        CheckConstraint("state_code IS NULL OR length(state_code) = 2", name="state_code_length"),
        CheckConstraint("pincode = '' OR length(pincode) = 6", name="pincode_length"),
        CheckConstraint("aadhaar_last4 IS NULL OR length(aadhaar_last4) = 4", name="aadhaar_last4_length"),
        # The whole Aadhaar number can never land in the row: the only accepted shape is the masked one.
        CheckConstraint(
            "id_type <> 'aadhaar' OR id_number_masked IS NULL OR id_number_masked LIKE 'XXXX XXXX ____'",
            name="aadhaar_masked",
        ),
        CheckConstraint("id_type = 'aadhaar' OR aadhaar_last4 IS NULL", name="aadhaar_last4_only_for_aadhaar"),
    )


class PatientConsent(TrackedMixin, Base):
    """A consent the patient (or a guardian) signed: which form and version, when, from where.

    Withdrawal sets ``withdrawn_at``/``withdrawn_reason``; a new consent is a new row. ``document_id``
    points at the signed scan when there is one. ``workstation_id`` is attribution only (no foreign key),
    like ``created_by_id``.
    """

    __tablename__ = "patient_consents"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    consent_type: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime]
    signer_kind: Mapped[str] = mapped_column(String(16), default="patient")
    signer_name: Mapped[str] = mapped_column(String(200))
    guardian_relation: Mapped[str | None] = mapped_column(String(32))
    workstation_id: Mapped[uuid.UUID | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient_documents.id"), index=True)

    __table_args__ = (
        one_of("consent_type", CONSENT_TYPES),
        one_of("signer_kind", CONSENT_SIGNER_KINDS),
        CheckConstraint("length(version) > 0", name="version_not_empty"),
        CheckConstraint("length(signer_name) > 0", name="signer_name_not_empty"),
        CheckConstraint("signer_kind = 'patient' OR guardian_relation IS NOT NULL", name="guardian_has_relation"),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= signed_at", name="withdrawn_after_signed"),
    )


class PatientDocument(TrackedMixin, Base):
    """An uploaded file (Aadhaar, insurance card, lab report, ...), its bytes kept in the encrypted store.

    ``sha256`` (hex) lets the service detect duplicate uploads and verify content. Aadhaar scans must be
    masked before upload (the service masks or refuses them).
    """

    __tablename__ = "patient_documents"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(String(1000), default="")

    __table_args__ = (
        one_of("doc_type", DOCUMENT_TYPES),
        one_of("mime_type", DOCUMENT_MIME_TYPES),
        CheckConstraint(f"size_bytes > 0 AND size_bytes <= {DOCUMENT_MAX_BYTES}", name="size_in_range"),
        CheckConstraint("length(content) = size_bytes", name="size_matches_content"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("length(file_name) > 0", name="file_name_not_empty"),
    )


class IdCard(TrackedMixin, Base):
    """A printed patient ID card: the Code 128 barcode and the QR code both carry the patient code.

    ``card_number`` is the card's own unique number (the service issues e.g. ``PAT-2026-00001-1``, then
    ``-2`` for a replacement), because a lost card is replaced by a new row for the same patient. At
    most one card per patient is ``active`` (partial unique index).
    """

    __tablename__ = "id_cards"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    card_number: Mapped[str] = code_column(32)
    barcode_data: Mapped[str] = mapped_column(String(64))
    qr_data: Mapped[str] = mapped_column(String(512))
    template: Mapped[str] = mapped_column(String(64), default="standard")
    issued_at: Mapped[datetime]
    printed_at: Mapped[datetime | None]
    print_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")

    __table_args__ = (
        one_of("status", ID_CARD_STATUSES),
        *non_negative("print_count"),
        CheckConstraint("print_count = 0 OR printed_at IS NOT NULL", name="printed_has_time"),
        CheckConstraint("length(barcode_data) > 0", name="barcode_data_not_empty"),
        partial_unique("uq_id_cards_active_patient", "patient_id", where=sql_in("status", ID_CARD_LIVE_STATUSES)),
    )
