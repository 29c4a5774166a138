"""Consultations: opening a patient from the queue (once, by their own doctor only), the complaint, findings and
follow-up, ICD-10 diagnoses, and completing the visit: queue and appointment closed, the fee charged or waived."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.clinical import Charge, Consultation, ConsultationDiagnosis
from db.models.scheduling import Appointment, AppointmentQueueEntry, DoctorFee
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.clinical import consultations as consult
from hms_desktop.services.clinical.consultations import DiagnosisInput
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception import queue
from tests.clinical_fixtures import (
    FOLLOW_UP_PAISE,
    MONDAY,
    OPD_PAISE,
    ClinicalDay,
    checked_in,
    clinical_day,
    past_visit,
)


@pytest.fixture
def day(system_ctx: Context, make_user) -> ClinicalDay:  # type: ignore[no-untyped-def]
    return clinical_day(system_ctx, make_user)


def count(ctx: Context, model: type) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


def denials(ctx: Context) -> list[AuditLog]:
    with ctx.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(AuditLog).where(AuditLog.outcome == "denied").order_by(AuditLog.seq)))


def entry_of(ctx: Context, entry_id: object) -> AppointmentQueueEntry:
    with ctx.transaction(readonly=True) as tx:
        e = tx.session.get(AppointmentQueueEntry, entry_id)
        assert e is not None
        return e


def appointment_of(ctx: Context, appointment_id: object) -> Appointment:
    with ctx.transaction(readonly=True) as tx:
        a = tx.session.get(Appointment, appointment_id)
        assert a is not None
        return a


def charges(ctx: Context) -> list[Charge]:
    with ctx.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(Charge).order_by(Charge.charged_at)))


# --- starting -------------------------------------------------------------------------------------------------


def test_start_opens_the_patient_from_the_queue(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    assert c.status == "in_progress" and c.patient_id == day.patient.id and c.doctor_id == day.doctor.id
    assert c.chief_complaint == "cough and fever" and c.started_at == day.clock.now() and c.diagnoses == []
    assert c.appointment_code == day.appointment.code and c.visit_date == MONDAY
    e = entry_of(day.system, day.entry.id)
    assert e.status == "in_consultation" and e.started_at == day.clock.now() and e.called_at == day.clock.now()
    assert appointment_of(day.system, day.appointment.id).status == "in_progress"
    log = [(f, t) for f, t, _, _ in appt.status_history(day.system, day.appointment.id)]
    assert log == [(None, "booked"), ("booked", "checked_in"), ("checked_in", "in_progress")]
    assert queue.queue_for(day.system, day.doctor.id).serving.id == day.entry.id  # type: ignore[union-attr]


def test_starting_twice_opens_one_consultation(day: ClinicalDay) -> None:
    first = consult.start_consultation(day.doctor_ctx, day.entry.id)
    day.clock.advance(minutes=1)
    again = consult.start_consultation(day.doctor_ctx, day.entry.id)
    by_appointment = consult.start_consultation(day.doctor_ctx, appointment_id=day.appointment.id)
    assert first.id == again.id == by_appointment.id and again.started_at == first.started_at
    assert count(day.system, Consultation) == 1
    assert len(appt.status_history(day.system, day.appointment.id)) == 3  # in_progress logged once
    current = consult.current_consultation(day.doctor_ctx, day.appointment.id)
    assert current is not None and current.id == first.id


def test_a_called_patient_can_be_started_too(day: ClinicalDay) -> None:
    called = queue.call_next(day.system, day.doctor.id)
    assert called is not None and called.id == day.entry.id
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    e = entry_of(day.system, day.entry.id)
    assert c.status == "in_progress" and e.status == "in_consultation" and e.call_count == 1


def test_a_receptionist_cannot_start_a_consultation(day: ClinicalDay) -> None:
    with pytest.raises(PermissionDenied) as err:
        consult.start_consultation(day.receptionist_ctx, day.entry.id)
    assert err.value.code == "clinical.consult"
    [denied] = denials(day.system)
    assert denied.entity_id == "clinical.consult" and denied.user_email == "desk@sunrise.example.in"
    assert count(day.system, Consultation) == 0 and entry_of(day.system, day.entry.id).status == "waiting"
    with pytest.raises(PermissionDenied):
        consult.start_consultation(day.nurse_ctx, day.entry.id)


def test_another_doctor_cannot_start_my_patient(day: ClinicalDay) -> None:
    with pytest.raises(PermissionDenied, match="Only Dr Meera Iyer can see this patient") as err:
        consult.start_consultation(day.other_doctor_ctx, day.entry.id)
    assert err.value.code == "clinical.consult"
    [denied] = denials(day.system)
    assert denied.user_email == "rahul@sunrise.example.in" and denied.action == "permission_denied"
    assert denied.entity_type == "appointments" and denied.entity_id == str(day.appointment.id)
    assert denied.patient_id == day.patient.id
    assert count(day.system, Consultation) == 0
    assert entry_of(day.system, day.entry.id).status == "waiting"
    assert appointment_of(day.system, day.appointment.id).status == "checked_in"


def test_start_refusals(day: ClinicalDay) -> None:
    with pytest.raises(ValidationError) as err:
        consult.start_consultation(day.doctor_ctx)
    assert err.value.field == "queue_entry_id"
    with pytest.raises(NotFound):
        consult.start_consultation(day.doctor_ctx, day.patient.id)
    queue.skip(day.system, day.entry.id)
    with pytest.raises(Conflict, match="recall them first"):
        consult.start_consultation(day.doctor_ctx, day.entry.id)
    later = appt.book_appointment(day.system, appt.BookingInput(day.patient.id, day.doctor.id, MONDAY, time(12, 0)))
    with pytest.raises(Conflict, match="check the patient in first"):
        consult.start_consultation(day.doctor_ctx, appointment_id=later.id)
    assert count(day.system, Consultation) == 0


def test_only_todays_queue_is_seen(day: ClinicalDay) -> None:
    day.clock.advance(days=7)  # a week on, yesterday's token is still waiting
    with pytest.raises(Conflict, match="only today's queue"):
        consult.start_consultation(day.doctor_ctx, day.entry.id)
    assert count(day.system, Consultation) == 0 and entry_of(day.system, day.entry.id).status == "waiting"


# --- notes and follow-up ----------------------------------------------------------------------------------------


def test_update_the_notes_and_the_follow_up(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    findings = "Throat congested.\r\nChest clear.  \n\nNo rash."
    v = consult.update_consultation(day.doctor_ctx, c.id, chief_complaint="  Dry  cough, 3 days ", findings=findings,
                                    follow_up_date=MONDAY + timedelta(days=7))  # fmt: skip
    assert v.chief_complaint == "Dry cough, 3 days" and v.findings == "Throat congested.\nChest clear.\n\nNo rash."
    assert v.follow_up_date == date(2026, 12, 7)
    v = consult.update_consultation(day.doctor_ctx, c.id, findings="Better.")
    assert v.chief_complaint == "Dry cough, 3 days" and v.follow_up_date == date(2026, 12, 7)  # left unchanged
    assert consult.update_consultation(day.doctor_ctx, c.id, follow_up_date=MONDAY).follow_up_date == MONDAY
    assert consult.update_consultation(day.doctor_ctx, c.id, follow_up_date=date(2027, 11, 30)).follow_up_date
    assert consult.update_consultation(day.doctor_ctx, c.id, follow_up_date=None).follow_up_date is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"follow_up_date": date(2026, 11, 29)}, "follow_up_date", "cannot be in the past"),
        ({"follow_up_date": date(2027, 12, 1)}, "follow_up_date", "at most a year ahead"),
        ({"follow_up_date": "2026-12-07"}, "follow_up_date", "as a date"),
        ({"chief_complaint": "x" * 1001}, "chief_complaint", "at most 1000"),
        ({"findings": "x" * 10_001}, "findings", "at most 10000"),
        ({"findings": 42}, "findings", "is text"),
    ],
)
def test_update_refusals(day: ClinicalDay, changes: dict[str, object], field: str, message: str) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    audit_before = count(day.system, AuditLog)
    with pytest.raises(ValidationError, match=message) as err:
        consult.update_consultation(day.doctor_ctx, c.id, **{"chief_complaint": "kept", **changes})  # type: ignore[arg-type]
    assert err.value.field == field
    after = consult.consultation(day.doctor_ctx, c.id)
    assert after.findings == "" and after.follow_up_date is None and after.chief_complaint == "cough and fever"
    assert count(day.system, AuditLog) == audit_before


def test_the_follow_up_uses_the_clinics_today(day: ClinicalDay) -> None:
    """At 21:00 UTC on Monday it is already Tuesday 1 December in Bengaluru: Monday is in the past."""
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    day.clock.advance(hours=16, minutes=30)
    with pytest.raises(ValidationError, match="today is 01 Dec 2026"):
        consult.update_consultation(day.doctor_ctx, c.id, follow_up_date=MONDAY)


def test_another_doctor_cannot_change_my_consultation(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    with pytest.raises(PermissionDenied, match="Only Dr Meera Iyer"):
        consult.update_consultation(day.other_doctor_ctx, c.id, findings="mine now")
    with pytest.raises(PermissionDenied):
        consult.set_diagnoses(day.other_doctor_ctx, c.id, [DiagnosisInput("J06.9")])
    assert [(d.entity_type, d.entity_id) for d in denials(day.system)] == [("consultations", str(c.id))] * 2
    after = consult.consultation(day.doctor_ctx, c.id)
    assert after.findings == "" and after.diagnoses == []


# --- diagnoses ----------------------------------------------------------------------------------------------------


def test_diagnoses_coded_and_free_text(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    v = consult.set_diagnoses(day.doctor_ctx, c.id, [
        DiagnosisInput("j069"),
        DiagnosisInput(None, "Viral fever, probably dengue", "NS1 ordered"),
        DiagnosisInput("R05", "Cough, dry"),
    ])  # fmt: skip
    assert [(d.line_no, d.icd10_code, d.description, d.notes) for d in v.diagnoses] == [
        (1, "J06.9", "Acute upper respiratory infection, unspecified", ""),
        (2, None, "Viral fever, probably dengue", "NS1 ordered"),
        (3, "R05", "Cough, dry", ""),
    ]
    with day.system.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(ConsultationDiagnosis.patient_id).limit(1)) == day.patient.id


def test_replacing_the_diagnoses_keeps_unchanged_lines(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    first = consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("J06.9"), DiagnosisInput("R50.9")]).diagnoses
    second = consult.set_diagnoses(
        day.doctor_ctx, c.id, [DiagnosisInput("J06.9", notes="since Friday"), DiagnosisInput("J02.9")]
    ).diagnoses
    assert second[0].id == first[0].id and second[0].notes == "since Friday"  # kept, notes changed
    assert second[1].id != first[1].id and second[1].icd10_code == "J02.9"
    with day.system.transaction(readonly=True) as tx:
        removed = tx.session.get(ConsultationDiagnosis, first[1].id)
        assert removed is not None and removed.deleted_at is not None and removed.icd10_code == "R50.9"
    swapped = consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("J02.9"), DiagnosisInput("J06.9")])
    assert [(d.line_no, d.icd10_code) for d in swapped.diagnoses] == [(1, "J02.9"), (2, "J06.9")]
    assert consult.set_diagnoses(day.doctor_ctx, c.id, []).diagnoses == []
    with day.system.transaction(readonly=True) as tx:
        live = tx.session.scalar(
            select(func.count()).select_from(ConsultationDiagnosis).where(ConsultationDiagnosis.deleted_at.is_(None))
        )
    assert live == 0


@pytest.mark.parametrize(
    ("diagnoses", "field", "message"),
    [
        ([DiagnosisInput("J06.9"), DiagnosisInput("Z99.99X")], "diagnoses[1].icd10_code", "Z99.99X is not an ICD-10"),
        ([DiagnosisInput("J00-J06")], "diagnoses[0].icd10_code", "not an ICD-10 code"),  # a block
        ([DiagnosisInput("X")], "diagnoses[0].icd10_code", "not an ICD-10 code"),  # a chapter
        ([DiagnosisInput(None, "  ")], "diagnoses[0].description", "Diagnosis 1 is required"),
        ([DiagnosisInput("J06.9"), DiagnosisInput("j069")], "diagnoses[1].icd10_code", "already listed"),
        ([DiagnosisInput(None, "x" * 301)], "diagnoses[0].description", "at most 300"),
        ([DiagnosisInput("J06.9", notes="n" * 501)], "diagnoses[0].notes", "at most 500"),
        ([DiagnosisInput("R50.9")] * 21, "diagnoses", "at most 20"),
        ("J06.9", "diagnoses", "as a list"),
    ],
)
def test_diagnosis_refusals(day: ClinicalDay, diagnoses: object, field: str, message: str) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("R05")])
    with pytest.raises(ValidationError, match=message) as err:
        consult.set_diagnoses(day.doctor_ctx, c.id, diagnoses)  # type: ignore[arg-type]
    assert err.value.field == field
    assert [d.icd10_code for d in consult.consultation(day.doctor_ctx, c.id).diagnoses] == ["R05"]
    assert count(day.system, ConsultationDiagnosis) == 1


# --- completing -------------------------------------------------------------------------------------------------


def test_complete_closes_the_visit_and_leaves_the_fee(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("J06.9")])
    consult.update_consultation(day.doctor_ctx, c.id, follow_up_date=date(2026, 12, 7))
    day.clock.advance(minutes=12)
    done = consult.complete_consultation(day.doctor_ctx, c.id)
    assert done.status == "completed" and done.completed_at == day.clock.now()
    assert done.follow_up_date == date(2026, 12, 7) and [d.icd10_code for d in done.diagnoses] == ["J06.9"]
    e = entry_of(day.system, day.entry.id)
    assert e.status == "done" and e.finished_at == day.clock.now()
    a = appointment_of(day.system, day.appointment.id)
    assert a.status == "completed" and a.completed_at == day.clock.now()
    log = [(f, t) for f, t, _, _ in appt.status_history(day.system, day.appointment.id)]
    assert log[-2:] == [("checked_in", "in_progress"), ("in_progress", "completed")]
    [charge] = charges(day.system)
    assert (charge.source_type, charge.source_id, charge.line_no, charge.item_type) == (
        "consultation", c.id, 1, "consultation")  # fmt: skip
    assert charge.unit_price_paise == charge.amount_paise == OPD_PAISE and charge.quantity == 1
    assert charge.hsn_sac_code == "999312" and charge.gst_rate_basis_points == 0 and not charge.price_includes_tax
    assert charge.status == "unbilled" and charge.patient_id == day.patient.id
    assert charge.appointment_id == day.appointment.id and charge.doctor_id == day.doctor.id
    assert charge.description == "Consultation: Dr Meera Iyer (OPD)" and done.fee_waived_reason is None
    assert queue.queue_for(day.system, day.doctor.id).serving is None


def test_completing_twice_is_refused(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.complete_consultation(day.doctor_ctx, c.id)
    with pytest.raises(Conflict, match="already completed at 10:00"):
        consult.complete_consultation(day.doctor_ctx, c.id)
    assert len(charges(day.system)) == 1
    with pytest.raises(Conflict, match="can no longer be changed"):
        consult.update_consultation(day.doctor_ctx, c.id, findings="late note")
    with pytest.raises(Conflict, match="was completed at 10:00"):
        consult.start_consultation(day.doctor_ctx, appointment_id=day.appointment.id)


def test_another_doctor_cannot_complete_my_consultation(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    with pytest.raises(PermissionDenied, match="Only Dr Meera Iyer can complete this consultation") as err:
        consult.complete_consultation(day.other_doctor_ctx, c.id)
    assert err.value.code == "clinical.consult"
    [denied] = denials(day.system)
    assert denied.entity_type == "consultations" and denied.entity_id == str(c.id)
    assert denied.user_email == "rahul@sunrise.example.in" and denied.patient_id == day.patient.id
    assert consult.consultation(day.doctor_ctx, c.id).status == "in_progress"
    assert entry_of(day.system, day.entry.id).status == "in_consultation" and charges(day.system) == []


def test_a_follow_up_within_the_free_days_is_waived(day: ClinicalDay) -> None:
    past_visit(day, day.patient.id, MONDAY - timedelta(days=5), "new")
    _, booking, entry = checked_in(day, "", "", time(11, 0), "follow_up", patient_id=day.patient.id)
    c = consult.start_consultation(day.doctor_ctx, entry.id)
    done = consult.complete_consultation(day.doctor_ctx, c.id)
    assert done.fee_waived_reason == "free follow-up within 7 days"
    [charge] = charges(day.system)
    assert charge.status == "waived" and charge.status_reason == "free follow-up within 7 days"
    assert charge.amount_paise == 0 and charge.description == "Consultation: Dr Meera Iyer (follow-up)"
    assert charge.appointment_id == booking.id


def test_a_follow_up_after_the_free_days_pays_the_follow_up_fee(day: ClinicalDay) -> None:
    past_visit(day, day.patient.id, MONDAY - timedelta(days=10), "new")
    _, _, entry = checked_in(day, "", "", time(11, 0), "follow_up", patient_id=day.patient.id)
    done = consult.complete_consultation(day.doctor_ctx, consult.start_consultation(day.doctor_ctx, entry.id).id)
    [charge] = charges(day.system)
    assert charge.status == "unbilled" and charge.amount_paise == FOLLOW_UP_PAISE and done.fee_waived_reason is None


def test_no_fee_set_means_nothing_is_completed(day: ClinicalDay) -> None:
    _, _, entry = checked_in(day, "Ravi Shankar", "9845000111", doctor=day.other_doctor)
    c = consult.start_consultation(day.other_doctor_ctx, entry.id)
    with pytest.raises(Conflict, match="No OPD fee is set for Dr Rahul Menon"):
        consult.complete_consultation(day.other_doctor_ctx, c.id)
    assert consult.consultation(day.other_doctor_ctx, c.id).status == "in_progress"
    assert entry_of(day.system, entry.id).status == "in_consultation" and charges(day.system) == []
    with day.system.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(DoctorFee)) == 3  # Dr Iyer's only


def test_the_desk_cannot_call_next_while_the_doctor_is_writing(day: ClinicalDay) -> None:
    """The nurse presses "call next" while the doctor is still writing: refused (it would end the visit under
    the doctor, with no fee); the doctor completes it, then the next patient is called."""
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    checked_in(day, "Arun Kumar", "9845098450")
    with pytest.raises(Conflict, match="still with Kavya Nair"):
        queue.call_next(day.nurse_ctx, day.doctor.id)
    assert appointment_of(day.system, day.appointment.id).status == "in_progress"
    done = consult.complete_consultation(day.doctor_ctx, c.id)
    assert done.status == "completed" and len(charges(day.system)) == 1
    nxt = queue.call_next(day.nurse_ctx, day.doctor.id)
    assert nxt is not None and nxt.patient_name == "Arun Kumar"


def test_reading_a_consultation(day: ClinicalDay) -> None:
    assert consult.current_consultation(day.doctor_ctx, day.appointment.id) is None
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("J06.9")])
    read = consult.consultation(day.nurse_ctx, c.id)  # patients.view is enough to read
    assert read.patient_name == "Kavya Nair" and read.doctor_name == "Dr Meera Iyer"
    assert read.patient_code == day.patient.code and [d.icd10_code for d in read.diagnoses] == ["J06.9"]
    with pytest.raises(NotFound):
        consult.consultation(day.nurse_ctx, day.appointment.id)
