"""Choosing the patient at the pharmacy counter: by name, phone or patient code as you type
(``reception.patient_search.search_patients``, ``patients.view``). Enter (or a double click) takes the highlighted
patient; Down moves from the field into the hits. The services record every sale and return against a
registered patient: there is no walk-in sale, so a new customer is registered at Reception first."""

from __future__ import annotations

from typing import Any

from hms_desktop.paging import Page
from hms_desktop.services.reception.patient_search import PatientSummary, search_patients
from ui.docks.pharmacy.common import label, message_of
from ui.qt import (
    QEvent,
    QKeyEvent,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

DEBOUNCE_MS = 200


def patient_text(p: PatientSummary) -> str:
    age = f", {p.age}{p.gender}" if p.age is not None else ""
    phone = f", {p.phone}" if p.phone else ""
    return f"{p.full_name} ({p.code}){age}{phone}"


class PatientPick(QWidget):
    chosen = Signal(object)  # a PatientSummary

    def __init__(self, session: AppSession, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient: PatientSummary | None = None
        self.search = QLineEdit()
        self.search.setObjectName(name)
        self.search.setPlaceholderText("Patient: name, phone or code (Enter takes the first)")
        self.search.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setObjectName(name + "Hits")
        self.hits.setMaximumHeight(130)
        self.hits.hide()
        self.hits.itemActivated.connect(self._take)
        self.current = label("patientChosen")
        self.current.setText("No patient chosen.")
        self.message = label("formError")
        self.message.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.search)
        box.addWidget(self.hits)
        box.addWidget(self.message)
        box.addWidget(self.current)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._find)
        self.search.textEdited.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        if obj is self.search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.hits.count():
                self.hits.setFocus()
                return True
        return False

    def _find(self, then_take: bool = False) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.hits.clear()
            self.hits.hide()
            return
        background(self, search_patients, self.session.ctx, text, done=lambda page: self._show(text, page, then_take),
            failed=self._failed)  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.message.setText(message_of(exc))
            self.message.show()

    def _show(self, text: str, page: Page[PatientSummary], then_take: bool) -> None:
        if not isValid(self) or text != self.search.text().strip():
            return
        self.message.hide()
        self.hits.clear()
        for p in page.items:
            item = QListWidgetItem(patient_text(p))
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.hits.addItem(item)
        self.hits.setVisible(bool(page.items))
        if page.items:
            self.hits.setCurrentRow(0)
            if then_take:
                self._take(self.hits.item(0))
        else:
            self.message.setText(f"No patient matches {text!r}. A new customer is registered at Reception first.")
            self.message.show()

    def _enter(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._find(then_take=True)
            return
        item = self.hits.currentItem()
        if item is not None:
            self._take(item)

    def _take(self, item: QListWidgetItem) -> None:
        p: PatientSummary = item.data(Qt.ItemDataRole.UserRole)
        self.choose(p)

    def choose(self, p: PatientSummary | None) -> None:
        self.patient = p
        self.current.setText(f"<b>{patient_text(p)}</b>" if p is not None else "No patient chosen.")
        self.hits.clear()
        self.hits.hide()
        self.message.hide()
        if p is not None:
            self.search.clear()
        self.chosen.emit(p)
