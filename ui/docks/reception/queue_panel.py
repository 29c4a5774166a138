"""The live queue of one doctor: who is with the doctor, who waits (token, priority, estimated wait), who was
skipped; call next (F9), skip, recall. Refreshed when the queue changes (here or on another PC), never polled."""

from __future__ import annotations

from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.doctors import list_doctors
from ui.forms import find_data
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import background, run

WATCHED = ("appointment_queue", "appointments", "patients", "doctors")  # what a queue shows


class QueuePanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.view: queue.QueueView | None = None
        self.busy = False
        self.doctor = QComboBox()
        self.doctor.setObjectName("queueDoctor")
        self.serving = QLabel("Nobody with the doctor")
        self.serving.setObjectName("nowServing")
        self.average = QLabel()
        self.waiting = QTableWidget(0, 4)
        self.waiting.setObjectName("waiting")
        self.waiting.setHorizontalHeaderLabels(["Token", "Patient", "Priority", "Wait (min)"])
        self.skipped = QTableWidget(0, 2)
        self.skipped.setObjectName("skipped")
        self.skipped.setHorizontalHeaderLabels(["Token", "Patient"])
        for table in (self.waiting, self.skipped):
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            table.verticalHeader().hide()
        self.call_button = QPushButton("Call next  (F9)")
        self.call_button.setObjectName("callNext")
        self.skip_button = QPushButton("Skip (not here)")
        self.skip_button.setObjectName("skip")
        self.recall_button = QPushButton("Recall skipped")
        self.recall_button.setObjectName("recall")
        self.call_button.clicked.connect(self.call_next)
        self.skip_button.clicked.connect(self.skip)
        self.recall_button.clicked.connect(self.recall)
        can_manage = session.can("queue.manage")
        for b in (self.call_button, self.skip_button, self.recall_button):
            b.setVisible(can_manage)
        top = QHBoxLayout()
        top.addWidget(QLabel("Doctor"))
        top.addWidget(self.doctor, 1)
        buttons = QHBoxLayout()
        for b in (self.call_button, self.skip_button, self.recall_button):
            buttons.addWidget(b)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.serving)
        box.addWidget(self.average)
        box.addLayout(buttons)
        box.addWidget(QLabel("Waiting"))
        box.addWidget(self.waiting, 3)
        box.addWidget(QLabel("Skipped"))
        box.addWidget(self.skipped, 1)
        self.doctor.currentIndexChanged.connect(lambda _i: self.refresh())
        self.dirty = False  # something changed while a fetch was on its way, or while hidden
        session.changes.changed.connect(self.on_changes)
        if session.can("doctors.view"):  # a pharmacist or lab technician sees patients, not doctors' days
            run(self, list_doctors, session.ctx, done=self._doctors)

    def _doctors(self, doctors: list[Any]) -> None:
        self.doctor.blockSignals(True)
        for d in doctors:
            self.doctor.addItem(d.display_name, d.id)
        self.doctor.blockSignals(False)
        self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()

    def select_doctor(self, doctor_id: Any) -> None:
        i = find_data(self.doctor, doctor_id)
        if i >= 0:
            self.doctor.setCurrentIndex(i)

    def on_changes(self, changes: Changes) -> None:
        """The store changed (here or, through sync, on another PC): refresh if it touches the queue."""
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def refresh(self) -> None:
        """Fetch the chosen doctor's queue; while hidden, only when what is shown is another doctor's."""
        doctor = self.doctor.currentData()
        stale = self.view is None or self.view.doctor_id != doctor or self.dirty
        if doctor is None or (not self.isVisible() and not stale):
            return
        if self.busy:
            self.dirty = True  # fetched again when this one is back
            return
        self.busy, self.dirty = True, False
        background(self, queue.queue_for, self.session.ctx, doctor, done=self._show, failed=self._failed)

    def _failed(self, _exc: BaseException) -> None:
        self.busy = False

    def _show(self, view: queue.QueueView) -> None:
        self.busy = False
        if view.doctor_id != self.doctor.currentData() or self.dirty:
            self.refresh()  # the doctor was changed, or the queue changed, while this was on its way
            if view.doctor_id != self.doctor.currentData():
                return
        self.view = view
        s = view.serving
        self.serving.setText(
            f"With the doctor: token {s.token_label}, {s.patient_name}" if s else "Nobody with the doctor"
        )
        self.average.setText(f"Average consultation: {view.average_minutes:.0f} min; {len(view.waiting)} waiting")
        self._fill(
            self.waiting,
            [[e.token_label, e.patient_name, self._priority(e), str(e.wait_minutes or 0)] for e in view.waiting],
        )
        self._fill(self.skipped, [[e.token_label, e.patient_name] for e in view.skipped])

    @staticmethod
    def _priority(e: queue.QueueEntryView) -> str:
        return "Emergency" if e.priority == 0 else (e.priority_group or "").replace("_", " ")

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))

    def call_next(self) -> None:
        doctor = self.doctor.currentData()
        if doctor is not None:
            run(self, queue.call_next, self.session.ctx, doctor, done=lambda _e: self.refresh())

    def skip(self) -> None:
        if self.view is None:
            return
        row = self.waiting.currentRow()
        target = self.view.waiting[row] if 0 <= row < len(self.view.waiting) else self.view.serving
        if target is not None:
            run(self, queue.skip, self.session.ctx, target.id, done=lambda _e: self.refresh())

    def recall(self) -> None:
        if self.view is None:
            return
        row = self.skipped.currentRow()
        if 0 <= row < len(self.view.skipped):
            run(self, queue.recall, self.session.ctx, self.view.skipped[row].id, done=lambda _e: self.refresh())
