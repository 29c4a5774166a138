"""The Pharmacy dock: the prescriptions the doctors sent, oldest first (a new one appears on its own, from this
PC or, through sync, another), and the current version's medicines of the chosen one. Dispensing against it is
the pharmacy module's (FEFO, batches, the stock ledger); this list is what it starts from."""

from __future__ import annotations

from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.pharmacy.to_dispense import (
    PrescriptionToDispense,
    ToDispenseEntry,
    prescription_to_dispense,
    to_dispense,
)
from ui import clinic_time
from ui.qt import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.worker import run

WATCHED = ("prescriptions", "prescription_items", "prescription_versions")


def _table(columns: list[str], stretch: int) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels(columns)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    t.verticalHeader().hide()
    return t


class PharmacyDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.session = window.session
        self.entries: list[ToDispenseEntry] = []
        self.busy = self.dirty = False
        self.list = _table(["Sent", "Rx", "Patient", "Doctor", "Lines"], 2)
        self.list.setObjectName("toDispense")
        self.list.itemSelectionChanged.connect(self._chosen)
        self.count = QLabel()
        self.title = QLabel("Choose a prescription")
        self.title.setObjectName("dispenseTitle")
        self.title.setWordWrap(True)
        self.items = _table(["Medicine", "Generic", "Strength", "Dose", "Frequency", "Days", "Qty", "Notes"], 7)
        self.items.setObjectName("dispenseItems")
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(QLabel("To dispense"))
        lbox.addWidget(self.list, 1)
        lbox.addWidget(self.count)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.title)
        rbox.addWidget(self.items, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 760])
        QVBoxLayout(self).addWidget(split)
        self.session.changes.changed.connect(self.on_changes)
        self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self) -> None:
        if self.busy:
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        run(None, to_dispense, self.session.ctx, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.count.setText(getattr(exc, "message", str(exc)))

    def _show(self, entries: list[ToDispenseEntry]) -> None:
        self.busy = False
        if self.dirty:
            self.refresh()
        chosen = self._current()
        self.entries = entries
        self.list.setRowCount(len(entries))
        for r, e in enumerate(entries):
            sent = clinic_time.local(e.sent_at).strftime("%d %b %H:%M") if e.sent_at else ""
            code = f"{e.code} v{e.version}" + (" (amended)" if e.amended else "")
            for c, text in enumerate((sent, code, f"{e.patient_name} ({e.patient_code})", e.doctor_name,
                                      str(e.item_count))):  # fmt: skip
                self.list.setItem(r, c, QTableWidgetItem(text))
            if chosen is not None and e.prescription_id == chosen:
                self.list.selectRow(r)
        self.count.setText(f"{len(entries)} waiting to be dispensed")

    def _current(self) -> Any:
        r = self.list.currentRow()
        return self.entries[r].prescription_id if 0 <= r < len(self.entries) else None

    def _chosen(self) -> None:
        rx_id = self._current()
        if rx_id is not None:
            run(self, prescription_to_dispense, self.session.ctx, rx_id, done=self._detail)

    def _detail(self, rx: PrescriptionToDispense) -> None:
        self.title.setText(
            f"<b>{rx.code}</b> version {rx.version}: {rx.patient_name} ({rx.patient_code}), "
            f"{rx.doctor_name}, {rx.doctor_registration}<br>Diagnosis: {rx.diagnosis or '-'}"
        )
        self.items.setRowCount(len(rx.items))
        for r, i in enumerate(rx.items):
            sched = " [H]" if i.is_schedule_h else ""
            cells = (f"{i.medicine_name}{sched}", i.generic_name, i.strength, i.dosage, i.frequency,
                     str(i.duration_days or ""), str(i.quantity or ""), i.instructions)  # fmt: skip
            for c, text in enumerate(cells):
                self.items.setItem(r, c, QTableWidgetItem(text))
