"""The prescriptions the doctors sent, oldest first (a new one appears on its own, from this PC or, through sync,
another; one dispensed in full leaves), a partly dispensed one marked with what remains. Refreshed from the change
broadcast while visible, never polled."""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.pharmacy.to_dispense import ToDispenseEntry, to_dispense
from ui import clinic_time
from ui.docks.pharmacy.common import cell, message_of, table
from ui.qt import QLabel, QVBoxLayout, QWidget, Signal, isValid
from ui.session import AppSession
from ui.worker import background

WATCHED = (
    "prescriptions",
    "prescription_items",
    "prescription_versions",
    "pharmacy_dispensing",
    "pharmacy_dispensing_items",
    "patients",
)
PARTLY = "#8a5a00"


def to_do(e: ToDispenseEntry) -> str:
    """The number of lines; "part given, 1 left" once something was dispensed."""
    if e.partly_dispensed:
        return f"part given, {e.remaining_items} left"
    return str(e.item_count)


class RxList(QWidget):
    chosen = Signal(object)  # the prescription id the pharmacist chose
    activated = Signal()  # Enter or a click on a row: on to the scanner

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.entries: list[ToDispenseEntry] = []
        self.busy = False
        self.dirty = True  # nothing fetched yet
        self.shown_id: uuid.UUID | None = None
        self.list = table(["Sent", "Prescription", "Patient", "Doctor", "Lines"], 2, "toDispense")
        self.list.itemSelectionChanged.connect(self._selected)
        self.list.activated.connect(lambda _i: self.activated.emit())
        self.list.clicked.connect(lambda _i: self.activated.emit())
        self.count = QLabel()
        self.count.setObjectName("toDispenseCount")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>To dispense</b> (oldest first)")
        box.addWidget(heading)
        box.addWidget(self.list, 1)
        box.addWidget(self.count)
        session.changes.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self) -> None:
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        background(self, to_dispense, self.session.ctx, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.count.setText(message_of(exc))

    def _show(self, entries: list[ToDispenseEntry]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:
            self.refresh()
            return
        chosen = self.current()
        self.entries = entries
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setRowCount(len(entries))
        for r, e in enumerate(entries):
            sent = clinic_time.local(e.sent_at).strftime("%d %b %H:%M") if e.sent_at else ""
            code = f"{e.code} v{e.version}" + (" (amended)" if e.amended else "")
            colour = PARTLY if e.partly_dispensed else ""
            tip = "Partly dispensed: the rest is pending" if e.partly_dispensed else ""
            cells = (sent, code, e.patient_name, e.doctor_name, to_do(e))
            tips = ("", "", f"{e.patient_name} ({e.patient_code})", "", tip)
            for c, text in enumerate(cells):
                self.list.setItem(r, c, cell(text, tip=tips[c], colour=colour if c == 4 else ""))
            if chosen is not None and e.prescription_id == chosen:
                self.list.selectRow(r)
        self.list.blockSignals(False)
        n = len(entries)
        partly = sum(1 for e in entries if e.partly_dispensed)
        self.count.setText(f"{n} waiting to be dispensed" + (f", {partly} partly dispensed" if partly else ""))

    def current(self) -> uuid.UUID | None:
        r = self.list.currentRow()
        if not self.list.selectionModel().hasSelection() or not 0 <= r < len(self.entries):
            return None
        return self.entries[r].prescription_id

    def select(self, rx_id: uuid.UUID) -> bool:
        for r, e in enumerate(self.entries):
            if e.prescription_id == rx_id:
                self.list.selectRow(r)
                return True
        return False

    def _selected(self) -> None:
        rx_id = self.current()
        if rx_id is not None and rx_id != self.shown_id:
            self.shown_id = rx_id
            self.chosen.emit(rx_id)
