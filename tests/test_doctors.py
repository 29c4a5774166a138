"""Doctors: profiles, weekly sessions, leaves (and the appointments they clash with), fees and the free
follow-up window. Every bad input names its field and writes nothing."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.hospital import Department, Hospital
from db.models.patients import Patient
from db.models.scheduling import Appointment, Doctor, DoctorFee, DoctorLeave, DoctorSchedule
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.admin.users import disable_user
from hms_desktop.services.reception import doctor_fees as fees
from hms_desktop.services.reception import doctor_schedules as sched
from hms_desktop.services.reception import doctors as svc
from hms_desktop.services.reception.doctor_fees import FeeInput
from hms_desktop.services.reception.doctor_schedules import ScheduleInput
from hms_desktop.services.reception.doctors import DoctorInput
from tests.conftest import actor_with_role

MON = date(2030, 1, 7)  # a Monday
TABLES = (Doctor, DoctorSchedule, DoctorLeave, DoctorFee)


def counts(ctx: Context) -> tuple[int, ...]:
    with ctx.transaction(readonly=True) as tx:
        return tuple(int(tx.session.scalar(select(func.count()).select_from(m)) or 0) for m in TABLES)


def add_department(ctx: Context, code: str, *, active: bool = True) -> uuid.UUID:
    with ctx.transaction() as tx:
        hospital_id = tx.session.scalars(select(Hospital.id)).one()
        dept = Department(hospital_id=hospital_id, code=code, name=f"Dept {code}", is_active=active)
        tx.session.add(dept)
        tx.commit()
        return dept.id


@pytest.fixture
def dept(system_ctx: Context) -> uuid.UUID:
    return add_department(system_ctx, "CARD")


@pytest.fixture
def doc_input(make_user, dept: uuid.UUID) -> DoctorInput:  # type: ignore[no-untyped-def]
    user = make_user("Doctor", email="meera@sunrise.example.in", name="Meera Iyer")
    return DoctorInput(user.id, "Dr. Meera Iyer", "Cardiology", "MBBS, MD", "KMC 12345", "Karnataka Medical Council",
                       dept)  # fmt: skip


@pytest.fixture
def doctor(system_ctx: Context, doc_input: DoctorInput) -> svc.DoctorView:
    return svc.create_doctor(system_ctx, doc_input)


def add_patient(ctx: Context, n: int = 1) -> uuid.UUID:
    with ctx.transaction() as tx:
        p = Patient(code=f"PAT-2030-{n:05d}", full_name=f"Patient {n}", name_search=f"patient {n}", phone="9845012345")
        tx.session.add(p)
        tx.commit()
        return p.id


def add_appointment(ctx: Context, code: str, patient_id: uuid.UUID, doctor_id: uuid.UUID, day: date,
                    status: str = "booked", kind: str = "new", at: time = time(10, 0)) -> None:  # fmt: skip
    with ctx.transaction() as tx:
        end = time(at.hour, at.minute + 15)
        tx.session.add(Appointment(code=code, patient_id=patient_id, doctor_id=doctor_id, appointment_date=day,
                                   slot_start=at, slot_end=end, appointment_type=kind, status=status,
                                   booked_at=datetime(2029, 12, 1, tzinfo=UTC)))  # fmt: skip
        tx.commit()


# --- profiles


def test_create_update_list_and_deactivate(system_ctx: Context, doctor: svc.DoctorView, dept: uuid.UUID) -> None:
    assert doctor.registration_number == "KMC 12345" and doctor.department_name == "Dept CARD" and doctor.is_active
    assert svc.get_doctor(system_ctx, doctor.id) == doctor
    changed = svc.update_doctor(system_ctx, doctor.id, replace(doctor, specialization="Interventional Cardiology"))
    assert changed.specialization == "Interventional Cardiology"
    other = add_department(system_ctx, "ENT")
    assert [d.id for d in svc.list_doctors(system_ctx, department_id=dept)] == [doctor.id]
    assert svc.list_doctors(system_ctx, department_id=other) == []
    assert svc.deactivate_doctor(system_ctx, doctor.id).is_active is False
    assert svc.list_doctors(system_ctx) == []
    assert [d.id for d in svc.list_doctors(system_ctx, active_only=False)] == [doctor.id]
    before = counts(system_ctx)
    with pytest.raises(Conflict, match="no longer active"):
        fees.set_fee(system_ctx, doctor.id, FeeInput("opd", "500", 0, MON))
    with pytest.raises(Conflict, match="no longer active"):
        sched.set_weekly_schedule(system_ctx, doctor.id, [])
    assert counts(system_ctx) == before
    with pytest.raises(NotFound):
        svc.get_doctor(system_ctx, uuid.uuid4())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"display_name": "  "}, "display_name"),
        ({"specialization": ""}, "specialization"),
        ({"qualification": ""}, "qualification"),
        ({"registration_number": "KMC#12"}, "registration_number"),
        ({"registration_number": ""}, "registration_number"),
        ({"registration_council": ""}, "registration_council"),
        ({"default_consultation_minutes": 0}, "default_consultation_minutes"),
        ({"default_consultation_minutes": 121}, "default_consultation_minutes"),
        ({"department_id": uuid.uuid4()}, "department_id"),
        ({"user_id": uuid.uuid4()}, "user_id"),
    ],
)
def test_bad_doctor_input(system_ctx: Context, doc_input: DoctorInput, change: dict[str, Any], field: str) -> None:
    before = counts(system_ctx)
    with pytest.raises(ValidationError) as err:
        svc.create_doctor(system_ctx, replace(doc_input, **change))
    assert err.value.field == field
    assert counts(system_ctx) == before


def test_doctor_links_must_be_live_and_unique(system_ctx: Context, make_user, doctor: svc.DoctorView) -> None:  # type: ignore[no-untyped-def]
    second = make_user("Doctor", email="arjun@sunrise.example.in", name="Arjun Rao")
    base = DoctorInput(second.id, "Dr. Arjun Rao", "ENT", "MBBS, MS", "KMC 999", "Karnataka Medical Council")
    inactive = add_department(system_ctx, "OLD", active=False)
    disabled = make_user("Doctor", email="gone@sunrise.example.in", name="Gone")
    disable_user(system_ctx, disabled.id)
    cases = [
        (replace(base, user_id=doctor.user_id), "user_id", "already has a doctor profile"),
        (replace(base, user_id=disabled.id), "user_id", "active staff account"),
        (replace(base, department_id=inactive), "department_id", "active department"),
        (replace(base, registration_number="kmc  12345", registration_council="karnataka medical council"),
         "registration_number", "already belongs to Dr. Meera Iyer"),
    ]  # fmt: skip
    before = counts(system_ctx)
    for data, field, text in cases:
        with pytest.raises(ValidationError) as err:
            svc.create_doctor(system_ctx, data)
        assert err.value.field == field and text in err.value.message
    assert counts(system_ctx) == before
    # the same number under another council is another licence
    made = svc.create_doctor(system_ctx, replace(base, registration_number="KMC 12345", registration_council="NMC"))
    with pytest.raises(ValidationError) as err:
        svc.update_doctor(system_ctx, made.id, replace(made, user_id=doctor.user_id))
    assert err.value.field == "user_id"


def test_deactivation_waits_for_live_appointments(system_ctx: Context, doctor: svc.DoctorView) -> None:
    later = system_ctx.clock.now().date() + timedelta(days=30)
    add_appointment(system_ctx, "APT-1", add_patient(system_ctx), doctor.id, later)
    with pytest.raises(Conflict, match="1 appointment"):
        svc.deactivate_doctor(system_ctx, doctor.id)
    assert svc.get_doctor(system_ctx, doctor.id).is_active


# --- weekly schedule


def session(day: int, start: str, end: str, slot: int = 15, per_slot: int = 1, **kw: Any) -> ScheduleInput:
    return ScheduleInput(day, time.fromisoformat(start), time.fromisoformat(end), slot, per_slot,
                         kw.get("effective_from", MON), kw.get("effective_to"))  # fmt: skip


def test_weekly_schedule_replaces_and_tombstones(system_ctx: Context, doctor: svc.DoctorView) -> None:
    old_week = [session(0, "10:00", "13:00"), session(2, "17:00", "19:00")]
    first = sched.set_weekly_schedule(system_ctx, doctor.id, old_week)
    assert [(v.day_name, v.start_time) for v in first] == [("Monday", time(10)), ("Wednesday", time(17))]
    # back to back is fine; so are the same hours on dates that do not meet
    week = [session(0, "09:00", "13:00", 20, 2), session(0, "13:00", "14:00"),
            session(1, "10:00", "12:00", effective_to=MON + timedelta(days=30)),
            session(1, "11:00", "12:00", effective_from=MON + timedelta(days=31))]  # fmt: skip
    views = sched.set_weekly_schedule(system_ctx, doctor.id, week)
    assert len(views) == 4 and views[0].max_patients_per_slot == 2
    assert [v.start_time for v in sched.list_schedule(system_ctx, doctor.id, on=MON)] == [time(9), time(13)]
    assert [v.start_time for v in sched.list_schedule(system_ctx, doctor.id, on=MON + timedelta(days=36))] == [time(11)]
    assert sched.list_schedule(system_ctx, doctor.id, on=MON + timedelta(days=2)) == []
    with system_ctx.transaction(readonly=True) as tx:
        old = tx.session.scalars(select(DoctorSchedule).where(DoctorSchedule.deleted_at.is_not(None))).all()
    assert {(o.day_of_week, o.is_active) for o in old} == {(0, False), (2, False)}


@pytest.mark.parametrize(
    ("sessions", "field", "text"),
    [
        ([session(0, "13:00", "10:00")], "end_time", "end after it starts"),
        ([session(0, "10:00", "10:00")], "end_time", "end after it starts"),
        ([session(0, "10:00", "12:00", slot=4)], "slot_minutes", "5 to 120"),
        ([session(0, "10:00", "14:00", slot=121)], "slot_minutes", "5 to 120"),
        ([session(0, "10:00", "12:50", slot=15)], "slot_minutes", "170 minutes cannot be split into 15-minute"),
        ([session(0, "10:00", "12:00", per_slot=0)], "max_patients_per_slot", "1 to 20"),
        ([session(0, "10:00", "12:00", per_slot=21)], "max_patients_per_slot", "1 to 20"),
        ([session(7, "10:00", "12:00")], "day_of_week", "0 to 6"),
        ([session(0, "10:00", "12:00", effective_to=MON - timedelta(days=1))], "effective_to", "on or after"),
        ([session(0, "10:00", "13:00"), session(0, "12:00", "14:00")], "sessions",
         "Monday 10:00-13:00 overlaps 12:00-14:00"),
    ],
)  # fmt: skip
def test_bad_schedule(
    system_ctx: Context, doctor: svc.DoctorView, sessions: list[ScheduleInput], field: str, text: str
) -> None:
    sched.set_weekly_schedule(system_ctx, doctor.id, [session(4, "10:00", "11:00")])
    before = counts(system_ctx)
    with pytest.raises(ValidationError) as err:
        sched.set_weekly_schedule(system_ctx, doctor.id, [session(3, "08:00", "09:00"), *sessions])
    assert err.value.field == field and text in err.value.message
    assert counts(system_ctx) == before
    assert [v.day_of_week for v in sched.list_schedule(system_ctx, doctor.id)] == [4]


# --- leaves


def test_leave_status_machine_and_on_leave(system_ctx: Context, doctor: svc.DoctorView) -> None:
    as_doctor = replace(system_ctx, actor=actor_with_role("Doctor"))
    asked = sched.request_leave(as_doctor, doctor.id, MON, MON + timedelta(days=2), "Conference")
    assert asked.status == "requested" and asked.approved_by_id is None
    with system_ctx.transaction(readonly=True) as tx:
        assert not sched.doctor_on_leave(tx.session, doctor.id, MON)
    assert sched.approve_leave(system_ctx, asked.id).status == "approved"
    with system_ctx.transaction(readonly=True) as tx:
        on = [sched.doctor_on_leave(tx.session, doctor.id, MON + timedelta(days=d)) for d in (-1, 0, 2, 3)]
    assert on == [False, True, True, False]
    with pytest.raises(Conflict):
        sched.reject_leave(system_ctx, asked.id)
    assert sched.cancel_leave(system_ctx, asked.id).status == "cancelled"
    with pytest.raises(Conflict):
        sched.approve_leave(system_ctx, asked.id)
    # a manager's record is approved at once; a cancelled leave no longer blocks the dates
    recorded = sched.request_leave(system_ctx, doctor.id, MON + timedelta(days=1), MON + timedelta(days=1), "Fever")
    assert recorded.status == "approved"
    assert [v.id for v in sched.list_leaves(system_ctx, doctor.id)] == [recorded.id]
    other = sched.request_leave(as_doctor, doctor.id, MON + timedelta(days=9), MON + timedelta(days=9), "")
    assert sched.reject_leave(system_ctx, other.id).status == "rejected"


def test_bad_leave(system_ctx: Context, doctor: svc.DoctorView) -> None:
    sched.request_leave(system_ctx, doctor.id, MON, MON + timedelta(days=4), "Family function")
    before = counts(system_ctx)
    for start, end, field in [
        (MON + timedelta(days=10), MON + timedelta(days=9), "end_date"),
        (MON + timedelta(days=4), MON + timedelta(days=6), "start_date"),  # shares the last day
        (MON - timedelta(days=3), MON, "start_date"),  # shares the first day
        (MON - timedelta(days=3), MON + timedelta(days=9), "start_date"),  # covers it
    ]:
        with pytest.raises(ValidationError) as err:
            sched.request_leave(system_ctx, doctor.id, start, end, "x")
        assert err.value.field == field
    assert counts(system_ctx) == before


def test_leave_clashes_list_live_appointments(system_ctx: Context, doctor, doc_input, make_user) -> None:  # type: ignore[no-untyped-def]
    other_user = make_user("Doctor", email="arjun@sunrise.example.in")
    other = svc.create_doctor(system_ctx, replace(doc_input, user_id=other_user.id, registration_number="KMC 2"))
    p1, p2 = add_patient(system_ctx, 1), add_patient(system_ctx, 2)
    tue, wed = MON + timedelta(days=1), MON + timedelta(days=2)
    add_appointment(system_ctx, "APT-3", p1, doctor.id, wed, at=time(9, 0))
    add_appointment(system_ctx, "APT-2", p2, doctor.id, tue, status="checked_in", at=time(11, 30))
    add_appointment(system_ctx, "APT-1", p1, doctor.id, tue, at=time(10, 0))
    add_appointment(system_ctx, "APT-X1", p2, doctor.id, tue, status="cancelled")
    add_appointment(system_ctx, "APT-X2", p2, doctor.id, wed, status="completed", at=time(12, 0))
    add_appointment(system_ctx, "APT-X3", p1, doctor.id, MON, at=time(12, 0))  # the day before the leave
    add_appointment(system_ctx, "APT-X4", p1, other.id, tue)  # another doctor
    leave = sched.request_leave(system_ctx, doctor.id, tue, wed, "Camp")
    clashes = sched.leave_clashes(system_ctx, leave.id)
    assert [(c.appointment_code, c.appointment_date, c.slot_start) for c in clashes] == [
        ("APT-1", tue, time(10)), ("APT-2", tue, time(11, 30)), ("APT-3", wed, time(9))]  # fmt: skip
    assert [c.patient_id for c in clashes] == [p1, p2, p1] and clashes[1].patient_code == "PAT-2030-00002"
    assert clashes[0].patient_phone == "9845012345"


# --- fees


def fee(kind: str, amount: Any, start: date, free_days: int = 0, end: date | None = None) -> FeeInput:
    return FeeInput(kind, amount, free_days, start, end)


def test_fees_in_paise_and_previous_closed(system_ctx: Context, doctor: svc.DoctorView) -> None:
    first = fees.set_fee(system_ctx, doctor.id, fee("opd", "500", MON))
    assert first.amount_paise == 50_000 and first.amount_rupees == "500.00"
    second = fees.set_fee(system_ctx, doctor.id, fee("opd", "₹ 1,499.50", MON + timedelta(days=30)))
    assert second.amount_paise == 149_950
    assert fees.set_fee(system_ctx, doctor.id, fee("emergency", Decimal("650.5"), MON)).amount_paise == 65_050
    opd_on = [fees.fee_for(system_ctx, doctor.id, "opd", MON + timedelta(days=d)) for d in (-1, 0, 29, 30)]
    assert [f.amount_paise if f else None for f in opd_on] == [None, 50_000, 50_000, 149_950]
    assert opd_on[1] is not None and opd_on[1].effective_to == MON + timedelta(days=29)
    assert [f.fee_type for f in fees.list_fees(system_ctx, doctor.id)] == ["emergency", "opd", "opd"]
    with pytest.raises(ValidationError) as err:
        fees.fee_for(system_ctx, doctor.id, "vip", MON)
    assert err.value.field == "fee_type"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (fee("opd", "-1", MON + timedelta(days=40)), "amount_rupees"),
        (fee("opd", "499.505", MON + timedelta(days=40)), "amount_rupees"),
        (fee("opd", "five hundred", MON + timedelta(days=40)), "amount_rupees"),
        (fee("opd", "1e3", MON + timedelta(days=40)), "amount_rupees"),
        (fee("opd", 499.5, MON + timedelta(days=40)), "amount_rupees"),
        (fee("opd", Decimal("NaN"), MON + timedelta(days=40)), "amount_rupees"),
        (fee("follow_up", "300", MON + timedelta(days=40), free_days=91), "follow_up_free_days"),
        (fee("follow_up", "300", MON + timedelta(days=40), free_days=-1), "follow_up_free_days"),
        (fee("opd", "300", MON + timedelta(days=40), free_days=7), "follow_up_free_days"),
        (fee("vip", "300", MON + timedelta(days=40)), "fee_type"),
        (fee("opd", "600", MON), "effective_from"),  # same start as the current fee
        (fee("opd", "600", MON - timedelta(days=1)), "effective_from"),
        (fee("opd", "600", MON + timedelta(days=40), end=MON + timedelta(days=39)), "effective_to"),
    ],
)
def test_bad_fee(system_ctx: Context, doctor: svc.DoctorView, data: FeeInput, field: str) -> None:
    fees.set_fee(system_ctx, doctor.id, fee("opd", "500", MON))
    before = counts(system_ctx)
    with pytest.raises(ValidationError) as err:
        fees.set_fee(system_ctx, doctor.id, data)
    assert err.value.field == field
    assert counts(system_ctx) == before
    current = fees.fee_for(system_ctx, doctor.id, "opd", MON + timedelta(days=400))
    assert current is not None and current.effective_to is None and current.amount_paise == 50_000


def test_free_follow_up_window(system_ctx: Context, doctor: svc.DoctorView) -> None:
    fees.set_fee(system_ctx, doctor.id, fee("opd", "500", MON))
    fees.set_fee(system_ctx, doctor.id, fee("follow_up", "300", MON, free_days=7))
    fees.set_fee(system_ctx, doctor.id, fee("emergency", "1000", MON))
    patient = add_patient(system_ctx)
    add_appointment(system_ctx, "APT-1", patient, doctor.id, MON, status="completed")

    def charge(day: date, kind: str = "follow_up") -> tuple[str, int, str]:
        with system_ctx.transaction(readonly=True) as tx:
            return fees.consultation_fee(tx.session, doctor.id, patient, day, kind)

    assert charge(MON + timedelta(days=7)) == ("follow_up", 0, "free follow-up within 7 days")
    assert charge(MON + timedelta(days=8))[:2] == ("follow_up", 30_000)
    assert charge(MON + timedelta(days=3), "emergency")[:2] == ("emergency", 100_000)
    assert charge(MON + timedelta(days=3), "new")[:2] == ("opd", 50_000)
    # a free follow-up does not restart the window; a paid one does
    add_appointment(system_ctx, "APT-2", patient, doctor.id, MON + timedelta(days=5), "completed", "follow_up")
    assert charge(MON + timedelta(days=8))[1] == 30_000
    # the visit being charged may already be completed: it does not make itself free
    add_appointment(system_ctx, "APT-2B", patient, doctor.id, MON + timedelta(days=8), "completed", "follow_up")
    assert charge(MON + timedelta(days=8))[1] == 30_000
    add_appointment(system_ctx, "APT-3", patient, doctor.id, MON + timedelta(days=20), "completed", "follow_up")
    assert charge(MON + timedelta(days=27))[1] == 0
    with system_ctx.transaction(readonly=True) as tx, pytest.raises(Conflict, match="No OPD fee"):
        fees.consultation_fee(tx.session, doctor.id, patient, MON - timedelta(days=1), "new")


def test_receptionist_reads_but_cannot_set_fees(system_ctx: Context, doctor: svc.DoctorView) -> None:
    desk = replace(system_ctx, actor=actor_with_role("Receptionist"))
    assert [d.id for d in svc.list_doctors(desk)] == [doctor.id]
    before = counts(system_ctx)
    with pytest.raises(PermissionDenied):
        fees.set_fee(desk, doctor.id, fee("opd", "500", MON))
    with pytest.raises(PermissionDenied):
        sched.set_weekly_schedule(desk, doctor.id, [session(0, "10:00", "11:00")])
    assert counts(system_ctx) == before
