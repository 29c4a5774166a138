"""Services compose: a service called inside another's transaction joins it, so one user action is one
transaction whatever modules it spans; an error anywhere rolls back the whole action; a denial inside it is
audited without a second write transaction (which would wait out the busy timeout)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import event, func, select

from db.models.audit import AuditLog
from db.models.patients import Patient
from db.models.scheduling import Appointment
from hms_desktop.context import HOOKS, Actor, Context
from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.services.admin.audit_trail import verify_audit
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.doctors import list_doctors
from hms_desktop.services.reception.patients import PatientInput, register_patient
from tests.conftest import actor_with_role
from tests.reception_fixtures import MONDAY, clinic_day


def counts(ctx: Context) -> tuple[int, int, int]:
    with ctx.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(Patient)).scalar_one(),
            conn.execute(select(func.count()).select_from(Appointment)).scalar_one(),
            conn.execute(select(func.count()).select_from(AuditLog)).scalar_one(),
        )


@contextmanager
def begins(ctx: Context) -> Iterator[list[str]]:
    """Every BEGIN the store sees meanwhile (one per transaction), and every pool checkout."""
    seen: list[str] = []

    def on_begin(conn: Any) -> None:
        seen.append("begin")

    def on_checkout(*_: Any) -> None:
        seen.append("checkout")

    event.listen(ctx.engine, "begin", on_begin)
    event.listen(ctx.engine.pool, "checkout", on_checkout)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "begin", on_begin)
        event.remove(ctx.engine.pool, "checkout", on_checkout)


def register_and_book(ctx: Context, name: str, doctor_id: Any, day: date, at: time) -> None:
    """One front-desk action spanning two services: register a walk-in and book them."""
    with ctx.transaction() as tx:
        patient = register_patient(ctx, PatientInput(name, "F", date(1990, 1, 1), phone="9886012345"))
        book_appointment(ctx, BookingInput(patient.id, doctor_id, day, at))
        tx.commit()


def test_two_services_make_one_transaction(system_ctx: Context, make_user: Any) -> None:
    ctx, doctor = clinic_day(system_ctx, make_user)
    before = counts(ctx)
    with begins(ctx) as seen:
        register_and_book(ctx, "Meera Joshi", doctor.id, MONDAY, time(11, 0))
    assert seen.count("begin") == 1 and seen.count("checkout") == 1  # no second transaction, no lock wait
    patients, appointments, audit = counts(ctx)
    assert (patients, appointments) == (before[0] + 1, before[1] + 1)
    assert audit > before[2]
    assert verify_audit(ctx).ok


def test_a_failure_in_the_second_half_leaves_nothing_written(system_ctx: Context, make_user: Any) -> None:
    ctx, doctor = clinic_day(system_ctx, make_user)
    before = counts(ctx)
    with pytest.raises(ValidationError):  # 03:00 is outside the doctor's sessions
        register_and_book(ctx, "Meera Joshi", doctor.id, MONDAY, time(3, 0))
    assert counts(ctx) == before
    # the patient code the rolled-back action took is issued again: no gap in the series
    first = register_patient(ctx, PatientInput("Next Patient", "M", date(1985, 5, 5)))
    with ctx.engine.connect() as conn:
        codes = conn.execute(select(Patient.code)).scalars().all()
    assert first.code == max(codes)
    assert verify_audit(ctx).ok


def test_a_denial_in_the_second_half_keeps_only_the_denials_audit_row(system_ctx: Context, make_user: Any) -> None:
    ctx, doctor = clinic_day(system_ctx, make_user)
    # may register patients, may not book
    clerk = actor_with_role("Receptionist")
    clerk = replace(clerk, permissions=clerk.permissions - {"appointments.create"})
    as_clerk = ctx.as_actor(clerk)
    before = counts(ctx)
    with begins(ctx) as seen, pytest.raises(PermissionDenied):
        register_and_book(as_clerk, "Meera Joshi", doctor.id, MONDAY, time(11, 0))
    assert seen.count("begin") == 2  # the action (rolled back), then the denial's own record
    patients, appointments, audit = counts(ctx)
    assert (patients, appointments, audit) == (before[0], before[1], before[2] + 1)
    with ctx.engine.connect() as conn:
        last = conn.execute(
            select(AuditLog.action, AuditLog.outcome, AuditLog.entity_id, AuditLog.user_email)
            .order_by(AuditLog.seq.desc())
            .limit(1)
        ).one()
    assert tuple(last) == ("permission_denied", "denied", "appointments.create", clerk.email)
    assert verify_audit(ctx).ok


def test_a_caller_that_handles_an_inner_error_keeps_its_own_writes(system_ctx: Context) -> None:
    before = counts(system_ctx)
    with system_ctx.transaction() as tx:
        register_patient(system_ctx, PatientInput("Kept Patient", "F", date(1990, 1, 1)))
        try:
            with system_ctx.transaction() as inner:
                inner.session.add(Patient(code="TMP-1", full_name="Dropped", name_search="dropped", gender="M"))
                inner.session.flush()
                raise ValidationError("full_name", "changed my mind")
        except ValidationError:
            pass
        tx.commit()
    with system_ctx.engine.connect() as conn:
        names = set(conn.execute(select(Patient.full_name)).scalars())
    assert "Kept Patient" in names and "Dropped" not in names
    assert counts(system_ctx)[0] == before[0] + 1
    assert verify_audit(system_ctx).ok  # the audit rows of the undone part left no hole in the chain


def test_a_read_inside_an_action_sees_its_writes_and_a_write_cannot_join_a_read(system_ctx: Context) -> None:
    with system_ctx.transaction() as tx:
        made = register_patient(system_ctx, PatientInput("Seen Inside", "F", date(1990, 1, 1)))
        with system_ctx.transaction(readonly=True) as read:
            assert read.session.get(Patient, made.id) is not None
        tx.commit()
    with system_ctx.transaction(readonly=True), pytest.raises(RuntimeError, match="cannot join a read-only"):
        register_patient(system_ctx, PatientInput("Never Written", "F", date(1990, 1, 1)))


def test_a_service_in_another_store_does_not_join(system_ctx: Context, make_user: Any) -> None:
    ctx, _ = clinic_day(system_ctx, make_user)
    with ctx.transaction() as tx:
        assert list_doctors(ctx)  # a read of the same store joins; nothing is waited on
        tx.commit()


def test_no_transaction_before_the_hooks_are_installed(system_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(HOOKS, "installed", False)
    with pytest.raises(RuntimeError, match="hooks"), system_ctx.transaction():
        pass


def test_the_anonymous_actor_is_denied_without_a_lock_wait(system_ctx: Context) -> None:
    nobody = system_ctx.as_actor(Actor.anonymous())
    with system_ctx.transaction() as tx:
        with pytest.raises(PermissionDenied):
            register_patient(nobody, PatientInput("Nobody", "F", date(1990, 1, 1)))
        tx.commit()
    with system_ctx.engine.connect() as conn:
        last = conn.execute(select(AuditLog.action).order_by(AuditLog.seq.desc()).limit(1)).scalar_one()
    assert last == "permission_denied"
