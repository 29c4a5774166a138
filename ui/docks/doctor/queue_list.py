"""Today's queue of one doctor, as the doctor sees it: who is with them, who waits (token, priority, waiting
time), who was skipped; Call next (F9) and Open (Enter or a click). Refreshed on the change broadcast."""

from __future__ import annotations

from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.reception import queue
from ui import clinic_time
from ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import AppSession
from ui.worker import background, run

WATCHED = ("appointment_queue", "appointments", "patients", "consultations")
STATUS = {"waiting": "Waiting", "called": "Called", "in_consultation": "In room", "skipped": "Skipped"}


def waited(entry: queue.QueueEntryView) -> str:
    minutes = int((clinic_time.now() - entry.checked_in_at).total_seconds() // 60)
    return f"{max(0, minutes)} min"


def priority_label(entry: queue.QueueEntryView) -> str:
    return "Emergency" if entry.priority == 0 else (entry.priority_group or "").replace("_", " ").capitalize()


class DoctorQueue(QWidget):
    opened = Signal(object)  # a QueueEntryView the doctor chose to see

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.doctor_id: Any = None
        self.view: queue.QueueView | None = None
        self.rows: list[queue.QueueEntryView] = []
        self.busy = self.dirty = False
        self.title = QLabel("Today's queue")
        self.title.setObjectName("doctorQueueTitle")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("doctorQueue")
        self.table.setHorizontalHeaderLabels(["Token", "Patient", "Waiting", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.activated.connect(lambda index: self.open_row(index.row()))
        self.call_button = QPushButton("Call next  (F9)")
        self.call_button.setObjectName("doctorCallNext")
        self.call_button.clicked.connect(self.call_next)
        self.open_button = QPushButton("Open  (Enter)")
        self.open_button.setObjectName("doctorOpen")
        self.open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.summary = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.call_button)
        buttons.addWidget(self.open_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addLayout(buttons)
        box.addWidget(self.table, 1)
        box.addWidget(self.summary)
        session.changes.changed.connect(self.on_changes)

    def set_doctor(self, doctor_id: Any, name: str) -> None:
        self.doctor_id = doctor_id
        self.title.setText(f"Today's queue: {name}")
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
        if self.doctor_id is None:
            return
        if self.busy or not self.isVisible():
            self.dirty = True  # fetched when this one is back, or when shown
            return
        self.busy, self.dirty = True, False
        background(self, queue.queue_for, self.session.ctx, self.doctor_id, done=self._show, failed=self._failed)

    def _failed(self, _exc: BaseException) -> None:
        self.busy = False

    def _show(self, view: queue.QueueView) -> None:
        self.busy = False
        if self.dirty:
            self.refresh()
        self.view = view
        chosen = self.table.currentRow()
        chosen_id = self.rows[chosen].id if 0 <= chosen < len(self.rows) else None
        self.rows = ([view.serving] if view.serving else []) + view.waiting + view.skipped
        self.table.setRowCount(len(self.rows))
        for r, e in enumerate(self.rows):
            group = priority_label(e)
            cells = [
                e.token_label,
                f"{e.patient_name} ({group})" if group else e.patient_name,
                waited(e),
                STATUS.get(e.status, e.status),
            ]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
            if e.id == chosen_id:
                self.table.selectRow(r)
        if self.table.currentRow() < 0 and self.rows:
            self.table.selectRow(0)
        self.summary.setText(f"{len(view.waiting)} waiting, {len(view.skipped)} skipped")

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.opened.emit(self.rows[row])

    def call_next(self) -> None:
        if self.doctor_id is None:
            return
        run(self, queue.call_next, self.session.ctx, self.doctor_id, done=self._called)

    def _called(self, entry: queue.QueueEntryView | None) -> None:
        self.dirty = True
        self.refresh()
        if entry is not None:
            self.opened.emit(entry)
