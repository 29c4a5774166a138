"""The H1 register tab: the Schedule H1 (or X) register's entries for a period (this month by default), as the
dispensings wrote them (prescriber's name, registration and address, patient's name and address, medicine,
batch, quantity, who dispensed), and Print (A4 landscape, through the print preview; each print is audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.pharmacy.schedule_register import (
    RegisterEntryView,
    schedule_register,
    schedule_register_pdf,
)
from ui import clinic_time
from ui.docks.pharmacy.common import cell, day_text, label, message_of, table
from ui.qt import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget, isValid
from ui.session import AppSession
from ui.worker import background, run

A4_LANDSCAPE_MM = (297.0, 210.0)
WATCHED = ("schedule_register",)
COLUMNS = ["Supplied", "Dispensing", "Prescription", "Patient", "Patient's address", "Prescriber", "Medicine", "Batch",
           "Expires", "Qty", "Dispensed by"]  # fmt: skip


class RegisterTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.entries: list[RegisterEntryView] = []
        self.busy = False
        self.dirty = True
        today = clinic_time.qtoday()
        self.date_from = QDateEdit(today.addDays(1 - today.day()))
        self.date_from.setObjectName("registerFrom")
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("registerTo")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.dateChanged.connect(lambda _d: self.refresh(force=True))
        self.schedule = QComboBox()
        self.schedule.setObjectName("registerSchedule")
        self.schedule.addItem("Schedule H1", "H1")
        self.schedule.addItem("Schedule X", "X")
        self.schedule.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.print_button = QPushButton("Print...")
        self.print_button.setObjectName("registerPrint")
        self.print_button.setToolTip("The register for this period, A4 landscape, in the print preview (Ctrl+P)")
        self.print_button.setShortcut("Ctrl+P")
        self.print_button.clicked.connect(lambda _=False: self.print_register())
        self.table = table(COLUMNS, 6, "registerEntries")
        self.count = QLabel()
        self.count.setObjectName("registerCount")
        self.message = label("formError")
        self.message.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Register"))
        top.addWidget(self.schedule)
        top.addWidget(QLabel("From"))
        top.addWidget(self.date_from)
        top.addWidget(QLabel("to"))
        top.addWidget(self.date_to)
        top.addStretch()
        top.addWidget(self.count)
        top.addWidget(self.print_button)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        box.addWidget(self.message)
        session.changes.changed.connect(self.on_changes)

    def period(self) -> tuple[str, date, date]:
        return (str(self.schedule.currentData()), clinic_time.day_of(self.date_from.date()),
                clinic_time.day_of(self.date_to.date()))  # fmt: skip

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.refresh(force=True)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        background(self, schedule_register, self.session.ctx, *self.period(), done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.message.setText(message_of(exc))
            self.message.show()

    def _show(self, entries: list[RegisterEntryView]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:
            self.refresh()
            return
        self.message.hide()
        self.entries = entries
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            cells = [
                cell(clinic_time.local(e.supplied_at).strftime("%d %b %Y %H:%M")),
                cell(e.dispensing_code),
                cell(e.prescription_code),
                cell(e.patient_name),
                cell(e.patient_address or "-", tip=e.patient_address),
                cell(e.prescriber_name, tip=f"{e.prescriber_registration}\n{e.prescriber_address}"),
                cell(e.medicine_name, tip=e.manufacturer),
                cell(e.batch_number),
                cell(day_text(e.expiry_date)),
                cell(str(e.quantity), right=True),
                cell(e.dispensed_by_name),
            ]
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
        n = len(entries)
        self.count.setText(f"{n} entr{'ies' if n != 1 else 'y'}")

    def print_register(self) -> None:
        if not self.print_button.isEnabled():
            return  # a double click: one print
        self.print_button.setEnabled(False)
        schedule, start, end = self.period()
        run(self, schedule_register_pdf, self.session.ctx, schedule, start, end,
            done=lambda pdf: self._preview(pdf, schedule), failed=self._print_failed,
            label="Making the register...")  # fmt: skip

    def _print_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.print_button.setEnabled(True)
            self.message.setText(message_of(exc))
            self.message.show()

    def _preview(self, pdf: bytes, schedule: str) -> None:
        self.print_button.setEnabled(True)
        from ui import print_preview

        print_preview.preview_pdf(self, pdf, f"Schedule {schedule} register", A4_LANDSCAPE_MM)
