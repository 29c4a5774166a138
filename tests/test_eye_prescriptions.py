"""Eye prescriptions over a real encrypted store: saving a refraction (doctor, optical staff), every refusal with
its field and nothing written after it, the view's formatted and transposed values, corrections, the history
and the latest valid prescription."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.optical import OpticalPrescription
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, PermissionDenied, ValidationError
from hms_desktop.services.optical import eye_prescriptions as eyerx
from hms_desktop.services.optical.eye_prescriptions import EyeInput, EyeRxInput
from hms_desktop.services.reception.appointments import BookingInput, book_appointment, cancel_appointment
from hms_desktop.services.reception.doctors import DoctorInput, DoctorView, create_doctor
from hms_desktop.services.reception.patients import PatientView
from tests.conftest import actor_with_role
from tests.reception_fixtures import MONDAY, TEN_AM, clinic_day, patient


class Clinic:
    """Dr Meera Iyer (a doctor), Ravi Kumar (optical staff, not a doctor), a receptionist, and Sunita Sharma."""

    def __init__(self, system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
        self.clock = FixedClock(TEN_AM)
        ctx, self.doctor = clinic_day(replace(system_ctx, clock=self.clock), make_user)
        self.system = replace(ctx, clock=self.clock)
        self.meera = self.system.as_actor(replace(actor_with_role("Doctor"), user_id=self.doctor.user_id))
        ravi = make_user("Optical Staff", email="ravi@sunrise.example.in", name="Ravi Kumar")
        self.ravi = self.system.as_actor(replace(actor_with_role("Optical Staff"), user_id=ravi.id))
        self.ravi_id = ravi.id
        self.desk = self.system.as_actor(actor_with_role("Receptionist"))
        self.patient: PatientView = patient(self.system, "Sunita Sharma", "9845011111", born=date(1985, 6, 1))

    def other_doctor(self, make_user) -> tuple[Context, DoctorView]:  # type: ignore[no-untyped-def]
        user = make_user("Doctor", email="arjun@sunrise.example.in", name="Arjun Menon")
        doc = create_doctor(self.system, DoctorInput(user.id, "Dr Arjun Menon", "Ophthalmology", "MBBS, MS (Ophth)",
                                                     "KMC-50123", "Karnataka Medical Council"))  # fmt: skip
        return self.system.as_actor(replace(actor_with_role("Doctor"), user_id=user.id)), doc


@pytest.fixture
def clinic(system_ctx: Context, make_user) -> Clinic:  # type: ignore[no-untyped-def]
    return Clinic(system_ctx, make_user)


def full_rx(patient_id, **changes: object) -> EyeRxInput:  # type: ignore[no-untyped-def]
    data = EyeRxInput(
        patient_id=patient_id,
        right=EyeInput(sphere="-2.25", cylinder="-0.50", axis="180", add="+2.00", prism="1.5", prism_base="in",
                       distance_va="6/9", near_va="N6", pd="31.5"),
        left=EyeInput(sphere="plano", add="2", distance_va="6/6", near_va="n8", pd="31"),
        pd="62.5",
        lens_recommendation="Progressive, anti-reflective coating",
        notes="Review in one year.",
    )  # fmt: skip
    return replace(data, **changes)  # type: ignore[arg-type]


def eye(data: EyeRxInput, side: str, **changes: str) -> EyeRxInput:
    return replace(data, **{side: replace(getattr(data, side), **changes)})


def counts(ctx: Context) -> tuple[int, int]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalar(select(func.count()).select_from(OpticalPrescription))
        audit = tx.session.scalar(select(func.count()).select_from(AuditLog))
    return int(rows or 0), int(audit or 0)


def audit_actions(ctx: Context, entity_id: object) -> list[tuple[str, str | None]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(AuditLog).where(AuditLog.entity_id == str(entity_id)).order_by(AuditLog.seq))
        return [(r.action, r.detail) for r in rows]


# --- saving


def test_a_doctor_records_a_refraction(clinic: Clinic) -> None:
    view = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id))
    assert view.code == "ORX-2026-000001"
    assert view.doctor_id == clinic.doctor.id and view.examiner_user_id == clinic.doctor.user_id
    assert (view.examiner_name, view.examiner_qualification) == ("Dr Meera Iyer", "MBBS, MD")
    assert view.examiner_registration == "Reg. No. KMC-48211 (Karnataka Medical Council)"
    assert view.examined_at == TEN_AM and view.examined_on == MONDAY
    assert view.valid_until == date(2027, 11, 30) and view.is_valid and view.correctable_in_place
    assert (view.patient_name, view.patient_code, view.age_sex) == ("Sunita Sharma", clinic.patient.code, "41 Y / F")
    r, left = view.right, view.left
    assert (r.sphere, r.cylinder, r.axis, r.add_power, r.prism, r.prism_base) == (-225, -50, 180, 200, 150, "in")
    assert (r.distance_va, r.near_va, r.pd_mm_tenths) == ("6/9", "N6", 315)
    assert (left.sphere, left.cylinder, left.axis, left.add_power, left.prism) == (0, None, None, 200, None)
    assert (left.distance_va, left.near_va, left.pd_mm_tenths) == ("6/6", "N8", 310)
    assert view.pd_mm_tenths == 625 and view.pd_text == "62.5 mm; R 31.5 mm / L 31.0 mm"
    with clinic.system.transaction(readonly=True) as tx:
        row = tx.session.get(OpticalPrescription, view.id)
        assert row is not None
        stored = (row.right_sphere, row.right_cylinder, row.right_axis, row.right_add_power, row.right_prism,
                  row.right_prism_base, row.right_visual_acuity, row.right_near_acuity, row.right_pd_mm_tenths,
                  row.left_sphere, row.left_cylinder, row.left_axis, row.pd_mm_tenths, row.created_by_id)  # fmt: skip
    assert stored == (-225, -50, 180, 200, 150, "in", "6/9", "N6", 315, 0, None, None, 625, clinic.doctor.user_id)
    assert [a for a, _ in audit_actions(clinic.system, view.id)] == ["create"]


def test_the_view_writes_the_values_as_opticians_do_and_transposes_each_eye(clinic: Clinic) -> None:
    data = eye(full_rx(clinic.patient.id), "left", sphere="+1.00", cylinder="-2.00", axis="45", add="")
    view = eyerx.eye_prescription(clinic.meera, eyerx.save_eye_prescription(clinic.meera, data).id)
    r, left = view.right, view.left
    assert (r.label, r.sphere_text, r.cylinder_text, r.axis_text) == ("R (OD)", "-2.25", "-0.50", "180")
    assert (r.add_text, r.prism_text, r.pd_text) == ("+2.00", "1.50 BI", "31.5 mm")
    assert r.rx_text == "-2.25 / -0.50 x 180"
    assert (r.transposed_sphere, r.transposed_cylinder, r.transposed_axis) == (-275, 50, 90)
    assert r.transposed_text == "-2.75 / +0.50 x 90"
    assert r.spherical_equivalent == "-2.50" and r.near_sphere_text == "-0.25"
    assert left.rx_text == "+1.00 / -2.00 x 45" and left.transposed_text == "-1.00 / +2.00 x 135"
    assert left.spherical_equivalent == "0.00" and left.near_sphere_text == "" and left.add_text == ""


def test_a_sphere_only_eye_and_plano(clinic: Clinic) -> None:
    data = EyeRxInput(patient_id=clinic.patient.id, right=EyeInput(sphere="-1.75"), left=EyeInput(sphere="0"))
    view = eyerx.save_eye_prescription(clinic.meera, data)
    assert view.right.rx_text == "-1.75 DS" and view.right.transposed_text == ""
    assert view.right.transposed_sphere is None and view.right.spherical_equivalent == "-1.75"
    assert view.left.sphere == 0 and view.left.sphere_text == "PLANO" and view.left.rx_text == "PLANO"
    assert view.pd_text == ""


def test_one_eye_only_and_acuity_for_the_other(clinic: Clinic) -> None:
    data = EyeRxInput(patient_id=clinic.patient.id, right=EyeInput(sphere="+3.25", distance_va="6/12"),
                      left=EyeInput(distance_va="NPL"))  # fmt: skip
    view = eyerx.save_eye_prescription(clinic.meera, data)
    assert view.right.prescribed and not view.left.prescribed
    assert view.left.distance_va == "NPL" and view.left.sphere is None and view.left.sphere_text == ""


def test_optical_staff_record_a_refraction_without_being_a_doctor(clinic: Clinic) -> None:
    view = eyerx.save_eye_prescription(clinic.ravi, full_rx(clinic.patient.id))
    assert view.doctor_id is None and view.examiner_user_id == clinic.ravi_id
    assert (view.examiner_name, view.examiner_qualification, view.examiner_registration) == ("Ravi Kumar", "", "")


def test_linked_to_the_patients_appointment(clinic: Clinic) -> None:
    appt = book_appointment(clinic.system, BookingInput(clinic.patient.id, clinic.doctor.id, MONDAY, time(10, 15)))
    view = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id, appointment_id=appt.id))
    assert view.appointment_id == appt.id
    other = patient(clinic.system, "Bina Shah", "9845022222")
    theirs = book_appointment(clinic.system, BookingInput(other.id, clinic.doctor.id, MONDAY, time(10, 30)))
    before = counts(clinic.system)
    with pytest.raises(ValidationError, match="another patient's") as err:
        eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id, appointment_id=theirs.id))
    assert err.value.field == "appointment_id"
    cancel_appointment(clinic.system, appt.id, "Patient left")
    with pytest.raises(ValidationError, match="cancelled") as err:
        eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id, appointment_id=appt.id))
    assert err.value.field == "appointment_id"
    assert counts(clinic.system)[0] == before[0]


def test_valid_until_a_given_date(clinic: Clinic) -> None:
    view = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id, valid_until=MONDAY))
    assert view.valid_until == MONDAY and view.is_valid
    clinic.clock.advance(days=1)
    assert not eyerx.eye_prescription(clinic.meera, view.id).is_valid


def test_the_day_is_the_clinics_not_utcs(clinic: Clinic) -> None:
    """20:00 UTC on 30 November is 01:30 on 1 December in Bengaluru: the prescription is of 1 December."""
    late = replace(clinic.meera, clock=FixedClock(datetime(2026, 11, 30, 20, 0, tzinfo=UTC)))
    view = eyerx.save_eye_prescription(late, full_rx(clinic.patient.id))
    assert view.examined_on == date(2026, 12, 1) and view.valid_until == date(2027, 12, 1)
    with pytest.raises(ValidationError) as err:  # 30 November is already past there
        eyerx.save_eye_prescription(late, full_rx(clinic.patient.id, valid_until=date(2026, 11, 30)))
    assert err.value.field == "valid_until"


def test_a_year_from_29_february(clinic: Clinic) -> None:
    leap = replace(clinic.meera, clock=FixedClock(TEN_AM.replace(year=2028, month=2, day=29)))
    assert eyerx.save_eye_prescription(leap, full_rx(clinic.patient.id)).valid_until == date(2029, 2, 28)


P = "right"
L = "left"
REFUSALS = [
    ("sphere 3.10", lambda d: eye(d, P, sphere="3.10"), "right_sphere",
     "3.10 is not in 0.25 D steps; nearest are +3.00 and +3.25"),
    ("sphere out of range", lambda d: eye(d, L, sphere="-32"), "left_sphere", "-30.00 to +30.00"),
    ("axis 0", lambda d: eye(d, L, cylinder="-1.00", axis="0"), "left_axis", "1 to 180"),
    ("axis 181", lambda d: eye(d, P, axis="181"), "right_axis", "1 to 180"),
    ("cylinder without axis", lambda d: eye(d, P, axis=""), "right_axis", "axis"),
    ("axis without cylinder", lambda d: eye(d, L, axis="90"), "left_axis", "goes with a cylinder"),
    ("cylinder out of range", lambda d: eye(d, P, cylinder="-10.50"), "right_cylinder", "-10.00 to +10.00"),
    ("cylinder without sphere", lambda d: eye(d, L, sphere="", cylinder="-1", axis="90"), "left_sphere", "PLANO"),
    ("add above range", lambda d: eye(d, P, add="+4.25"), "right_add", "+0.75 to +4.00"),
    ("add below range", lambda d: eye(d, L, add="0.50"), "left_add", "+0.75 to +4.00"),
    ("minus add", lambda d: eye(d, L, add="-1.00"), "left_add", "+0.75 to +4.00"),
    ("prism without base", lambda d: eye(d, P, prism_base=""), "right_prism_base", "base"),
    ("base without prism", lambda d: eye(d, L, prism_base="up"), "left_prism", "prism"),
    ("prism over 20", lambda d: eye(d, P, prism="21"), "right_prism", "20.00"),
    ("prism not in steps", lambda d: eye(d, P, prism="1.1"), "right_prism", "0.25"),
    ("unknown base", lambda d: eye(d, P, prism_base="left"), "right_prism_base", "in, out, up or down"),
    ("distance VA not in the list", lambda d: eye(d, P, distance_va="6/7"), "right_distance_va", "6/6, 6/9"),
    ("distance VA in feet", lambda d: eye(d, L, distance_va="20/20"), "left_distance_va", "6/6, 6/9"),
    ("near VA not in the list", lambda d: eye(d, L, near_va="N7"), "left_near_va", "N6, N8"),
    ("binocular PD too wide", lambda d: replace(d, pd="81"), "pd", "50 to 80 mm"),
    ("binocular PD too narrow", lambda d: replace(d, pd="49"), "pd", "50 to 80 mm"),
    ("PD not to 0.5 mm", lambda d: replace(d, pd="62.3"), "pd", "0.5 mm"),
    ("monocular PD out of range", lambda d: eye(d, P, pd="41"), "right_pd", "25 to 40 mm"),
    ("PDs that disagree", lambda d: replace(d, pd="66"), "pd", "right + left"),
    ("no eye at all", lambda d: replace(d, right=EyeInput(), left=EyeInput(distance_va="6/6")), "right_sphere",
     "at least one eye"),
    ("valid until in the past", lambda d: replace(d, valid_until=MONDAY - timedelta(days=1)), "valid_until", "past"),
    ("valid for too long", lambda d: replace(d, valid_until=date(2032, 1, 1)), "valid_until", "5 years"),
    ("no such patient", lambda d: replace(d, patient_id=uuid7()), "patient_id", "No such patient"),
    ("a number, not text", lambda d: eye(d, P, sphere=-2.25), "right_sphere", "text"),  # type: ignore[arg-type]
    ("a long recommendation", lambda d: replace(d, lens_recommendation="x" * 501), "lens_recommendation", "500"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "text"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_field_and_write_nothing(clinic: Clinic, change, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(clinic.system)
    with pytest.raises(ValidationError) as err:
        eyerx.save_eye_prescription(clinic.meera, change(full_rx(clinic.patient.id)))
    assert err.value.field == field
    assert text in err.value.message
    assert counts(clinic.system) == before
    # the refusal took no number from the series: the next prescription is still the first
    assert eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id)).code == "ORX-2026-000001"


def test_a_receptionist_may_not_save_one_and_the_denial_is_audited(clinic: Clinic) -> None:
    rows, audit = counts(clinic.system)
    with pytest.raises(PermissionDenied) as err:
        eyerx.save_eye_prescription(clinic.desk, full_rx(clinic.patient.id))
    assert err.value.code == "optical.prescribe"
    assert counts(clinic.system) == (rows, audit + 1)
    with clinic.system.transaction(readonly=True) as tx:
        last = tx.session.scalars(select(AuditLog).order_by(AuditLog.seq.desc()).limit(1)).one()
    assert (last.action, last.entity_id, last.outcome) == ("permission_denied", "optical.prescribe", "denied")
    assert last.user_email == "receptionist@sunrise.example.in"
    with pytest.raises(PermissionDenied):
        eyerx.eye_prescriptions_for(clinic.desk, clinic.patient.id)  # nor read them (no optical.view)


def test_unknown_ids(clinic: Clinic) -> None:
    with pytest.raises(NotFound):
        eyerx.eye_prescription(clinic.meera, clinic.patient.id)
    with pytest.raises(NotFound):
        eyerx.eye_prescriptions_for(clinic.meera, clinic.doctor.id)


# --- corrections


def test_the_author_corrects_it_in_place_the_same_day(clinic: Clinic) -> None:
    first = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id))
    clinic.clock.advance(hours=3)
    fixed = eye(full_rx(clinic.patient.id), P, sphere="-2.50")
    before = counts(clinic.system)
    with pytest.raises(ValidationError) as err:
        eyerx.update_eye_prescription(clinic.meera, first.id, fixed, "  ")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        eyerx.update_eye_prescription(clinic.meera, first.id, eye(fixed, L, axis="0"), "Typo")
    assert err.value.field == "left_axis"
    other = patient(clinic.system, "Bina Shah", "9845022222")
    with pytest.raises(ValidationError) as err:
        eyerx.update_eye_prescription(clinic.meera, first.id, replace(fixed, patient_id=other.id), "Typo")
    assert err.value.field == "patient_id"
    assert counts(clinic.system)[0] == before[0]
    result = eyerx.update_eye_prescription(clinic.meera, first.id, fixed, "Sphere misread")
    assert result.amended_in_place and result.corrects_id == first.id
    assert result.prescription.id == first.id and result.prescription.code == first.code
    assert result.prescription.right.sphere == -250 and result.prescription.right.sphere_text == "-2.50"
    assert result.prescription.examined_at == first.examined_at
    assert counts(clinic.system)[0] == 1
    actions = audit_actions(clinic.system, first.id)
    assert [a for a, _ in actions] == ["create", "update", "correct"]
    assert actions[-1][1] == "ORX-2026-000001 corrected: Sphere misread"
    with clinic.system.transaction(readonly=True) as tx:
        change = tx.session.scalars(
            select(AuditLog).where(AuditLog.entity_id == str(first.id), AuditLog.action == "update")
        ).one()
        assert (change.old_values or {}).get("right_sphere") == -225
        assert (change.new_values or {}).get("right_sphere") == -250
        assert change.user_id == clinic.doctor.user_id


def test_a_later_day_or_another_examiner_writes_a_new_prescription(clinic: Clinic, make_user) -> None:  # type: ignore[no-untyped-def]
    first = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id))
    arjun, arjun_doctor = clinic.other_doctor(make_user)
    assert not eyerx.eye_prescription(arjun, first.id).correctable_in_place
    by_other = eyerx.update_eye_prescription(arjun, first.id, eye(full_rx(clinic.patient.id), L, sphere="+0.25"),
                                             "Rechecked the left eye")  # fmt: skip
    assert not by_other.amended_in_place and by_other.corrects_code == "ORX-2026-000001"
    new = by_other.prescription
    assert new.id != first.id and new.code == "ORX-2026-000002" and new.doctor_id == arjun_doctor.id
    assert new.left.sphere == 25
    assert new.notes == "Corrects ORX-2026-000001: Rechecked the left eye\nReview in one year."
    kept = eyerx.eye_prescription(clinic.meera, first.id)
    assert kept.left.sphere == 0 and kept.notes == "Review in one year."
    assert audit_actions(clinic.system, first.id)[-1] == (
        "correct", "ORX-2026-000001 corrected by ORX-2026-000002: Rechecked the left eye")  # fmt: skip

    clinic.clock.advance(days=1)
    assert not eyerx.eye_prescription(clinic.meera, first.id).correctable_in_place
    next_day = eyerx.update_eye_prescription(clinic.meera, first.id, replace(full_rx(clinic.patient.id), notes=""),
                                             "Add was wrong")  # fmt: skip
    assert not next_day.amended_in_place and next_day.prescription.code == "ORX-2026-000003"
    assert next_day.prescription.notes == "Corrects ORX-2026-000001: Add was wrong"
    assert next_day.prescription.examined_at == TEN_AM + timedelta(days=1)


def test_optical_staff_correct_their_own_the_same_day(clinic: Clinic) -> None:
    first = eyerx.save_eye_prescription(clinic.ravi, full_rx(clinic.patient.id))
    result = eyerx.update_eye_prescription(clinic.ravi, first.id, eye(full_rx(clinic.patient.id), P, near_va="N8"),
                                           "Near vision")  # fmt: skip
    assert result.amended_in_place and result.prescription.right.near_va == "N8"
    with pytest.raises(PermissionDenied):
        eyerx.update_eye_prescription(clinic.desk, first.id, full_rx(clinic.patient.id), "Receptionist")


# --- history


def test_history_newest_first_and_the_latest_valid_one(clinic: Clinic) -> None:
    assert eyerx.latest_valid_eye_prescription(clinic.meera, clinic.patient.id) is None
    older = eyerx.save_eye_prescription(clinic.meera, full_rx(clinic.patient.id))
    clinic.clock.advance(days=1)
    newer = eyerx.save_eye_prescription(clinic.ravi, full_rx(clinic.patient.id, valid_until=MONDAY + timedelta(10)))
    other = patient(clinic.system, "Bina Shah", "9845022222")
    eyerx.save_eye_prescription(clinic.meera, full_rx(other.id))
    assert [v.code for v in eyerx.eye_prescriptions_for(clinic.ravi, clinic.patient.id)] == [newer.code, older.code]
    latest = eyerx.latest_valid_eye_prescription(clinic.ravi, clinic.patient.id)
    assert latest is not None and latest.id == newer.id
    clinic.clock.advance(days=20)  # the newer one has run out; the older one is valid for a year
    latest = eyerx.latest_valid_eye_prescription(clinic.ravi, clinic.patient.id)
    assert latest is not None and latest.id == older.id
    assert [v.is_valid for v in eyerx.eye_prescriptions_for(clinic.ravi, clinic.patient.id)] == [False, True]
    clinic.clock.advance(days=365)
    assert eyerx.latest_valid_eye_prescription(clinic.ravi, clinic.patient.id) is None
    inventory = clinic.system.as_actor(actor_with_role("Inventory Manager"))  # optical.view: may read
    assert len(eyerx.eye_prescriptions_for(inventory, clinic.patient.id)) == 2
