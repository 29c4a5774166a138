"""Consents and documents: content-checked types, the 10 MB limit, masked Aadhaar only, audited viewing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from db.models.audit import AuditLog
from db.models.patients import PatientConsent, PatientDocument
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.services.reception.patient_records import (
    ConsentInput,
    add_document,
    list_documents,
    open_document,
    record_consent,
    withdraw_consent,
)
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def pid(system_ctx: Context):  # type: ignore[no-untyped-def]
    return register_patient(system_ctx, PatientInput("Farah Khan", "F", phone="9845011111")).id


def docs(ctx: Context) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(PatientDocument)) or 0)


@pytest.mark.parametrize(
    ("name", "content", "doc_type", "field", "text"),
    [
        ("report.pdf", jpeg(), "lab_report", "content", "really image/jpeg"),
        ("photo.png", PDF, "other", "content", "really application/pdf"),
        ("virus.exe", b"MZ\x90\x00", "other", "file_name", "Only PDF, JPEG and PNG"),
        ("notes.pdf", b"hello, not a pdf", "other", "content", "not a PDF, JPEG or PNG"),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "lab_report", "content", "limit is 10 MB"),
        ("empty.pdf", b"", "other", "content", "empty"),
        ("aadhaar.jpg", jpeg(), "aadhaar", "doc_type", "masked Aadhaar"),
        ("card.jpg", jpeg(), "passport_scan", "doc_type", "not a document type"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_saved(
    system_ctx: Context,
    pid,
    name: str,
    content: bytes,
    doc_type: str,
    field: str,
    text: str,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(ValidationError) as err:
        add_document(system_ctx, pid, name, content, doc_type)
    assert err.value.field == field and text in err.value.message
    assert docs(system_ctx) == 0


def test_documents_are_stored_encrypted_and_viewing_is_audited(system_ctx: Context, pid, store: Store) -> None:  # type: ignore[no-untyped-def]
    marker = b"UNIQUE-LAB-MARKER-7731"
    info = add_document(system_ctx, pid, "C:\\scans\\cbc.pdf", PDF + marker, "lab_report", notes="CBC")
    masked = add_document(system_ctx, pid, "aadhaar-masked.jpg", jpeg(), "aadhaar", aadhaar_is_masked=True)
    assert info.file_name == "cbc.pdf" and info.mime_type == "application/pdf"
    assert {d.id for d in list_documents(system_ctx, pid)} == {masked.id, info.id}
    meta, content = open_document(system_ctx, info.id)
    assert content.endswith(marker) and meta.size_bytes == len(PDF + marker)
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).where(AuditLog.action == "view")) == 1
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in store.paths.data_dir.iterdir() if p.is_file())
    assert marker not in raw


def test_a_damaged_document_is_reported(system_ctx: Context, pid) -> None:  # type: ignore[no-untyped-def]
    info = add_document(system_ctx, pid, "x.pdf", PDF, "other")
    with system_ctx.engine.begin() as conn:  # someone edits the file's bytes, around the app
        conn.execute(
            text("UPDATE patient_documents SET content = :c"), {"c": b"%PDF-tampered"[: len(PDF)].ljust(len(PDF), b"0")}
        )
    with pytest.raises(Conflict, match="damaged"):
        open_document(system_ctx, info.id)


def test_consents_with_guardian_and_withdrawal(system_ctx: Context, pid) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        record_consent(system_ctx, ConsentInput(pid, "treatment", "v3", "Imran Khan", "guardian"))
    assert err.value.field == "guardian_relation"
    with pytest.raises(ValidationError) as err:
        record_consent(system_ctx, ConsentInput(pid, "marketing", "v3", "Farah Khan"))
    assert err.value.field == "consent_type"
    future = system_ctx.clock.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        record_consent(system_ctx, ConsentInput(pid, "treatment", "v3", "Farah Khan", signed_at=future))
    assert err.value.field == "signed_at"
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(PatientConsent)) == 0
    c = record_consent(system_ctx, ConsentInput(pid, "treatment", "v3", "Imran Khan", "guardian", "father"))
    assert c.signer_kind == "guardian" and c.guardian_relation == "father"
    w = withdraw_consent(system_ctx, c.id, "Patient is an adult now")
    assert w.withdrawn_at is not None
    with pytest.raises(Conflict):
        withdraw_consent(system_ctx, c.id, "again")
