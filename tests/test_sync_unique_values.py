"""Unique values that hold across PCs, against a real central server over PostgreSQL.

Two reception PCs check patients in for one doctor while offline: each issues its own run of tokens (``1, 2``
and ``B1, B2``), so both syncs land and every entry is on both PCs. A row that still breaks a central
constraint (the same appointment checked in on two PCs offline) is set aside as a conflict naming the
constraint; the rest of its batch lands and the PC keeps syncing.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import select

from db.models.patients import Patient
from db.models.scheduling import AppointmentQueueEntry
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.services.reception.queue import check_in, queue_for
from hms_desktop.storage.store import Store
from hms_desktop.sync.conflicts import list_conflicts
from hms_desktop.sync.state import sync_status
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.reception_fixtures import MONDAY, TEN_AM, clinic_day


def desk(store: Store, clock: FixedClock | None = None) -> Context:
    return signed_in_admin(store, clock=clock or FixedClock(TEN_AM))


def founder_day(lab: Lab) -> Any:
    ctx = desk(lab.founder)
    admin = signed_in_admin(lab.founder, clock=FixedClock(TEN_AM))  # users reach the server from an admin only

    def make_user(*roles: str, email: str, name: str) -> Any:
        return create_user(
            admin, UserInput(email, name, "Marigold-Ledger-2026", list(roles), must_change_password=False)
        )

    _, doctor = clinic_day(ctx, make_user)
    return doctor


def walk_in(ctx: Context, doctor_id: Any, name: str, at: time) -> Any:
    patient = register_patient(ctx, PatientInput(name, "F", MONDAY.replace(year=1990), phone="9886011111"),
                               allow_duplicates=True)  # fmt: skip
    return book_appointment(ctx, BookingInput(patient.id, doctor_id, MONDAY, at))


def tokens(store: Store, doctor_id: Any) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(AppointmentQueueEntry.token_prefix, AppointmentQueueEntry.token_number).where(
                AppointmentQueueEntry.doctor_id == doctor_id, AppointmentQueueEntry.queue_date == MONDAY
            )
        )
        return sorted(f"{p}{n}" for p, n in rows)


def test_two_pcs_check_in_for_one_doctor_offline_and_both_syncs_land(lab: Lab) -> None:
    doctor = founder_day(lab)
    lab.sync(lab.founder)
    second = lab.new_pc("Reception 2")
    clock = FixedClock(TEN_AM)
    a, b = desk(lab.founder, clock), desk(second, clock)
    slots = [time(10, 0), time(10, 15), time(10, 30)]
    # both desks offline: each books and checks in three walk-ins for Dr Meera, a minute apart
    for i, at in enumerate(slots):
        check_in(a, walk_in(a, doctor.id, f"Desk One Patient {i}", at).id)
        clock.advance(minutes=1)
        check_in(b, walk_in(b, doctor.id, f"Desk Two Patient {i}", at).id)
        clock.advance(minutes=1)
    assert tokens(lab.founder, doctor.id) == ["1", "2", "3"]
    assert tokens(second, doctor.id) == ["B1", "B2", "B3"]
    for store in (lab.founder, second, lab.founder):
        lab.sync(store)
    expected = ["1", "2", "3", "B1", "B2", "B3"]
    assert tokens(lab.founder, doctor.id) == tokens(second, doctor.id) == expected
    assert sorted(t for (t,) in lab.central(
        "SELECT token_prefix || token_number FROM appointment_queue")) == expected  # fmt: skip
    for store in (lab.founder, second):
        status = sync_status(store.engine)
        assert status.last_error is None and status.pending_changes == 0
        assert list_conflicts(desk(store)) == []
        # the waiting room's order interleaves the two desks by check-in time, emergencies first
        assert [e.token_label for e in queue_for(desk(store), doctor.id).waiting] == ["1", "B1", "2", "B2", "3", "B3"]
    # and they go on syncing: a later check-in on the second desk reaches the first
    check_in(b, walk_in(b, doctor.id, "Desk Two Patient Late", time(10, 45)).id)
    lab.sync(second)
    lab.sync(lab.founder)
    assert "B4" in tokens(lab.founder, doctor.id)


def test_a_row_the_central_database_refuses_is_set_aside_and_the_rest_of_the_batch_lands(lab: Lab) -> None:
    doctor = founder_day(lab)
    a = desk(lab.founder)
    booked = walk_in(a, doctor.id, "Both Desks Patient", time(11, 0))
    lab.sync(lab.founder)
    second = lab.new_pc("Reception 2")
    b = desk(second)
    # offline, both desks check the same appointment in: one active queue entry per appointment, centrally
    check_in(a, booked.id)
    check_in(b, booked.id)
    also = register_patient(b, PatientInput("Registered With It", "M", MONDAY.replace(year=1980)))
    lab.sync(lab.founder)
    lab.sync(second)  # before: the server refused the whole batch and this PC's sync stopped for good
    lab.sync(second)  # (the conflict the pull noted goes up with the next push)
    status = sync_status(second.engine)
    assert status.last_error is None and status.pending_changes == 0
    # the rest of the batch landed
    assert lab.central(f"SELECT code FROM patients WHERE id = '{also.id}'") == [(also.code,)]
    lab.sync(lab.founder)
    with lab.founder.engine.connect() as conn:
        assert conn.execute(select(Patient.code).where(Patient.id == also.id)).scalar_one() == also.code
    # the refused queue entry is a conflict on both PCs, naming the constraint, for an admin to settle (and
    # the second PC also noted the founder's entry it could not apply next to its own)
    for store in (lab.founder, second):
        set_aside = {c.reason or "": c for c in list_conflicts(desk(store)) if c.reason}
        central = [r for r in set_aside if "uq_appointment_queue_active_appointment" in r]
        assert len(central) == 1 and set_aside[central[0]].table_name == "appointment_queue"
        assert any("holds another record with the same value" in r for r in set_aside)
    # and the PC keeps syncing
    later = register_patient(b, PatientInput("After The Clash", "F", MONDAY.replace(year=1975)))
    lab.sync(second)
    lab.sync(lab.founder)
    with lab.founder.engine.connect() as conn:
        assert conn.execute(select(Patient.code).where(Patient.id == later.id)).scalar_one() == later.code
