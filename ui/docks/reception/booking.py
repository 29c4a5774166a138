"""A doctor's day: slots shown free / full / past (or the whole day on leave), booking for the open patient,
and the day's appointments with check-in, reschedule, cancel and no-show."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.doctors import list_doctors
from ui import clinic_time
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import AppSession
from ui.worker import run, show_error

STATE_COLOURS = {"free": "#d8f3dc", "full": "#f8d7da", "past": "#e9ecef"}
TYPES = (("new", "New"), ("follow_up", "Follow-up"), ("emergency", "Emergency"), ("walk_in", "Walk-in"))
WATCHED = ("appointments", "appointment_queue", "doctor_schedules", "doctor_leaves", "doctors", "patients")


class BookingPanel(QWidget):
    changed = Signal()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient: Any = None  # the open patient (PatientView)
        self.doctor = QComboBox()
        self.doctor.setObjectName("bookingDoctor")
        self.day = QDateEdit()
        self.day.setObjectName("bookingDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd-MM-yyyy")
        self.day.setDate(clinic_time.qtoday())  # the clinic's today from the start (not Qt's default of 2000)
        self.kind = QComboBox()
        self.kind.setObjectName("appointmentType")
        for code, label in TYPES[:3]:
            self.kind.addItem(label, code)
        top = QHBoxLayout()
        for label, w in (("Doctor", self.doctor), ("Day", self.day), ("Type", self.kind)):
            top.addWidget(QLabel(label))
            top.addWidget(w)
        self.patient_label = QLabel("Open a patient to book.")
        self.leave_banner = QLabel()
        self.leave_banner.setObjectName("leaveBanner")
        self.leave_banner.hide()
        self.slots = QTableWidget(0, 3)
        self.slots.setObjectName("slots")
        self.slots.setHorizontalHeaderLabels(["Slot", "Booked", ""])
        self.slots.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.slots.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.slots.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.slots.cellActivated.connect(lambda row, _c: self.book_row(row))
        self.book_button = QPushButton("Book selected slot")
        self.book_button.setObjectName("bookSlot")
        self.book_button.clicked.connect(lambda: self.book_row(self.slots.currentRow()))
        self.move_button = QPushButton("Move selected appointment here")
        self.move_button.clicked.connect(self.reschedule)
        self.list = QTableWidget(0, 5)
        self.list.setObjectName("dayAppointments")
        self.list.setHorizontalHeaderLabels(["Code", "Time", "Patient", "Type", "Status"])
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.list.verticalHeader().hide()
        self.slots.verticalHeader().hide()
        actions = QHBoxLayout()
        for text, name, slot in (
            ("Check in", "checkIn", self.check_in),
            ("Cancel...", "cancelAppointment", self.cancel),
            ("No-show", "noShow", self.no_show),
        ):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(slot)
            actions.addWidget(b)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.patient_label)
        box.addWidget(self.leave_banner)
        box.addWidget(self.slots, 2)
        row = QHBoxLayout()
        row.addWidget(self.book_button)
        row.addWidget(self.move_button)
        box.addLayout(row)
        box.addWidget(QLabel("Appointments of the day"))
        box.addWidget(self.list, 2)
        box.addLayout(actions)
        self.appointments: list[appt.AppointmentView] = []
        self.focus_id: uuid.UUID | None = None
        self.day_slots: appt.DaySlots | None = None
        self.doctor.currentIndexChanged.connect(lambda _i: self.refresh())
        self.day.dateChanged.connect(lambda _d: self.refresh())
        self.stale = False
        session.changes.changed.connect(self.on_changes)
        self.load_doctors()

    def load_doctors(self) -> None:
        ctx = self.session.ctx
        if self.session.can("doctors.view"):  # a pharmacist or lab technician sees patients, not doctors' days
            run(self, list_doctors, ctx, done=self._doctors)

    def _doctors(self, doctors: list[Any]) -> None:
        self.doctor.blockSignals(True)
        self.doctor.clear()
        for d in doctors:
            self.doctor.addItem(f"{d.display_name} - {d.specialization}", d.id)
        self.doctor.blockSignals(False)
        self.refresh()

    def set_patient(self, patient: Any) -> None:
        self.patient = patient
        self.patient_label.setText(f"Booking for {patient.code}  {patient.full_name}" if patient else "Open a patient.")

    def doctor_id(self) -> uuid.UUID | None:
        return self.doctor.currentData()

    def chosen_day(self) -> date:
        return clinic_time.day_of(self.day.date())

    def on_changes(self, changes: Changes) -> None:
        """Bookings, check-ins, schedules or leaves changed (here or on another PC): the day shown follows."""
        if changes.touches(*WATCHED):
            if self.isVisible():
                self.refresh()
            else:
                self.stale = True

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.stale:
            self.stale = False
            self.refresh()

    def refresh(self) -> None:
        doctor, day, ctx = self.doctor_id(), self.chosen_day(), self.session.ctx
        if doctor is None:
            return
        run(self, lambda: (appt.day_slots(ctx, doctor, day), appt.list_appointments(ctx, day, doctor)), done=self._show)

    def _show(self, result: tuple[appt.DaySlots, list[appt.AppointmentView]]) -> None:
        self.day_slots, self.appointments = result
        slots = self.day_slots
        self.leave_banner.setVisible(slots.on_leave)
        self.leave_banner.setText(f"On leave this day. {slots.leave_reason}".strip())
        self.slots.setRowCount(len(slots.slots))
        for i, s in enumerate(slots.slots):
            state = "leave" if slots.on_leave else s.state
            cells = [f"{s.start:%H:%M}-{s.end:%H:%M}", f"{s.booked} / {s.capacity}", state]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setBackground(QBrush(QColor(STATE_COLOURS.get(state, "#fde2e4"))))
                self.slots.setItem(i, c, item)
        first_open = next((i for i, s in enumerate(slots.slots) if s.state != "past"), None)
        if first_open is not None and self.slots.currentRow() < 0:
            self.slots.setCurrentCell(first_open, 0)
            first = self.slots.item(first_open, 0)
            assert first is not None  # every cell was just filled
            self.slots.scrollToItem(first)
        self.list.setRowCount(len(self.appointments))
        for i, a in enumerate(self.appointments):
            for c, text in enumerate([a.code, f"{a.slot_start:%H:%M}", a.patient_name, a.appointment_type, a.status]):
                self.list.setItem(i, c, QTableWidgetItem(text))
            if a.id == self.focus_id:
                self.list.setCurrentCell(i, 0)
        self.changed.emit()

    def _slot(self, row: int) -> time | None:
        if self.day_slots is None or not 0 <= row < len(self.day_slots.slots):
            return None
        return self.day_slots.slots[row].start

    def book_row(self, row: int) -> None:
        start, doctor = self._slot(row), self.doctor_id()
        if start is None or doctor is None:
            return
        if self.patient is None:
            show_error(self, ValueError("Open or register the patient first."))
            return
        data = appt.BookingInput(self.patient.id, doctor, self.chosen_day(), start, self.kind.currentData())
        ctx = self.session.ctx
        run(self, appt.book_appointment, ctx, data, done=self._booked, label="Booking...")

    def _booked(self, booked: appt.AppointmentView) -> None:
        self.focus_id = booked.id  # selected when the list comes back, so Ctrl+I checks this one in
        self.refresh()

    def selected(self) -> appt.AppointmentView | None:
        row = self.list.currentRow()
        return self.appointments[row] if 0 <= row < len(self.appointments) else None

    def check_in(self) -> None:
        a = self.selected()
        if a is not None:
            self.focus_id = a.id
            run(self, queue.check_in, self.session.ctx, a.id, done=lambda _e: self.refresh())

    def cancel(self) -> None:
        a = self.selected()
        if a is None:
            return
        reason, ok = QInputDialog.getText(self, "Cancel appointment", f"Why is {a.code} cancelled?")
        if ok:
            run(self, appt.cancel_appointment, self.session.ctx, a.id, reason, done=lambda _a: self.refresh())

    def no_show(self) -> None:
        a = self.selected()
        if a is not None:
            run(self, appt.mark_no_show, self.session.ctx, a.id, done=lambda _a: self.refresh())

    def reschedule(self) -> None:
        a, start = self.selected(), self._slot(self.slots.currentRow())
        if a is None or start is None:
            return
        run(self, appt.reschedule, self.session.ctx, a.id, self.chosen_day(), start, done=lambda _a: self.refresh())
