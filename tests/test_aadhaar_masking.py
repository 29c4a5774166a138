"""Aadhaar numbers never stand whole in patient notes or the audit trail, whatever separates the groups."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db.models.audit import AuditLog
from db.models.patients import Patient
from hms_desktop.context import Context
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.validation import mask_aadhaar, redact_aadhaar

WRITTEN = ["2345.6789.0124", "2345/6789/0124", "2345_6789_0124", "2345 - 6789 - 0124", "2345\u20136789\u20130124",
           "2345  6789  0124", "234567890124", "2345-6789-0124"]  # fmt: skip


@pytest.mark.parametrize("text", WRITTEN)
def test_every_way_of_writing_the_number_is_masked(text: str) -> None:
    assert redact_aadhaar(f"Aadhaar {text}, seen") == "Aadhaar XXXX XXXX 0124, seen"


@pytest.mark.parametrize("text", ["9886012345", "on 2026.11.30 at 10:30", "WS01/2627/000042", "12345.6789.01245"])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert redact_aadhaar(text) == text


def test_a_dotted_number_in_notes_is_masked_in_the_record_and_the_audit_trail(
    system_ctx: Context, store: Store
) -> None:
    p = register_patient(
        system_ctx, PatientInput("Masked Notes", "F", date(1990, 1, 1), notes="Aadhaar 2345.6789.0124")
    )
    with store.engine.connect() as conn:
        notes = conn.execute(select(Patient.notes).where(Patient.id == p.id)).scalar_one()
        trail = " ".join(str(v) for v in conn.execute(select(AuditLog.new_values, AuditLog.detail)).all())
    assert notes == "Aadhaar XXXX XXXX 0124"
    assert "6789" not in trail and "2345.6789" not in trail


def test_the_id_field_accepts_the_number_with_dots() -> None:
    masked = mask_aadhaar("2345.6789.0124")
    assert masked is not None and masked[0] == "XXXX XXXX 0124"
