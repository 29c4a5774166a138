"""The Counter tab: an over-the-counter sale. The patient first (the services record every sale against a
registered patient: there is no walk-in sale), then the medicines, found by name, code or barcode or scanned,
each with its quantity; FEFO's plan as it would be taken; Dispense (``dispensing.dispense``, one request id per
sale). A Schedule H, H1 or X medicine is refused in the service's words: it is sold only against a prescription.

Keyboard: the scan field has the focus when the tab opens; Delete removes the chosen line; Ctrl+Enter dispenses.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.services.pharmacy.dispensing import dispense, plan_dispense
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine, DispensePlan, DispensingView
from hms_desktop.services.pharmacy.stock_views import MedicineStock
from ui.docks.pharmacy.common import Facts, cell, fixed_column, label, message_of, plural, rs, tab_chain, table
from ui.docks.pharmacy.medicine_pick import MedicinePick
from ui.docks.pharmacy.patient_pick import PatientPick
from ui.docks.pharmacy.plan_view import PlanView
from ui.docks.pharmacy.scan_field import ScanField, Scanned
from ui.qt import (
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    QSpinBox,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")
WALK_IN = (
    "An over-the-counter sale is recorded against a registered patient: the services take no walk-in sale. "
    "Find the customer by name, phone or code; a new customer is registered at Reception first."
)
REPLAN_MS = 200
QTY = 2


@dataclass
class CounterLine:
    facts: Facts
    on_hand: int
    quantity: int


class CounterTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.lines: list[CounterLine] = []
        self.request_id = uuid.uuid4()  # one per sale: a retry of this sale is the same dispensing
        self.busy = False
        self.plan_seq = 0
        self.patient = PatientPick(session, "counterPatient")
        self.patient.chosen.connect(lambda _p: self.replan())
        hint = label("hint")
        hint.setText(WALK_IN)
        self.note = QLineEdit()
        self.note.setObjectName("counterNote")
        self.note.setPlaceholderText("Note on the sale (optional)")
        self.scan = ScanField(session, "counterScan")
        self.scan.found.connect(self.scanned)
        self.scan.refused.connect(self._scan_refused)
        self.scan_note = label("scanNote")
        self.medicine = MedicinePick(session, "counterSearch")
        self.medicine.picked.connect(self.add_found)
        self.table = table(["Medicine", "On hand", "Quantity"], 0, "counterLines")
        self.table.setMinimumHeight(120)
        fixed_column(self.table, QTY, 130)
        remove = QPushButton("Remove line")
        remove.setObjectName("counterRemove")
        remove.setToolTip("Remove the chosen line (Delete)")
        remove.clicked.connect(lambda _=False: self.remove_line())
        self.plan = PlanView("counterPlan")
        self.message = label("formError")
        self.message.hide()
        self.summary = label("counterSummary")
        self.dispense_button = QPushButton("Dispense")
        self.dispense_button.setObjectName("counterDispense")
        self.dispense_button.setToolTip("Sell what the plan shows (Ctrl+Enter)")
        self.dispense_button.clicked.connect(lambda _=False: self.dispense())
        new = QPushButton("New sale")
        new.clicked.connect(lambda _=False: self.new_sale())
        for key, slot in (("Ctrl+Return", self.dispense), ("Delete", self.remove_line)):
            shortcut = QShortcut(QKeySequence(key), self.table if key == "Delete" else self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Patient</b>"))
        left.addWidget(self.patient)
        left.addWidget(hint)
        left.addWidget(QLabel("Note"))
        left.addWidget(self.note)
        left.addStretch()
        scan_row = QHBoxLayout()
        scan_row.addWidget(QLabel("Scan"))
        scan_row.addWidget(self.scan, 2)
        scan_row.addWidget(self.scan_note, 3)
        actions = QHBoxLayout()
        actions.addWidget(self.dispense_button)
        actions.addWidget(new)
        actions.addWidget(self.summary, 1)
        right = QVBoxLayout()
        right.addLayout(scan_row)
        right.addWidget(self.medicine)
        lines_row = QHBoxLayout()
        lines_row.addWidget(QLabel("<b>Lines</b>"))
        lines_row.addStretch()
        lines_row.addWidget(remove)
        right.addLayout(lines_row)
        right.addWidget(self.table, 3)
        right.addWidget(QLabel("<b>FEFO's plan</b> (the earliest expiry first)"))
        right.addWidget(self.plan, 2)
        right.addWidget(self.message)
        right.addLayout(actions)
        box = QHBoxLayout(self)
        box.addLayout(left, 2)
        box.addLayout(right, 5)
        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.timeout.connect(self.replan)
        self._buttons()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, lambda: self.scan.setFocus() if isValid(self.scan) else None)

    # --- lines

    def add_found(self, m: MedicineStock) -> None:
        self.add(Facts.of(m), m.on_hand)

    def scanned(self, s: Scanned) -> None:
        self.add(Facts.of(s.medicine), sum(b.on_hand for b in s.hit.batches))
        self.scan_note.setStyleSheet("")
        self.scan_note.setText(f"{s.hit.name} added.")

    def _scan_refused(self, text: str) -> None:
        self.scan_note.setStyleSheet("color: #b00020;")
        self.scan_note.setText(text)

    def add(self, facts: Facts, on_hand: int) -> None:
        step = facts.pack_size if facts.pack_size > 1 else 1
        for r, line in enumerate(self.lines):
            if line.facts.id == facts.id:
                line.quantity += step
                self._fill()
                self.table.selectRow(r)
                break
        else:
            self.lines.append(CounterLine(facts, on_hand, step))
            self._fill()
            self.table.selectRow(len(self.lines) - 1)
        self.summary.clear()
        self.replan()

    def remove_line(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.lines) and not self.busy:
            del self.lines[r]
            self._fill()
            self.replan()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.lines))
        for r, line in enumerate(self.lines):
            f = line.facts
            self.table.setItem(r, 0, cell(f.label, tip=f.quantity(f.pack_size)))
            self.table.setItem(r, 1, cell(f.quantity(line.on_hand).split(" (")[0], right=True))
            spin = QSpinBox()
            spin.setObjectName(f"counterQty{r}")
            spin.setRange(1, 10_000)
            spin.setValue(line.quantity)
            spin.setSuffix(f" {plural(f.unit)}")
            spin.valueChanged.connect(partial(self._quantity, r))
            self.table.setCellWidget(r, QTY, spin)
        spins = [w for r in range(len(self.lines)) if (w := self.table.cellWidget(r, QTY)) is not None]
        tab_chain(self.scan, self.medicine.search, *spins, self.table, self.dispense_button)
        self._buttons()

    def _quantity(self, r: int, value: int) -> None:
        if 0 <= r < len(self.lines):
            self.lines[r].quantity = value
            self._replan.start(REPLAN_MS)

    # --- plan and sale

    def data(self) -> DispenseInput | None:
        p = self.patient.patient
        if p is None or not self.lines:
            return None
        lines = [DispenseLine(medicine_id=x.facts.id, quantity=x.quantity) for x in self.lines]
        return DispenseInput(patient_id=p.id, lines=lines, note=self.note.text().strip())

    def replan(self) -> None:
        self._replan.stop()
        self.plan_seq += 1
        self._buttons()
        data = self.data()
        if data is None:
            self.message.hide()
            self.plan.clear("Choose the patient to see FEFO's plan." if self.patient.patient is None
                            else "Add a medicine: search for it or scan its pack.")  # fmt: skip
            return
        seq, facts = self.plan_seq, {x.facts.id: x.facts for x in self.lines}
        background(self, plan_dispense, self.session.ctx, data, done=lambda plan: self._planned(seq, plan, facts),
            failed=lambda e: self._plan_failed(seq, e))  # fmt: skip

    def _planned(self, seq: int, plan: DispensePlan, facts: dict[uuid.UUID, Facts]) -> None:
        if isValid(self) and seq == self.plan_seq:
            self.message.hide()
            self.plan.show_plan(plan, facts)

    def _plan_failed(self, seq: int, exc: BaseException) -> None:
        if isValid(self) and seq == self.plan_seq:
            self.plan.clear()
            self._refused(exc)

    def _refused(self, exc: BaseException) -> None:
        self.message.setText(message_of(exc))
        self.message.show()
        m = LINE_FIELD.fullmatch(exc.field) if isinstance(exc, ValidationError) else None
        if m and int(m.group(1)) < len(self.lines):
            self.table.selectRow(int(m.group(1)))

    def _buttons(self) -> None:
        ready = not self.busy and bool(self.lines) and self.patient.patient is not None
        self.dispense_button.setEnabled(ready)
        self.dispense_button.setDefault(ready)

    def dispense(self) -> None:
        data = self.data()
        if self.busy or data is None:
            return
        self._replan.stop()
        self.plan_seq += 1
        self.busy = True
        self.message.hide()
        self._buttons()
        run(self, partial(dispense, self.session.ctx, data, request_id=self.request_id), done=self._dispensed,
            failed=self._failed, label="Dispensing...")  # fmt: skip

    def _dispensed(self, v: DispensingView) -> None:
        self.busy = False
        lines = len(v.items)
        self.new_sale()
        self.summary.setText(f"<b>{v.code}</b> sold to {v.patient_name}: {rs(v.total_paise)} for {lines} "
                             f"line{'s' if lines != 1 else ''} (left for billing).")  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self._buttons()
            self._refused(exc)

    def new_sale(self) -> None:
        if self.busy:
            return
        self.request_id = uuid.uuid4()
        self.lines = []
        self._fill()
        self.note.clear()
        self.summary.clear()
        self.message.hide()
        self.patient.choose(None)
        self.plan.clear()
        self.scan.setFocus()
