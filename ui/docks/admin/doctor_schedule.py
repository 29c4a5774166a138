"""A doctor's weekly schedule: rows of day / start / end / slot minutes / patients per slot / from / until.
Save replaces the whole week (``set_weekly_schedule``); the times are the clinic's local wall clock."""

from __future__ import annotations

from datetime import time
from typing import Any

from hms_desktop.services.reception.doctor_schedules import (
    DAY_NAMES,
    ScheduleInput,
    ScheduleView,
    list_schedule,
    set_weekly_schedule,
)
from ui import clinic_time
from ui.docks.admin.common import button, date_edit, date_of, message_label, row_of, say, set_date
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run

COLUMNS = ["Day", "Start", "End", "Slot minutes", "Patients per slot", "From", "Until"]


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)  # wide on purpose: the service says what is allowed
    box.setValue(value)
    return box


def _time(value: time) -> QTimeEdit:
    edit = QTimeEdit(QTime(value.hour, value.minute))
    edit.setDisplayFormat("HH:mm")
    return edit


class SchedulePanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.manage = session.can("doctors.manage")
        self.doctor: Any = None  # DoctorView
        self.sessions = QTableWidget(0, len(COLUMNS))
        self.sessions.setObjectName("scheduleTable")
        self.sessions.setHorizontalHeaderLabels(COLUMNS)
        self.sessions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.sessions.verticalHeader().hide()
        self.add_button = button("Add session", "addSession", self.add_row)
        self.remove_button = button("Remove session", "removeSession", self.remove_row)
        self.save_button = button("Save week", "saveSchedule", self.save)
        self.message = message_label("scheduleMessage")
        hint = QLabel("Each row is one session a week (the clinic's local time). Save replaces the whole week.")
        hint.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.sessions)
        box.addWidget(self.message)
        box.addLayout(row_of(self.add_button, self.remove_button, self.save_button))
        for w in (self.add_button, self.remove_button, self.save_button):
            w.setVisible(self.manage)
        self.sessions.setEnabled(self.manage)

    def set_doctor(self, doctor: Any) -> None:
        self.doctor = doctor
        self.sessions.setRowCount(0)
        say(self.message, "")
        if doctor is not None:
            run(self, list_schedule, self.session.ctx, doctor.id, done=self._loaded)

    def _loaded(self, rows: list[ScheduleView]) -> None:
        self.sessions.setRowCount(0)
        for r in rows:
            self.add_row(r)

    def add_row(self, s: ScheduleInput | None = None) -> int:
        """A new row (a copy of the last one's times on the next day, else Monday 09:00-13:00), or ``s``."""
        t = self.sessions
        row = t.rowCount()
        if s is None:
            last = self.row_input(row - 1) if row else None
            day = (last.day_of_week + 1) % 7 if last else 0
            base = last or ScheduleInput(0, time(9), time(13), 15, 1, clinic_time.today())
            s = ScheduleInput(
                day, base.start_time, base.end_time, base.slot_minutes, base.max_patients_per_slot, base.effective_from
            )
        t.insertRow(row)
        day_box = QComboBox()
        day_box.addItems(list(DAY_NAMES))
        day_box.setCurrentIndex(s.day_of_week)
        starts, until = date_edit(f"sessionFrom{row}"), date_edit(f"sessionUntil{row}", optional=True)
        set_date(starts, s.effective_from)
        set_date(until, s.effective_to)
        widgets: list[QWidget] = [
            day_box,
            _time(s.start_time),
            _time(s.end_time),
            _spin(0, 999, s.slot_minutes),
            _spin(0, 999, s.max_patients_per_slot),
            starts,
            until,
        ]
        for col, w in enumerate(widgets):
            t.setCellWidget(row, col, w)
        t.setCurrentCell(row, 0)
        day_box.setFocus()
        return row

    def remove_row(self) -> None:
        row = self.sessions.currentRow()
        if row >= 0:
            self.sessions.removeRow(row)

    def row_input(self, row: int) -> ScheduleInput:
        t = self.sessions

        def w(col: int) -> Any:
            return t.cellWidget(row, col)

        start, end = w(1).time().toPython(), w(2).time().toPython()
        starts: QDateEdit = w(5)
        return ScheduleInput(
            day_of_week=w(0).currentIndex(),
            start_time=start,
            end_time=end,
            slot_minutes=w(3).value(),
            max_patients_per_slot=w(4).value(),
            effective_from=date_of(starts) or clinic_time.today(),
            effective_to=date_of(w(6)),
        )

    def week(self) -> list[ScheduleInput]:
        return [self.row_input(r) for r in range(self.sessions.rowCount())]

    def save(self) -> None:
        if self.doctor is None or not self.manage or not self.save_button.isEnabled():
            return
        ctx, doctor_id, week = self.session.ctx, self.doctor.id, self.week()
        self.save_button.setEnabled(False)
        run(
            self,
            lambda: set_weekly_schedule(ctx, doctor_id, week),
            done=self._saved,
            failed=self._failed,
            label="Saving the schedule...",
        )

    def _saved(self, rows: list[ScheduleView]) -> None:
        self.save_button.setEnabled(True)
        self._loaded(rows)
        count = len(rows)
        plural = "s" if count != 1 else ""
        say(self.message, f"Saved: {count} session{plural} a week." if count else "Schedule cleared.")

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        say(self.message, getattr(exc, "message", str(exc)), error=True)
