"""A patient's consents and documents.

Documents are PDF, JPEG or PNG up to 10 MB, their type checked from their first bytes (a renamed file is
refused), kept inside the encrypted store, and every viewing is audited. An Aadhaar scan is accepted only as
the masked version (UIDAI's masked Aadhaar shows the last four digits), which the uploader confirms.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath, PureWindowsPath

from sqlalchemy import select

from db.models.patients import (
    CONSENT_SIGNER_KINDS,
    CONSENT_TYPES,
    DOCUMENT_MAX_BYTES,
    DOCUMENT_TYPES,
    Patient,
    PatientConsent,
    PatientDocument,
)
from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.validation import clean_text, redact_aadhaar

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True, kw_only=True)
class DocumentInfo:
    id: uuid.UUID
    patient_id: uuid.UUID
    doc_type: str
    file_name: str
    mime_type: str
    size_bytes: int
    uploaded_at: datetime
    notes: str


@dataclass(frozen=True, kw_only=True)
class ConsentView:
    id: uuid.UUID
    patient_id: uuid.UUID
    consent_type: str
    version: str
    signed_at: datetime
    signer_kind: str
    signer_name: str
    guardian_relation: str | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    document_id: uuid.UUID | None


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    p = tx.session.get(Patient, patient_id)
    if p is None or p.deleted_at is not None:
        raise ValidationError("patient_id", "Choose a registered patient.")
    return p


def sniff(content: bytes) -> str | None:
    for mime, magics in SIGNATURES.items():
        if any(content.startswith(m) for m in magics):
            return mime
    return None


def _info(d: PatientDocument) -> DocumentInfo:
    return DocumentInfo(
        id=d.id,
        patient_id=d.patient_id,
        doc_type=d.doc_type,
        file_name=d.file_name,
        mime_type=d.mime_type,
        size_bytes=d.size_bytes,
        uploaded_at=d.uploaded_at,
        notes=d.notes,
    )


@requires("patients.documents")
def add_document(
    ctx: Context,
    patient_id: uuid.UUID,
    file_name: str,
    content: bytes,
    doc_type: str,
    *,
    notes: str = "",
    aadhaar_is_masked: bool = False,
) -> DocumentInfo:
    name = clean_text(PureWindowsPath(file_name or "").name, "file_name", label="File name", max_len=255)
    if doc_type not in DOCUMENT_TYPES:
        raise ValidationError("doc_type", f"{doc_type} is not a document type.")
    if not content:
        raise ValidationError("content", "The file is empty.")
    if len(content) > DOCUMENT_MAX_BYTES:
        raise ValidationError("content", f"The file is {len(content) / 1048576:.1f} MB; the limit is 10 MB.")
    expected = EXTENSIONS.get(PurePath(name).suffix.lower())
    if expected is None:
        raise ValidationError("file_name", "Only PDF, JPEG and PNG files can be attached.")
    actual = sniff(content)
    if actual != expected:
        what = "not a PDF, JPEG or PNG" if actual is None else f"really {actual}"
        raise ValidationError("content", f"{name} is {what}, not what its name says; nothing was saved.")
    if doc_type == "aadhaar" and not aadhaar_is_masked:
        raise ValidationError("doc_type", "Only the masked Aadhaar (last four digits visible) may be stored.")
    with ctx.transaction() as tx:
        p = _patient(tx, patient_id)
        doc = PatientDocument(
            patient_id=p.id,
            doc_type=doc_type,
            file_name=name,
            mime_type=actual,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_at=ctx.clock.now(),
            notes=redact_aadhaar(clean_text(notes, "notes", label="Notes", required=False, max_len=1000)),
        )
        tx.session.add(doc)
        tx.session.flush()
        result = _info(doc)
        tx.commit()
        return result


@requires("patients.documents")
def list_documents(ctx: Context, patient_id: uuid.UUID) -> list[DocumentInfo]:
    with ctx.transaction(readonly=True) as tx:
        q = select(PatientDocument).where(
            PatientDocument.patient_id == patient_id, PatientDocument.deleted_at.is_(None)
        )
        return [_info(d) for d in tx.session.scalars(q.order_by(PatientDocument.uploaded_at.desc()))]


@requires("patients.documents")
def open_document(ctx: Context, document_id: uuid.UUID) -> tuple[DocumentInfo, bytes]:
    """The document and its bytes (checked against the stored SHA-256); the viewing is audited."""
    with ctx.transaction() as tx:
        d = tx.session.get(PatientDocument, document_id)
        if d is None or d.deleted_at is not None:
            raise NotFound("No such document.")
        if hashlib.sha256(d.content).hexdigest() != d.sha256:
            raise Conflict("This document is damaged (its checksum does not match); restore it from a backup.")
        record(tx, "view", entity_type="patient_documents", entity_id=d.id, patient_id=d.patient_id)
        result = (_info(d), bytes(d.content))
        tx.commit()
        return result


@dataclass(frozen=True)
class ConsentInput:
    patient_id: uuid.UUID
    consent_type: str
    version: str
    signer_name: str
    signer_kind: str = "patient"
    guardian_relation: str | None = None
    document_id: uuid.UUID | None = None
    signed_at: datetime | None = None  # default: now


def _consent(c: PatientConsent) -> ConsentView:
    return ConsentView(
        id=c.id,
        patient_id=c.patient_id,
        consent_type=c.consent_type,
        version=c.version,
        signed_at=c.signed_at,
        signer_kind=c.signer_kind,
        signer_name=c.signer_name,
        guardian_relation=c.guardian_relation,
        withdrawn_at=c.withdrawn_at,
        withdrawn_reason=c.withdrawn_reason,
        document_id=c.document_id,
    )


@requires("patients.consents")
def record_consent(ctx: Context, data: ConsentInput) -> ConsentView:
    if data.consent_type not in CONSENT_TYPES:
        raise ValidationError("consent_type", f"{data.consent_type} is not a consent type.")
    if data.signer_kind not in CONSENT_SIGNER_KINDS:
        raise ValidationError("signer_kind", "The signer is the patient or a guardian.")
    version = clean_text(data.version, "version", label="Form version", max_len=16)
    signer = clean_text(data.signer_name, "signer_name", label="Signer's name")
    relation = clean_text(data.guardian_relation, "guardian_relation", label="Relation", required=False, max_len=32)
    if data.signer_kind == "guardian" and not relation:
        raise ValidationError("guardian_relation", "Say how the guardian is related to the patient.")
    now = ctx.clock.now()
    signed = data.signed_at or now
    if signed.tzinfo is None or signed > now:
        raise ValidationError("signed_at", "The signing time must be a real time, not in the future.")
    with ctx.transaction() as tx:
        p = _patient(tx, data.patient_id)
        if data.document_id is not None:
            doc = tx.session.get(PatientDocument, data.document_id)
            if doc is None or doc.patient_id != p.id:
                raise ValidationError("document_id", "The signed form must be one of this patient's documents.")
        c = PatientConsent(
            patient_id=p.id,
            consent_type=data.consent_type,
            version=version,
            signed_at=signed,
            signer_kind=data.signer_kind,
            signer_name=signer,
            guardian_relation=relation or None,
            workstation_id=ctx.workstation.id,
            ip_address=ctx.ip_address,
            document_id=data.document_id,
        )
        tx.session.add(c)
        tx.session.flush()
        result = _consent(c)
        tx.commit()
        return result


@requires("patients.consents")
def withdraw_consent(ctx: Context, consent_id: uuid.UUID, reason: str) -> ConsentView:
    why = clean_text(reason, "reason", label="A reason", max_len=500)
    with ctx.transaction() as tx:
        c = tx.session.get(PatientConsent, consent_id)
        if c is None or c.deleted_at is not None:
            raise NotFound("No such consent.")
        if c.withdrawn_at is not None:
            raise Conflict("This consent was already withdrawn.")
        c.withdrawn_at, c.withdrawn_reason = ctx.clock.now(), why
        result = _consent(c)
        tx.commit()
        return result


@requires("patients.view")
def list_consents(ctx: Context, patient_id: uuid.UUID) -> list[ConsentView]:
    with ctx.transaction(readonly=True) as tx:
        q = select(PatientConsent).where(PatientConsent.patient_id == patient_id, PatientConsent.deleted_at.is_(None))
        return [_consent(c) for c in tx.session.scalars(q.order_by(PatientConsent.signed_at.desc()))]
