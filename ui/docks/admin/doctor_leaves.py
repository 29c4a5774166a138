"""A doctor's leaves: record one (approved at once when you may manage doctors, else a request), the list
with its status, approve / reject / cancel, and the booked appointments that fall on the selected leave."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hms_desktop.services.reception.doctor_schedules import (
    ClashView,
    LeaveView,
    approve_leave,
    cancel_leave,
    leave_clashes,
    list_leaves,
    reject_leave,
    request_leave,
)
from ui.docks.admin.common import (
    button,
    date_edit,
    fill,
    line,
    message_label,
    required_date,
    row_key,
    row_of,
    say,
    show_date,
    table,
)
from ui.forms import FieldErrors
from ui.qt import QCheckBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run


class LeavesPanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.manage = session.can("doctors.manage")
        self.doctor: Any = None  # DoctorView
        self.leaves: dict[uuid.UUID, LeaveView] = {}
        self.form_box = QGroupBox("Record a leave")
        form = QFormLayout(self.form_box)
        self.start = date_edit("leaveStart")
        self.end = date_edit("leaveEnd")
        self.start.dateChanged.connect(lambda d: self.end.setDate(max(d, self.end.date())))
        self.reason = line("leaveReason", "optional, e.g. conference", self.add)
        form.addRow("First day", self.start)
        form.addRow("Last day", self.end)
        form.addRow("Reason", self.reason)
        general = QLabel()
        form.insertRow(0, general)
        self.errors = FieldErrors(
            form, {"start_date": self.start, "end_date": self.end, "reason": self.reason}, general
        )
        self.add_button = button("Record leave" if self.manage else "Request leave", "addLeave", self.add)
        form.addRow("", self.add_button)
        self.show_closed = QCheckBox("Show rejected and cancelled leaves")
        self.show_closed.setObjectName("showClosedLeaves")
        self.show_closed.toggled.connect(lambda _on: self.refresh())
        self.table = table("leavesTable", ["From", "To", "Reason", "Status"])
        self.table.itemSelectionChanged.connect(self.show_clashes)
        self.approve_button = button("Approve", "approveLeave", lambda: self._move(approve_leave, "approved"))
        self.reject_button = button("Reject", "rejectLeave", lambda: self._move(reject_leave, "rejected"))
        self.cancel_button = button("Cancel leave", "cancelLeave", lambda: self._move(cancel_leave, "cancelled"))
        for b in (self.approve_button, self.reject_button, self.cancel_button):
            b.setVisible(self.manage)
        self.message = message_label("leavesMessage")
        self.clash_title = QLabel("Appointments booked on the selected leave")
        self.clashes = table("leaveClashes", ["Date", "Time", "Appointment", "Patient", "Name", "Phone"])
        box = QVBoxLayout(self)
        box.addWidget(self.form_box)
        box.addWidget(self.show_closed)
        box.addWidget(self.table, 1)
        box.addLayout(row_of(self.approve_button, self.reject_button, self.cancel_button))
        box.addWidget(self.message)
        box.addWidget(self.clash_title)
        box.addWidget(self.clashes, 1)
        self._buttons()

    def set_doctor(self, doctor: Any) -> None:
        self.doctor = doctor
        self.leaves = {}
        fill(self.table, [], [])
        fill(self.clashes, [], [])
        say(self.message, "")
        self.errors.clear()
        self.form_box.setEnabled(doctor is not None and doctor.is_active)
        if doctor is not None:
            self.refresh()
        self._buttons()

    def refresh(self) -> None:
        if self.doctor is None:
            return
        ctx, doctor_id, open_only = self.session.ctx, self.doctor.id, not self.show_closed.isChecked()
        run(self, lambda: list_leaves(ctx, doctor_id, open_only=open_only), done=self._loaded)

    def _loaded(self, leaves: list[LeaveView]) -> None:
        self.leaves = {lv.id: lv for lv in leaves}
        rows = [[show_date(lv.start_date), show_date(lv.end_date), lv.reason, lv.status] for lv in leaves]
        fill(self.table, rows, [lv.id for lv in leaves])
        self._buttons()

    def selected(self) -> LeaveView | None:
        key = row_key(self.table)
        return self.leaves.get(key) if key is not None else None

    def _buttons(self) -> None:
        status = lv.status if (lv := self.selected()) is not None else None
        self.approve_button.setEnabled(status == "requested")
        self.reject_button.setEnabled(status == "requested")
        self.cancel_button.setEnabled(status in ("requested", "approved"))

    def add(self) -> None:
        if self.doctor is None or not self.add_button.isEnabled():
            return
        self.errors.clear()
        ctx, doctor_id = self.session.ctx, self.doctor.id
        start, end, reason = required_date(self.start), required_date(self.end), self.reason.text()
        self.add_button.setEnabled(False)
        run(
            self,
            lambda: request_leave(ctx, doctor_id, start, end, reason),
            done=self._added,
            failed=self._add_failed,
        )

    def _added(self, leave: LeaveView) -> None:
        self.add_button.setEnabled(True)
        self.reason.clear()
        say(self.message, f"Leave {show_date(leave.start_date)} to {show_date(leave.end_date)}: {leave.status}.")
        self.refresh()

    def _add_failed(self, exc: BaseException) -> None:
        self.add_button.setEnabled(True)
        self.errors.show(exc)

    def _move(self, fn: Callable[..., LeaveView], done_text: str) -> None:
        leave = self.selected()
        if leave is None:
            return
        ctx = self.session.ctx

        def done(_leave: LeaveView) -> None:
            say(self.message, f"Leave {done_text}.")
            self.refresh()

        run(
            self,
            lambda: fn(ctx, leave.id),
            done=done,
            failed=lambda exc: say(self.message, getattr(exc, "message", str(exc)), error=True),
        )

    def show_clashes(self) -> None:
        self._buttons()
        leave = self.selected()
        fill(self.clashes, [], [])
        if leave is None:
            return
        run(self, leave_clashes, self.session.ctx, leave.id, done=self._clashes)

    def _clashes(self, clashes: list[ClashView]) -> None:
        rows = [
            [
                show_date(c.appointment_date),
                f"{c.slot_start:%H:%M}",
                c.appointment_code,
                c.patient_code,
                c.patient_name,
                c.patient_phone or "",
            ]
            for c in clashes
        ]
        fill(self.clashes, rows, [c.appointment_id for c in clashes])
        n = len(clashes)
        self.clash_title.setText(
            f"{n} appointment{'s' if n != 1 else ''} booked on this leave: call these patients."
            if n
            else "No appointments are booked on the selected leave."
        )
