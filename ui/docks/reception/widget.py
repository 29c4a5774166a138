"""The Reception dock: search as you type on the left; the open patient, appointments and the queue on the right."""

from __future__ import annotations

from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.reception.id_cards import print_id_card
from hms_desktop.services.reception.patient_search import open_by_code
from hms_desktop.services.reception.patients import PatientView, get_patient
from ui.docks.reception.booking import BookingPanel
from ui.docks.reception.patient_form import PatientForm
from ui.docks.reception.patient_model import PatientSearchModel
from ui.docks.reception.queue_panel import QueuePanel
from ui.docks.reception.records import RecordsPanel
from ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    Qt,
    QTableView,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.worker import run

DEBOUNCE_MS = 150
CARD_MM = (85.60, 53.98)


class Reception(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.patient: PatientView | None = None
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Search: name, mobile number or patient code  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.model = PatientSearchModel(self.session)
        self.results = QTableView()
        self.results.setObjectName("searchResults")
        self.results.setModel(self.model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.results.verticalHeader().hide()
        self.results.activated.connect(lambda index: self.open_row(index.row()))
        self.count = QLabel()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(lambda: self.model.search(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter_in_search)
        self.model.loaded.connect(self._counted)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.search)
        lbox.addWidget(self.results)
        lbox.addWidget(self.count)
        self.form = PatientForm(self.session)
        self.form.saved.connect(self.set_patient)
        self.print_button = QPushButton("Print ID card...")
        self.print_button.setObjectName("printCard")
        self.print_button.clicked.connect(self.print_card)
        self.print_button.setVisible(self.session.can("patients.print_card"))
        self.records = RecordsPanel(self.session)
        patient_tab = QWidget()
        pbox = QVBoxLayout(patient_tab)
        pbox.addWidget(self.form)
        actions = QHBoxLayout()
        actions.addWidget(self.print_button)
        actions.addStretch()
        pbox.addLayout(actions)
        pbox.addWidget(self.records)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(patient_tab)
        self.booking = BookingPanel(self.session)
        self.queue = QueuePanel(self.session)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("receptionTabs")
        self.tabs.addTab(scroll, "Patient")
        self.tabs.addTab(self.booking, "Appointments")
        self.tabs.addTab(self.queue, "Queue")
        self.booking.doctor.currentIndexChanged.connect(lambda _i: self.queue.select_doctor(self.booking.doctor_id()))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 820])
        QVBoxLayout(self).addWidget(split)
        window.action.connect(self.on_action)
        self.session.changes.changed.connect(self.on_changes)
        self.search.setFocus()

    def on_changes(self, changes: Changes) -> None:
        """A patient registered or edited here or on another PC: the open search shows it."""
        if changes.touches("patients") and self.model.query and not self._debounce.isActive():
            self._debounce.start(DEBOUNCE_MS)

    # --- search and opening

    def _counted(self) -> None:
        more = "+" if self.model.total >= 1000 else ""
        self.count.setText(f"{self.model.total}{more} found" if self.model.query else "")

    def _enter_in_search(self) -> None:
        if self.model.rowCount() >= 1:
            self.open_row(0)

    def open_row(self, row: int) -> None:
        summary = self.model.patient(row)
        if summary is not None:
            run(self, get_patient, self.session.ctx, summary.id, done=self.set_patient)

    def open_code(self, code: str) -> None:
        """A scanned card or typed code."""
        self.window_.dock_widget("reception")
        run(self, open_by_code, self.session.ctx, code, done=self.set_patient)

    def set_patient(self, patient: PatientView) -> None:
        self.patient = patient
        self.form.show_patient(patient)
        self.booking.set_patient(patient)
        self.records.set_patient(patient)
        self.tabs.setCurrentIndex(0)

    # --- actions

    def print_card(self) -> None:
        if self.patient is None:
            return
        run(self, print_id_card, self.session.ctx, self.patient.id, done=self._preview, label="Making the card...")

    def _preview(self, card: Any) -> None:
        from ui.print_preview import preview_pdf

        preview_pdf(self, card.pdf, f"ID card {card.card_number}", CARD_MM)

    def on_action(self, key: str) -> None:
        if key == "new_patient":
            self.patient = None
            self.tabs.setCurrentIndex(0)
            self.form.clear()
        elif key == "search":
            self.search.setFocus()
            self.search.selectAll()
        elif key == "book":
            self.tabs.setCurrentIndex(1)
            self.booking.slots.setFocus()
        elif key == "check_in":
            self.tabs.setCurrentIndex(1)
            self.booking.check_in()
        elif key == "call_next" and self.window_.owns_action("reception"):
            self.tabs.setCurrentIndex(2)
            self.queue.call_next()
