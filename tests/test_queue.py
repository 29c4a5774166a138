"""The live queue: tokens, priority, estimated wait, call next / skip / recall, walk-ins, and the whole
Phase 1 journey in one test."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from db.models.scheduling import Appointment, AppointmentQueueEntry
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.printing.render import pdf_to_images
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.appointments import BookingInput
from hms_desktop.services.reception.doctors import DoctorView
from hms_desktop.services.reception.id_cards import print_id_card
from hms_desktop.services.reception.patient_records import ConsentInput, add_document, list_consents, record_consent
from hms_desktop.services.reception.patient_search import open_by_code, search_patients
from tests.reception_fixtures import MONDAY, clinic_day, patient


@pytest.fixture
def day(system_ctx: Context, make_user) -> tuple[Context, DoctorView]:  # type: ignore[no-untyped-def]
    return clinic_day(system_ctx, make_user)


def booked(ctx: Context, doctor: DoctorView, name: str, phone: str, at: time, kind: str = "new", **kw: object):  # type: ignore[no-untyped-def]
    p = patient(ctx, name, phone, **kw)
    return appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, at, kind))


def test_check_in_tokens_and_priority(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    a = booked(ctx, doctor, "Asha Verma", "9845000001", time(10, 0))
    b = booked(ctx, doctor, "Bina Shah", "9845000002", time(10, 0))
    senior = booked(ctx, doctor, "Gopal Rao", "9845000003", time(10, 15), born=date(1950, 1, 1))
    urgent = booked(ctx, doctor, "Chetan Das", "9845000004", time(10, 15), "emergency")
    tokens = [queue.check_in(ctx, x.id).token for x in (a, b, senior, urgent)]
    assert tokens == [1, 2, 3, 4]
    view = queue.queue_for(ctx, doctor.id)
    assert [e.patient_name for e in view.waiting] == ["Chetan Das", "Gopal Rao", "Asha Verma", "Bina Shah"]
    assert view.waiting[1].priority_group == "senior_citizen"
    assert [e.wait_minutes for e in view.waiting] == [0, 15, 30, 45]  # 15 min default, nobody with the doctor yet


def test_check_in_refusals(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    a = booked(ctx, doctor, "Asha Verma", "9845000001", time(10, 0))
    queue.check_in(ctx, a.id)
    with pytest.raises(ValidationError, match="already checked in") as err:
        queue.check_in(ctx, a.id)
    assert err.value.field == "appointment_id"
    b = booked(ctx, doctor, "Bina Shah", "9845000002", time(10, 0))
    appt.cancel_appointment(ctx, b.id, "Going elsewhere")
    with pytest.raises(ValidationError, match="cancelled"):
        queue.check_in(ctx, b.id)
    later = appt.book_appointment(ctx, BookingInput(b.patient_id, doctor.id, date(2026, 12, 7), time(10, 0)))
    with pytest.raises(ValidationError, match="not today"):
        queue.check_in(ctx, later.id)
    with ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(AppointmentQueueEntry)) == 1


def test_call_next_skip_recall_and_the_measured_wait(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    people = [booked(ctx, doctor, f"Patient {n}", f"98450000{i:02d}", time(10, 15 * (i // 2)))
              for i, n in enumerate("ABCDEF")]  # fmt: skip
    entries = [queue.check_in(ctx, p.id) for p in people]
    first = queue.call_next(ctx, doctor.id)
    assert first is not None and first.token == 1 and first.status == "called"
    for _ in range(3):  # three consultations of 10 minutes each
        clock.advance(minutes=10)
        queue.call_next(ctx, doctor.id)
    view = queue.queue_for(ctx, doctor.id)
    assert view.average_minutes == pytest.approx(10.0)
    assert view.serving is not None and view.serving.token == 4
    assert [e.wait_minutes for e in view.waiting] == [10, 20]
    queue.skip(ctx, view.serving.id)  # patient D is not there
    nxt = queue.call_next(ctx, doctor.id)
    assert nxt is not None and nxt.token == 5
    queue.recall(ctx, entries[3].id)  # D is back: in line by their token
    assert [e.token for e in queue.queue_for(ctx, doctor.id).waiting] == [4, 6]
    with pytest.raises(Conflict):
        queue.recall(ctx, entries[0].id)
    with ctx.transaction(readonly=True) as tx:
        done = tx.session.scalars(select(Appointment).where(Appointment.status == "completed")).all()
    assert len(done) == 3  # A, B and C; E is with the doctor now
    assert queue.call_next(ctx, doctor.id).token == 4  # type: ignore[union-attr]
    assert queue.call_next(ctx, doctor.id).token == 6  # type: ignore[union-attr]
    assert queue.call_next(ctx, doctor.id) is None


def test_walk_ins_get_tokens_too(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    a = booked(ctx, doctor, "Asha Verma", "9845000001", time(10, 0))
    queue.check_in(ctx, a.id)
    w = patient(ctx, "Walk In", "9845000009")
    entry = queue.walk_in(ctx, w.id, doctor.id)
    assert entry.token == 2 and entry.wait_minutes == 15
    e = patient(ctx, "Road Accident", "9845000010")
    urgent = queue.walk_in(ctx, e.id, doctor.id, emergency=True)
    assert queue.queue_for(ctx, doctor.id).waiting[0].id == urgent.id


def test_the_whole_phase_1_journey(day: tuple[Context, DoctorView]) -> None:
    """register -> card -> consent -> book -> check in -> queue -> call next, on an encrypted store."""
    ctx, doctor = day
    p = patient(ctx, "Kavya Nair", "9846012345", city="Kochi", state_code="32")
    card = print_id_card(ctx, p.id)
    scanned = {r.text for r in zxingcpp.read_barcodes(pdf_to_images(card.pdf, dpi=300)[0])}
    assert scanned == {p.code}
    assert open_by_code(ctx, next(iter(scanned))).id == p.id
    png = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(png, "PNG")
    form = add_document(ctx, p.id, "consent-form.png", png.getvalue(), "consent")
    record_consent(ctx, ConsentInput(p.id, "treatment", "2026.1", "Kavya Nair", document_id=form.id))
    assert len(list_consents(ctx, p.id)) == 1
    found = search_patients(ctx, "kav").items
    assert [x.code for x in found] == [p.code]
    booking = appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(10, 30), "new", "cough"))
    entry = queue.check_in(ctx, booking.id)
    assert entry.token == 1 and queue.queue_for(ctx, doctor.id).waiting[0].patient_code == p.code
    called = queue.call_next(ctx, doctor.id)
    assert called is not None and called.patient_id == p.id and called.status == "called"
    assert queue.queue_for(ctx, doctor.id).serving.patient_name == "Kavya Nair"  # type: ignore[union-attr]
