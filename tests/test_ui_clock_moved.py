"""The key flows of the desktop with the clinic's clock years away from the real date (and, in one run, in a
zone whose UTC date is still the day before): any screen that takes its dates from the machine, from UTC or
from a zone other than the clinic's shows the wrong day, age or time here.

Each run is a Monday at 10:00 on the clinic's wall clock: 10 March 2031 and 7 January 2019 in Bengaluru, and
7 January 2019 in Auckland (still Sunday 6 January 21:00 in UTC). Dr Kavitha Rao sees patients on Mondays
09:00-12:00 in 15-minute slots, on a schedule in force since the year before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.models.scheduling import Appointment, AppointmentQueueEntry
from hms_desktop.clinic_time import DEFAULT_ZONE
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.services.admin.hospital import update_settings
from hms_desktop.services.admin.roles import create_role
from hms_desktop.services.admin.taxes import list_taxes
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, list_leaves, set_weekly_schedule
from hms_desktop.services.reception.doctors import DoctorInput, DoctorView, create_doctor
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL
from tests.reception_fixtures import patient
from tests.ui_support import signed_in_window
from ui import clinic_time
from ui.docks.admin.common import date_of
from ui.docks.audit.model import COLUMNS
from ui.qt import QDate, QLabel, QMessageBox, Qt, QTest
from ui.worker import worker

WAIT = 5000
PASSWORD = "Saffron-Teapot-2027"
DESK = "desk@sunrise.example.in"
AUDITOR = "auditor@sunrise.example.in"

CASES = [
    pytest.param((datetime(2031, 3, 10, 10, 0), "Asia/Kolkata"), id="2031-03-10-kolkata"),
    pytest.param((datetime(2019, 1, 7, 10, 0), "Asia/Kolkata"), id="2019-01-07-kolkata"),
    pytest.param((datetime(2019, 1, 7, 10, 0), "Pacific/Auckland"), id="2019-01-07-auckland"),
]


@dataclass(frozen=True)
class Clinic:
    ctx: Context  # the system's, on the moved clock
    clock: FixedClock
    wall: datetime  # the clinic's wall clock: Monday 10:00 in its zone
    zone: str
    doctor: DoctorView

    @property
    def today(self) -> date:
        return self.wall.date()

    @property
    def qtoday(self) -> QDate:
        return QDate(self.today.year, self.today.month, self.today.day)


@pytest.fixture(params=CASES)
def clinic(request: pytest.FixtureRequest, system_ctx: Context, make_user: Any) -> Clinic:
    local, zone = request.param
    wall = local.replace(tzinfo=ZoneInfo(zone))
    assert wall.weekday() == 0  # a Monday, the doctor's day
    if zone != DEFAULT_ZONE:
        update_settings(system_ctx, {"timezone": zone})
    clock = FixedClock(wall)
    ctx = replace(system_ctx, clock=clock)
    user = make_user("Doctor", email="kavitha@sunrise.example.in", name="Kavitha Rao")
    doctor = create_doctor(ctx, DoctorInput(user.id, "Dr Kavitha Rao", "General Medicine", "MBBS, MD", "KMC-50217",
                                            "Karnataka Medical Council"))  # fmt: skip
    since = date(wall.year - 1, 1, 1)  # in force well before the clinic's today, whatever year that is
    set_weekly_schedule(ctx, doctor.id, [ScheduleInput(0, time(9), time(12), 15, 2, since)])
    make_user("Receptionist", email=DESK, password=PASSWORD, name="Front Desk")
    return Clinic(ctx, clock, wall, zone, doctor)


@pytest.fixture(autouse=True)
def settle(qtbot: Any) -> Iterator[None]:
    """Every background job has delivered before the widgets go away; the screens' time source is put back
    (a later test that builds a widget without a main window must not inherit this test's clock)."""
    source = clinic_time._source
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)
    clinic_time.follow(source)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are recorded, never shown (a question is answered Yes)."""
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2:3]}"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return shown


def type_into(widget: Any, text: str) -> None:
    widget.clear()
    QTest.keyClicks(widget, text)


def enter(widget: Any) -> None:
    QTest.keyClick(widget, Qt.Key.Key_Return)


def click(button: Any) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def labels(window: Any, name: str) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel, name)]


# --- Reception: register, book, check in, call next, a consent, the waiting room


def test_reception_flows_on_the_clinic_s_day(
    qtbot: Any, store: Store, clinic: Clinic, tmp_path: Path, dialogs: list[str]
) -> None:
    today = clinic.today
    window = signed_in_window(qtbot, store, tmp_path, DESK, PASSWORD, clock=clinic.clock)
    reception = window.dock_widget("reception")
    booking, form = reception.booking, reception.form
    # the day picker starts at the clinic's today, before any answer has come back from the store
    assert booking.day.date() == clinic.qtoday and booking.chosen_day() == today

    # a patient known only by age: the date of birth is worked out from the clinic's today
    form.dob_known.setChecked(False)
    form.age.setValue(30)
    form.gender.setCurrentIndex(form.gender.findData("M"))
    type_into(form.name, "Ravi Shankar")
    type_into(form.phone, "98450 22334")
    enter(form.phone)
    qtbot.waitUntil(lambda: reception.patient is not None, timeout=WAIT)
    ravi = reception.patient
    assert ravi.code == f"PAT-{today.year}-00001"
    assert (ravi.date_of_birth, ravi.dob_is_approximate, ravi.age) == (today.replace(year=today.year - 30), True, 30)

    # a patient whose 40th birthday is the clinic's today (in UTC or by the machine's date, another age)
    window.action.emit("new_patient")
    form.dob_known.setChecked(True)
    born = today.replace(year=today.year - 40)
    form.dob.setDate(QDate(born.year, born.month, born.day))
    form.gender.setCurrentIndex(form.gender.findData("F"))
    type_into(form.name, "Lakshmi Narayan")
    type_into(form.phone, "98860 12345")
    enter(form.phone)
    qtbot.waitUntil(lambda: reception.patient is not None and reception.patient.id != ravi.id, timeout=WAIT)
    lakshmi = reception.patient
    assert lakshmi.code == f"PAT-{today.year}-00002" and lakshmi.age == 40
    assert form.age.value() == 40 and form.errors.message_for("date_of_birth") == ""
    QTest.keyClicks(reception.search, "Lakshmi")
    qtbot.waitUntil(lambda: reception.model.rowCount() == 1, timeout=WAIT)
    assert reception.model.data(reception.model.index(0, 2)) == "40 / F"

    # a consent signed now is dated the clinic's today
    reception.records.sign()
    qtbot.waitUntil(lambda: reception.records.consents.count() == 1, timeout=WAIT)
    assert reception.records.consents.item(0).text().endswith(f"signed {today:%d-%m-%Y}")

    # the clinic's Monday: 09:00-09:45 are past at 10:00, the 10:00 slot is the first open one
    qtbot.waitUntil(lambda: booking.doctor.currentData() == clinic.doctor.id and booking.slots.rowCount() == 12,
                    timeout=WAIT)  # fmt: skip
    assert booking.chosen_day() == today and not booking.leave_banner.isVisibleTo(booking)
    assert [booking.slots.item(r, 2).text() for r in range(12)] == ["past"] * 4 + ["free"] * 8
    assert booking.slots.currentRow() == 4 and booking.slots.item(4, 0).text() == "10:00-10:15"
    window.action.emit("book")
    booking.slots.setCurrentCell(6, 0)  # 10:30
    click(booking.book_button)
    qtbot.waitUntil(lambda: booking.list.rowCount() == 1, timeout=WAIT)
    assert [booking.list.item(0, c).text() for c in (1, 2, 4)] == ["10:30", "Lakshmi Narayan", "booked"]
    booking.list.setCurrentCell(0, 0)
    window.action.emit("check_in")
    qtbot.waitUntil(lambda: booking.list.item(0, 4).text() == "checked_in", timeout=WAIT)

    panel = reception.queue
    panel.select_doctor(clinic.doctor.id)
    window.action.emit("call_next")
    qtbot.waitUntil(lambda: "Lakshmi Narayan" in panel.serving.text(), timeout=WAIT)
    assert panel.serving.text() == "With the doctor: token 1, Lakshmi Narayan"
    with clinic.ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(Appointment.appointment_date)) == today
        entry = tx.session.scalars(select(AppointmentQueueEntry)).one()
        assert (entry.queue_date, entry.status, entry.called_at) == (today, "called", clinic.clock.now())

    # the waiting room, opened from the desk whose role cannot read the settings: the clinic's time still
    window.show_waiting_room()
    room = window._waiting_room
    qtbot.addWidget(room)
    qtbot.waitUntil(lambda: labels(room, "servingToken") == ["1"], timeout=WAIT)
    assert labels(room, "servingName") == ["Lakshmi N."]
    assert room.clock.text() == "10:00 AM"
    room.close()
    assert not dialogs


# --- Admin: the defaults of the leave, schedule, fee and tax forms; the last sign-in


def test_admin_forms_default_to_the_clinic_s_today(
    qtbot: Any, store: Store, clinic: Clinic, tmp_path: Path, dialogs: list[str]
) -> None:
    today, ctx, doctor = clinic.today, clinic.ctx, clinic.doctor
    asha = patient(ctx, "Asha Kumari", "9886011111")
    book_appointment(ctx, BookingInput(asha.id, doctor.id, today, time(10, 30)))
    window = signed_in_window(qtbot, store, tmp_path, clock=clinic.clock)
    admin = window.dock_widget("admin")

    users = admin.show_tab("users")
    qtbot.waitUntil(lambda: users.table.rowCount() == 3, timeout=WAIT)
    last_sign_in = {users.table.item(r, 1).text(): users.table.item(r, 4).text() for r in range(3)}
    assert last_sign_in[ADMIN_EMAIL] == clinic.wall.strftime("%d %b %Y %H:%M")  # e.g. "10 Mar 2031 10:00"
    assert last_sign_in[DESK] == "never"

    doctors = admin.show_tab("doctors")
    qtbot.waitUntil(lambda: doctors.table.rowCount() == 1, timeout=WAIT)
    doctors.table.selectRow(0)
    leaves = doctors.leaves
    doctors.pages.setCurrentWidget(leaves)
    assert (date_of(leaves.start), date_of(leaves.end)) == (today, today)
    type_into(leaves.reason, "Unwell")
    click(leaves.add_button)  # with the dates as they came: today only
    qtbot.waitUntil(lambda: leaves.table.rowCount() == 1, timeout=WAIT)
    [leave] = list_leaves(ctx, doctor.id)
    assert (leave.start_date, leave.end_date, leave.status) == (today, today, "approved")
    assert leaves.table.item(0, 0).text() == f"{today:%d %b %Y}"
    leaves.table.selectRow(0)
    qtbot.waitUntil(lambda: leaves.clashes.rowCount() == 1, timeout=WAIT)
    clash = [leaves.clashes.item(0, c).text() for c in range(leaves.clashes.columnCount())]
    assert (clash[0], clash[1], clash[3]) == (f"{today:%d %b %Y}", "10:30", asha.code)

    schedule = doctors.schedule
    doctors.pages.setCurrentWidget(schedule)
    qtbot.waitUntil(lambda: schedule.sessions.rowCount() == 1, timeout=WAIT)
    assert date_of(schedule.sessions.cellWidget(0, 5)) == date(today.year - 1, 1, 1)  # as stored
    schedule.sessions.setCurrentCell(0, 0)
    schedule.remove_row()
    row = schedule.add_row()  # a new session on a blank week: in force from the clinic's today
    assert date_of(schedule.sessions.cellWidget(row, 5)) == today
    assert date_of(schedule.sessions.cellWidget(row, 6)) is None
    assert schedule.row_input(row).effective_from == today

    assert date_of(doctors.fees.start) == today

    taxes = admin.show_tab("taxes")
    qtbot.waitUntil(lambda: taxes.loaded, timeout=WAIT)
    assert (date_of(taxes.effective_from), date_of(taxes.effective_to)) == (today, None)
    assert date_of(taxes.end_date) == today
    before = taxes.table.rowCount()
    type_into(taxes.name, "GST on spectacles")
    type_into(taxes.rate, "12")
    click(taxes.save_button)
    qtbot.waitUntil(lambda: taxes.table.rowCount() == before + 1, timeout=WAIT)
    made = next(t for t in list_taxes(ctx) if t.name == "GST on spectacles")
    assert (made.effective_from, made.effective_to) == (today, None)
    row = next(r for r in range(taxes.table.rowCount()) if taxes.table.item(r, 0).text() == "GST on spectacles")
    assert taxes.table.item(row, 5).text() == f"{today:%d %b %Y}"
    assert not dialogs


# --- Audit: the date filters and the times, for a role that cannot read the settings


def search_with(qtbot: Any, dock: Any, **fields: str) -> None:
    before = dock.generation
    for name, text in fields.items():
        field = getattr(dock.filters, name)
        if name == "user_email":
            field.setText(text)
        else:
            field.setCurrentText(text)
    click(dock.search_button)
    qtbot.waitUntil(lambda: dock.generation > before and worker().idle(), timeout=WAIT)


def test_audit_dates_and_times_are_the_clinic_s(
    qtbot: Any, store: Store, system_ctx: Context, clinic: Clinic, make_user: Any, tmp_path: Path
) -> None:
    today = clinic.today
    create_role(system_ctx, "Auditor", ["audit.view"])
    make_user("Auditor", email=AUDITOR, password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, AUDITOR, PASSWORD, clock=clinic.clock)
    dock = window.dock_widget("audit")
    f = dock.filters
    assert f.date_from.date() == clinic.qtoday and f.date_to.date() == clinic.qtoday
    assert dock.model.zone.key == clinic.zone

    f.from_on.setChecked(True)
    f.to_on.setChecked(True)
    search_with(qtbot, dock, action="login", user_email=AUDITOR)
    assert dock.total == 1  # the sign-in falls on the clinic's today, counted in its zone
    cells = dict(zip(COLUMNS, dock.model.cells(dock.model.rows[0]), strict=True))
    assert (cells["Time"], cells["Who"]) == (clinic.wall.strftime("%d-%m-%Y %H:%M:%S"), AUDITOR)
    assert cells["Time"].endswith(" 10:00:00")
    dock.table.selectRow(0)
    assert f"{today:%d-%m-%Y} 10:00:00" in dock.changes.title.text()

    yesterday = today - timedelta(days=1)
    f.date_from.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    f.date_to.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    search_with(qtbot, dock)
    assert dock.total == 0


# --- a new time zone saved in Settings is every screen's at once


def test_a_new_clinic_zone_is_shown_at_once(
    qtbot: Any, store: Store, clinic: Clinic, tmp_path: Path, dialogs: list[str]
) -> None:
    window = signed_in_window(qtbot, store, tmp_path, clock=clinic.clock)
    assert window.session.zone.key == clinic.zone and clinic_time.today() == clinic.today
    settings = window.dock_widget("admin").show_tab("settings")
    qtbot.waitUntil(lambda: settings.fields["name"].text() == "Sunrise Clinic", timeout=WAIT)
    assert settings.timezone.currentText() == clinic.zone
    settings.timezone.setCurrentText("America/Los_Angeles")
    click(settings.save_button)
    qtbot.waitUntil(lambda: settings.status.text() == "Settings saved.", timeout=WAIT)
    # 10:00 in Bengaluru or Auckland is the evening or the afternoon before in Los Angeles
    there = clinic.clock.now().astimezone(ZoneInfo("America/Los_Angeles"))
    assert there.date() == clinic.today - timedelta(days=1)
    assert window.session.zone.key == "America/Los_Angeles" and clinic_time.today() == there.date()

    dock = window.dock_widget("audit")
    f = dock.filters
    assert f.date_from.date() == f.date_to.date() == QDate(there.year, there.month, there.day)
    f.from_on.setChecked(True)
    f.to_on.setChecked(True)
    search_with(qtbot, dock, action="login", user_email=ADMIN_EMAIL)
    assert dock.model.zone.key == "America/Los_Angeles" and dock.total == 1
    assert dock.model.cells(dock.model.rows[0])[0] == there.strftime("%d-%m-%Y %H:%M:%S")

    window.show_waiting_room()
    room = window._waiting_room
    qtbot.addWidget(room)
    assert room.clock.text() == there.strftime("%I:%M %p").lstrip("0")
    room.close()
    assert not dialogs
