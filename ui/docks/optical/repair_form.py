"""The "Log repair" form of the Repairs tab: the patient (found as at the pharmacy counter), the item left at the
counter and whether it is the patient's own or was bought here, the fault, the estimate as parts and labour in
rupees (the total shown as it is typed), the promised date (or none) and notes. Log repair (Enter in any line,
Ctrl+Enter anywhere in the form) calls ``repairs.log_repair`` with one request id per opening of the form, so a
double click or a retry logs one repair; a refusal is shown in the service's words under its field."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial

from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.services.optical.repair_views import rupees
from hms_desktop.services.optical.repairs import RepairInput, RepairView, log_repair
from hms_desktop.services.reception.patient_search import PatientSummary
from ui import clinic_time
from ui.docks.pharmacy.patient_pick import PatientPick
from ui.forms import FieldErrors, on_enter
from ui.qt import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

PROMISE_IN_DAYS = 3  # the usual hinge or nose-pad job
OWN, BOUGHT_HERE = "Patient's own (not bought here)", "Bought here"


def line(name: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def typed_paise(text: str) -> int | None:
    """What a rupee field says in paise (blank is 0), or None while it is not an amount."""
    if not text.strip():
        return 0
    try:
        return clean_rupees(text, "amount")
    except ValidationError:
        return None


class RepairForm(QWidget):
    logged = Signal(object)  # the RepairView of the repair just logged

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.request_id = uuid.uuid4()
        self.busy = False
        self.title = QLabel("Log a repair")
        self.title.setObjectName("formTitle")
        self.patient = PatientPick(session, "repairPatient")
        self.patient.setFocusProxy(self.patient.search)
        self.item = line("repairItem", "e.g. Titan TE-1021 black frame with lenses")
        self.whose = QComboBox()
        self.whose.setObjectName("repairWhose")
        self.whose.addItem(OWN, True)
        self.whose.addItem(BOUGHT_HERE, False)
        self.fault = line("repairFault", "e.g. Left hinge broken; lenses loose")
        self.parts = line("repairParts", "e.g. 200")
        self.labour = line("repairLabour", "e.g. 150")
        for edit in (self.parts, self.labour):
            edit.setMaximumWidth(170)
            edit.textChanged.connect(lambda _t: self._total())
        self.total = QLabel()
        self.total.setObjectName("repairTotal")
        money = QHBoxLayout()
        money.addWidget(QLabel("parts"))
        money.addWidget(self.parts)
        money.addWidget(QLabel("labour"))
        money.addWidget(self.labour)
        money.addStretch()
        self.money_row = QWidget()
        self.money_row.setLayout(money)
        money.setContentsMargins(0, 0, 0, 0)
        self.promised = QDateEdit()
        self.promised.setObjectName("repairPromised")
        self.promised.setCalendarPopup(True)
        self.promised.setDisplayFormat("dd MMM yyyy")
        self.promised.setSpecialValueText("Not promised")  # shown at the minimum date: no date given
        self.promised.setToolTip("The day the patient may collect it; the first day before today is 'Not promised'")
        self.notes = line("repairNotes", "e.g. Patient collects after 5 pm")
        self.general = QLabel()
        form = QFormLayout()
        form.addRow("Patient", self.patient)
        form.addRow("Item", self.item)
        form.addRow("Whose", self.whose)
        form.addRow("Fault", self.fault)
        form.addRow("Estimate (Rs)", self.money_row)
        form.addRow("", self.total)
        form.addRow("Promised", self.promised)
        form.addRow("Notes", self.notes)
        fields = {"patient_id": self.patient, "item_description": self.item, "own_item": self.whose,
                  "issue_description": self.fault, "parts": self.money_row, "labour": self.money_row,
                  "promised_date": self.promised, "notes": self.notes}  # fmt: skip
        self.errors = FieldErrors(form, fields, self.general)
        self.save_button = QPushButton("Log repair")
        self.save_button.setObjectName("logRepair")
        self.save_button.setToolTip("Log the repair (Enter in a field, or Ctrl+Enter)")
        self.save_button.clicked.connect(lambda _=False: self.save())
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearRepair")
        self.clear_button.setToolTip("Empty the form for another repair")
        self.clear_button.clicked.connect(lambda _=False: self.reset())
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch()
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.general)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addStretch()
        for edit in (self.item, self.fault, self.parts, self.labour, self.notes):
            on_enter(edit, self.save)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self.save, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QWidget.setTabOrder(self.patient.search, self.item)
        for a, b in ((self.item, self.whose), (self.whose, self.fault), (self.fault, self.parts),
                     (self.parts, self.labour), (self.labour, self.promised), (self.promised, self.notes),
                     (self.notes, self.save_button)):  # fmt: skip
            QWidget.setTabOrder(a, b)
        self.reset()

    def reset(self, patient: PatientSummary | None = None) -> None:
        """An empty form (a new request id: the next Log repair is a new repair), for ``patient`` if given."""
        self.request_id = uuid.uuid4()
        self.errors.clear()
        for edit in (self.item, self.fault, self.parts, self.labour, self.notes):
            edit.clear()
        self.whose.setCurrentIndex(0)
        today = clinic_time.qtoday()
        self.promised.setMinimumDate(today.addDays(-1))
        self.promised.setMaximumDate(today.addDays(365))
        self.promised.setDate(today.addDays(PROMISE_IN_DAYS))
        self.patient.choose(patient)
        self._total()

    def promised_date(self) -> date | None:
        if self.promised.date() == self.promised.minimumDate():
            return None
        return clinic_time.day_of(self.promised.date())

    def _total(self) -> None:
        parts, labour = typed_paise(self.parts.text()), typed_paise(self.labour.text())
        if parts is None or labour is None:
            self.total.setText("Type the amounts in rupees (e.g. 200 or 1,299.50)")
            return
        self.total.setText(f"Estimate <b>{rupees(parts + labour)}</b>, GST included: the patient approves it first")

    def data(self) -> RepairInput:
        p = self.patient.patient
        return RepairInput(
            patient_id=p.id if p is not None else None,  # type: ignore[arg-type]  # the service names it
            item_description=self.item.text(), issue_description=self.fault.text(),
            own_item=bool(self.whose.currentData()), parts=self.parts.text(), labour=self.labour.text(),
            promised_date=self.promised_date(), notes=self.notes.text(),
        )  # fmt: skip

    def save(self) -> None:
        if self.busy:
            return  # a double click: asked once
        self.errors.clear()
        self.busy = True
        self.save_button.setEnabled(False)
        call = partial(log_repair, request_id=self.request_id)
        run(self, call, self.session.ctx, self.data(), done=self._done, failed=self._failed,
            label="Logging the repair...")  # fmt: skip

    def _done(self, view: RepairView) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.save_button.setEnabled(True)
        self.reset()
        self.logged.emit(view)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.show(exc)
        field = exc.field if isinstance(exc, ValidationError) else ""
        if field in ("parts", "labour"):
            (self.parts if field == "parts" else self.labour).setFocus()
