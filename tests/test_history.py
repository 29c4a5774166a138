"""The doctor's view of a patient: the header (age on the clinic's today, allergies, last visit) and the earlier
visits newest first with their diagnoses, prescriptions, lab orders, eye prescriptions and vitals, in a fixed
number of queries however many visits there are."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from db.models.clinical import Consultation, ConsultationDiagnosis, Vitals
from db.models.lab import LabOrder, LabTest
from db.models.optical import OpticalPrescription
from db.models.prescriptions import Prescription, PrescriptionItem
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, PermissionDenied, ValidationError
from hms_desktop.services.clinical import consultations as consult
from hms_desktop.services.clinical.allergies import AllergyInput, add_allergy, deactivate_allergy
from hms_desktop.services.clinical.consultations import DiagnosisInput
from hms_desktop.services.clinical.history import patient_header, patient_history
from hms_desktop.services.clinical.vitals import VitalsInput, record_vitals
from tests.clinical_fixtures import MONDAY, ClinicalDay, clinical_day, past_visit
from tests.reception_fixtures import patient


@contextmanager
def statements(ctx: Context) -> Iterator[list[str]]:
    """The SQL statements run on the store while the block runs."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", note)


@pytest.fixture
def day(system_ctx: Context, make_user) -> ClinicalDay:  # type: ignore[no-untyped-def]
    return clinical_day(system_ctx, make_user)


def write_visit(day: ClinicalDay, patient_id: uuid.UUID, on: date, n: int) -> uuid.UUID:
    """An earlier visit with a consultation, two diagnoses, a prescription of two lines, a lab order, an eye Rx
    and vitals, written directly into the tables (their services are other modules')."""
    appointment_id = past_visit(day, patient_id, on, "new", reason=f"visit {n}")
    at = datetime.combine(on, time(5, 0), UTC)
    with day.system.transaction() as tx:
        s = tx.session
        c = Consultation(appointment_id=appointment_id, patient_id=patient_id, doctor_id=day.doctor.id,
                         status="completed", started_at=at, completed_at=at + timedelta(minutes=10),
                         chief_complaint=f"complaint {n}", follow_up_date=on + timedelta(days=7))  # fmt: skip
        s.add(c)
        s.flush()
        s.add_all([
            ConsultationDiagnosis(consultation_id=c.id, patient_id=patient_id, icd10_code="J06.9", line_no=1,
                                  description="Acute upper respiratory infection, unspecified"),
            ConsultationDiagnosis(consultation_id=c.id, patient_id=patient_id, icd10_code=None, line_no=2,
                                  description=f"free text {n}"),
        ])  # fmt: skip
        rx = Prescription(code=f"RX-2026-{n:06d}", patient_id=patient_id, doctor_id=day.doctor.id,
                          appointment_id=appointment_id, status="final", finalized_at=at,
                          consultation_id=c.id)  # fmt: skip
        cancelled = Prescription(code=f"RX-2026-{n + 500:06d}", patient_id=patient_id, doctor_id=day.doctor.id,
                                 appointment_id=appointment_id, status="cancelled")  # fmt: skip
        s.add_all([rx, cancelled])
        s.flush()
        s.add_all([
            PrescriptionItem(prescription_id=rx.id, medicine_name="Dolo 650", generic_name="Paracetamol",
                             strength="650 mg", dosage="1 tablet", frequency="1-0-1", duration_days=3, line_no=1),
            PrescriptionItem(prescription_id=rx.id, medicine_name="Cetzine", generic_name="Cetirizine",
                             strength="10 mg", dosage="1 tablet", frequency="0-0-1", duration_days=5, line_no=2),
        ])  # fmt: skip
        test = s.get(LabTest, LAB_TEST_ID) or LabTest(id=LAB_TEST_ID, code="CBC-H", name="Complete blood count")
        s.add(test)
        s.flush()
        s.add(LabOrder(code=f"LAB-2026-{n:06d}", patient_id=patient_id, doctor_id=day.doctor.id,
                       appointment_id=appointment_id, lab_test_id=test.id, test_name="Complete blood count",
                       ordered_at=at, status="completed", completed_at=at + timedelta(hours=2),
                       reported_by_id=day.doctor.user_id, result_flag="abnormal",
                       result_summary=f"Hb low {n}"))  # fmt: skip
        s.add(OpticalPrescription(code=f"EYE-2026-{n:06d}", patient_id=patient_id, doctor_id=day.doctor.id,
                                  appointment_id=appointment_id, examined_at=at, right_sphere=-125,
                                  right_cylinder=-50, right_axis=180, right_add_power=150, left_sphere=-100,
                                  pd_mm_tenths=625))  # fmt: skip
        s.add(Vitals(patient_id=patient_id, appointment_id=appointment_id, recorded_at=at, pulse_bpm=70 + n))
        tx.commit()
    return appointment_id


LAB_TEST_ID = uuid.UUID("0192a000-0000-7000-8000-00000000c0c0")


def test_the_header(day: ClinicalDay) -> None:
    add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Penicillins", "drug_class", "Rash", "severe"))
    old = add_allergy(day.nurse_ctx, day.patient.id, AllergyInput("Dust", "other"))
    deactivate_allergy(day.nurse_ctx, old.id, "refuted")
    past_visit(day, day.patient.id, date(2026, 11, 2))
    past_visit(day, day.patient.id, date(2026, 11, 16))
    h = patient_header(day.doctor_ctx, day.patient.id)
    assert (h.name, h.code, h.sex, h.age, h.date_of_birth) == ("Kavya Nair", day.patient.code, "F", 41,
                                                                date(1985, 6, 1))  # fmt: skip
    assert [a.allergen for a in h.allergies] == ["Penicillins"] and h.last_visit_date == date(2026, 11, 16)
    assert not h.age_is_approximate


def test_the_age_is_on_the_clinics_today(day: ClinicalDay) -> None:
    """20:00 UTC on 30 November is 1 December 01:30 in Bengaluru: a birthday on 1 December has come."""
    born = patient(day.system, "Dev Birthday", "9845000222", born=date(1990, 12, 1))
    late = replace(day.doctor_ctx, clock=FixedClock(datetime(2026, 11, 30, 20, 0, tzinfo=UTC)))
    assert patient_header(late, born.id).age == 36
    assert patient_header(day.doctor_ctx, born.id).age == 35
    assert patient_header(day.doctor_ctx, born.id).last_visit_date is None


def test_history_newest_first_with_everything(day: ClinicalDay) -> None:
    first = write_visit(day, day.patient.id, date(2026, 10, 5), 1)
    second = write_visit(day, day.patient.id, date(2026, 11, 9), 2)
    record_vitals(day.nurse_ctx, day.patient.id, VitalsInput(pulse_bpm=99), appointment_id=day.appointment.id)
    other = patient(day.system, "Someone Else", "9845000999")
    write_visit(day, other.id, date(2026, 11, 10), 3)
    visits = patient_history(day.doctor_ctx, day.patient.id)
    assert [v.appointment_id for v in visits] == [second, first]  # today's visit is not completed yet
    v = visits[0]
    assert (v.visit_date, v.doctor_name, v.chief_complaint, v.follow_up_date) == (
        date(2026, 11, 9), "Dr Meera Iyer", "complaint 2", date(2026, 11, 16))  # fmt: skip
    assert [(d.line_no, d.icd10_code, d.description) for d in v.diagnoses] == [
        (1, "J06.9", "Acute upper respiratory infection, unspecified"), (2, None, "free text 2")]  # fmt: skip
    [rx] = v.prescriptions  # the cancelled one is left out
    assert rx.code == "RX-2026-000002" and rx.status == "final"
    assert [(i.medicine_name, i.dosage, i.frequency, i.duration_days) for i in rx.items] == [
        ("Dolo 650", "1 tablet", "1-0-1", 3), ("Cetzine", "1 tablet", "0-0-1", 5)]  # fmt: skip
    [lab] = v.lab_orders
    assert (lab.code, lab.test_name, lab.status, lab.flag, lab.summary) == (
        "LAB-2026-000002", "Complete blood count", "completed", "abnormal", "Hb low 2")  # fmt: skip
    [eye] = v.eye_prescriptions
    assert eye.code == "EYE-2026-000002" and eye.summary == "R -1.25/-0.50x180 Add +1.50; L -1.00; PD 62.5"
    assert [x.pulse_bpm for x in v.vitals] == [72]
    assert visits[1].prescriptions[0].code == "RX-2026-000001" and visits[1].vitals[0].pulse_bpm == 71


def test_a_visit_completed_today_joins_the_history(day: ClinicalDay) -> None:
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.set_diagnoses(day.doctor_ctx, c.id, [DiagnosisInput("R05")])
    consult.complete_consultation(day.doctor_ctx, c.id)
    [v] = patient_history(day.nurse_ctx, day.patient.id)
    assert v.consultation_id == c.id and v.visit_date == MONDAY and [d.icd10_code for d in v.diagnoses] == ["R05"]
    assert v.prescriptions == [] and v.lab_orders == [] and v.eye_prescriptions == []
    assert patient_header(day.nurse_ctx, day.patient.id).last_visit_date == MONDAY


def test_a_visit_before_the_clinical_module(day: ClinicalDay) -> None:
    past_visit(day, day.patient.id, date(2026, 9, 7), reason="old complaint")
    [v] = patient_history(day.doctor_ctx, day.patient.id)
    assert v.consultation_id is None and v.chief_complaint == "old complaint" and v.diagnoses == []


def test_limit_and_refusals(day: ClinicalDay) -> None:
    for n in range(3):
        past_visit(day, day.patient.id, date(2026, 10, 5) + timedelta(days=7 * n))
    assert [v.visit_date for v in patient_history(day.doctor_ctx, day.patient.id, limit=2)] == [
        date(2026, 10, 19), date(2026, 10, 12)]  # fmt: skip
    with pytest.raises(ValidationError) as err:
        patient_history(day.doctor_ctx, day.patient.id, limit=101)
    assert err.value.field == "limit"
    with pytest.raises(NotFound):
        patient_history(day.doctor_ctx, uuid.uuid4())
    with pytest.raises(NotFound):
        patient_header(day.doctor_ctx, uuid.uuid4())
    inventory = replace(day.system, actor=replace(day.system.actor, roles=("Inventory Manager",),
                                                  permissions=frozenset({"inventory.view"})))  # fmt: skip
    with pytest.raises(PermissionDenied):
        patient_history(inventory, day.patient.id)


def test_twenty_visits_cost_the_queries_of_three(day: ClinicalDay) -> None:
    start = date(2026, 1, 5)
    for n in range(3):
        write_visit(day, day.patient.id, start + timedelta(days=7 * n), n + 1)
    patient_history(day.doctor_ctx, day.patient.id)
    with statements(day.system) as few:
        assert len(patient_history(day.doctor_ctx, day.patient.id)) == 3
    for n in range(3, 20):
        write_visit(day, day.patient.id, start + timedelta(days=7 * n), n + 1)
    with statements(day.system) as many:
        visits = patient_history(day.doctor_ctx, day.patient.id)
    assert len(visits) == 20 and all(len(v.prescriptions[0].items) == 2 for v in visits)
    assert len(many) == len(few) <= 12
