"""One sent prescription as the pharmacist fills it: its current version's lines (prescribed, already dispensed,
remaining, what to give now), FEFO's plan for them, the scanner that confirms a line, another batch than FEFO's
(with the reason the service asks for), a generic substitute (with its note), and Dispense: one call to
``dispensing.dispense`` with the request id made when the prescription was opened (a retry of the same form is
the same dispensing; a double click dispenses once). Giving less than remains leaves the rest pending.

Keyboard: the scan field has the focus once a prescription is opened; Tab goes through the lines' quantities,
the batch, its reason, Substitute and Dispense; Ctrl+Enter dispenses.
"""

from __future__ import annotations

import re
import uuid
from functools import partial

from hms_desktop.changes import Changes
from hms_desktop.errors import ValidationError
from hms_desktop.services.pharmacy.dispensing import dispense, plan_dispense
from hms_desktop.services.pharmacy.dispensing_views import DispensePlan, DispensingView
from hms_desktop.services.pharmacy.stock_views import BatchView
from ui.docks.pharmacy.common import (
    Facts,
    cell,
    day_text,
    fixed_column,
    label,
    message_of,
    named,
    pack_text,
    rs,
    tab_chain,
    table,
)
from ui.docks.pharmacy.plan_view import PlanView
from ui.docks.pharmacy.rx_lines import Line, Opened, dispense_input, given, load, medicine_batches, sellable, summary_of
from ui.docks.pharmacy.scan_field import ScanField, Scanned
from ui.docks.pharmacy.substitute_dialog import SubstituteDialog
from ui.qt import (
    QComboBox,
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
COLUMNS = ["Scan", "Medicine", "Prescribed", "Dispensed", "Remaining", "Give now"]
GIVE = 5
REPLAN_MS = 200


class DispensePanel(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.opened: Opened | None = None
        self.loading: uuid.UUID | None = None  # the prescription on its way
        self.lines: list[Line] = []
        self.facts: dict[uuid.UUID, Facts] = {}
        self.request_id = uuid.uuid4()
        self.busy = self.filling = False
        self.plan_seq = 0
        self.plan_error = False  # the message shown is the plan's (a new plan takes it away)
        self.sent: list[int] = []  # the lines a dispense call was given, in its order
        self.title = label("dispenseTitle")
        self.title.setText("Choose a prescription from the list")
        self.scan_note = label("scanNote")
        self.scan = ScanField(session, "dispenseScan")
        self.scan.found.connect(self.scanned)
        self.scan.refused.connect(lambda text: self._say(self.scan_note, text, error=True))
        self.table = table(COLUMNS, 1, "dispenseItems")
        fixed_column(self.table, GIVE, 96)
        self.table.itemSelectionChanged.connect(self._line_chosen)
        self.batch = QComboBox()
        self.batch.setObjectName("dispenseBatch")
        self.batch.setToolTip("The batch to give: FEFO's (the earliest expiry first) or another, with a reason")
        self.batch.currentIndexChanged.connect(self._batch_changed)
        self.reason = QLineEdit()
        self.reason.setObjectName("pickReason")
        self.reason.setPlaceholderText("Why another batch than FEFO's")
        self.reason.setToolTip("Needed when the batch is not the one that expires first (kept on the line)")
        self.reason.textEdited.connect(self._reason_changed)
        self.substitute_button = QPushButton("Substitute...")
        self.substitute_button.setObjectName("substitute")
        self.substitute_button.setToolTip("Give another medicine (a generic substitute) with a note")
        self.substitute_button.clicked.connect(self.choose_substitute)
        self.plan = PlanView("dispensePlan")
        self.message = label("formError")
        self.message.hide()
        self.summary = label("dispenseSummary")
        self.dispense_button = QPushButton("Dispense")
        self.dispense_button.setObjectName("dispenseButton")
        self.dispense_button.setToolTip("Dispense what the plan shows (Ctrl+Enter)")
        self.dispense_button.clicked.connect(lambda _=False: self.dispense())
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.dispense)
        scan_row = QHBoxLayout()
        scan_row.addWidget(QLabel("Scan"))
        scan_row.addWidget(self.scan, 2)
        scan_row.addWidget(self.scan_note, 3)
        edit_row = QHBoxLayout()
        edit_row.addWidget(QLabel("Batch"))
        edit_row.addWidget(self.batch, 3)
        edit_row.addWidget(QLabel("Reason"))
        edit_row.addWidget(self.reason, 3)
        edit_row.addWidget(self.substitute_button)
        actions = QHBoxLayout()
        actions.addWidget(self.dispense_button)
        actions.addWidget(self.summary, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addLayout(scan_row)
        box.addWidget(self.table, 2)
        box.addLayout(edit_row)
        box.addWidget(QLabel("<b>FEFO's plan</b> (the earliest expiry first; a line splits when a batch runs out)"))
        box.addWidget(self.plan, 3)
        box.addWidget(self.message)
        box.addLayout(actions)
        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.timeout.connect(self.replan)
        session.changes.changed.connect(self.on_changes)
        self._buttons()

    # --- opening a prescription

    def open(self, rx_id: uuid.UUID, keep_summary: bool = False) -> None:
        if not keep_summary:
            self.summary.clear()
        self.message.hide()
        self.loading = rx_id
        background(self, load, self.session.ctx, rx_id, done=self._opened, failed=self._open_failed)

    def _open_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.loading = None
            self.clear()
            self._say(self.message, message_of(exc), error=True)

    def _opened(self, opened: Opened) -> None:
        if not isValid(self) or opened.rx.prescription_id != self.loading:
            return  # another prescription was chosen meanwhile
        self.loading = None
        self.opened, self.facts = opened, dict(opened.facts)
        self.request_id = uuid.uuid4()  # one per opening: a retry of this form is the same dispensing
        self.lines = [Line.of(p) for p in opened.plan.lines]
        for line in self.lines:
            line.batches = sellable(opened.batches.get(line.medicine_id, [])) if line.medicine_id else []
        rx = opened.rx
        amended = " (amended)" if rx.amended else ""
        self.title.setText(
            f"<b>{rx.code}</b> version {rx.version}{amended}: <b>{rx.patient_name}</b> ({rx.patient_code}), "
            f"{rx.doctor_name}, {rx.doctor_registration}<br>Diagnosis: {rx.diagnosis or '-'}"
        )
        self._fill()
        self.table.selectRow(0)
        self.plan.show_plan(opened.plan, self.facts)
        self.scan_note.clear()
        self._buttons()

    def clear(self) -> None:
        self.opened, self.lines = None, []
        self.table.setRowCount(0)
        self.plan.clear()
        self.title.setText("Choose a prescription from the list")
        self._line_chosen()
        self._buttons()

    def _fill(self) -> None:
        self.filling = True
        self.table.setRowCount(len(self.lines))
        for r, line in enumerate(self.lines):
            self._render(r)
            spin = QSpinBox()
            spin.setObjectName(f"give{r}")
            spin.setRange(0, line.most)
            spin.setValue(line.give)
            spin.setEnabled(line.most > 0)
            spin.setToolTip("What to give now (less leaves the rest pending; 0: nothing now)")
            spin.valueChanged.connect(partial(self._give_changed, r))
            self.table.setCellWidget(r, GIVE, spin)
        self.filling = False
        spins = [w for r in range(len(self.lines)) if (w := self.table.cellWidget(r, GIVE)) is not None]
        tab_chain(self.scan, *spins, self.table, self.batch, self.reason, self.substitute_button,
                  self.dispense_button)  # fmt: skip

    def _render(self, r: int) -> None:
        line = self.lines[r]
        f = self.facts.get(line.medicine_id) if line.medicine_id else None
        name = named(line.name, line.schedule)
        if line.substitute is not None:
            name += f"  ->  {line.substitute.label} (substitute)"
        tip = f"{f.label}: {pack_text(f.form, f.unit, f.pack_size)}" if f else line.note

        def qty(n: int | None) -> str:
            if n is None:
                return "open (SOS)"
            return f.quantity(n).split(" (")[0] if f else str(n)

        cells = ["✓" if line.confirmed else "", name, qty(line.prescribed), qty(line.dispensed), qty(line.remaining)]
        for c, text in enumerate(cells):
            self.table.setItem(r, c, cell(text, tip=tip, colour="#0b6e4f" if c == 0 else ""))
        if (spin := self.table.cellWidget(r, GIVE)) is not None and isinstance(spin, QSpinBox):
            spin.setRange(0, line.most)
            spin.setEnabled(line.most > 0 and not self.busy)

    # --- the line being edited

    def current(self) -> int:
        r = self.table.currentRow()
        return r if self.table.selectionModel().hasSelection() and 0 <= r < len(self.lines) else -1

    def _line_chosen(self) -> None:
        r = self.current()
        line = self.lines[r] if r >= 0 else None
        self.filling = True
        self.batch.clear()
        if line is not None and line.given_id is not None:
            self.batch.addItem("FEFO: the earliest expiry first", None)
            f = self.facts.get(line.given_id)
            for b in line.batches:
                held = f.quantity(b.on_hand).split(" (")[0] if f else str(b.on_hand)
                self.batch.addItem(f"{b.batch_number}, expires {day_text(b.expiry_date)}, {held} on hand, "
                                   f"MRP {rs(b.mrp_paise)}", b.id)  # fmt: skip
            self.batch.setCurrentIndex(max(0, self.batch.findData(line.batch_id)) if line.batch_id else 0)
        self.reason.setText(line.reason if line is not None else "")
        self.filling = False
        self._buttons()

    def _batch_changed(self, _index: int) -> None:
        r = self.current()
        if self.filling or r < 0:
            return
        data = self.batch.currentData()
        self.lines[r].batch_id = data if isinstance(data, uuid.UUID) else None
        self._replan.start(REPLAN_MS)

    def _reason_changed(self, text: str) -> None:
        r = self.current()
        if r >= 0:
            self.lines[r].reason = text
            self._replan.start(REPLAN_MS)

    def _give_changed(self, r: int, value: int) -> None:
        if not self.filling and 0 <= r < len(self.lines):
            self.lines[r].give = value
            self._buttons()
            self._replan.start(REPLAN_MS)

    def choose_substitute(self) -> None:
        r = self.current()
        if r < 0:
            return
        dialog = SubstituteDialog(self.session, named(self.lines[r].name, self.lines[r].schedule), self)
        dialog.chosen.connect(lambda facts, note, row=r: self._substitute(row, facts, note))
        self.substitute_dialog = dialog
        dialog.open()

    def _substitute(self, r: int, facts: Facts, note: str) -> None:
        background(
            self, medicine_batches, self.session.ctx, facts.id, done=lambda got: self._substituted(r, note, *got)
        )

    def _substituted(self, r: int, note: str, facts: Facts, batches: list[BatchView]) -> None:
        if not isValid(self) or r >= len(self.lines):
            return
        line = self.lines[r]
        line.substitute, line.substitute_note, line.batch_id, line.reason = facts, note, None, ""
        line.batches = sellable(batches)
        if line.give == 0 and line.remaining:
            line.give = line.remaining
        self.facts[facts.id] = facts
        self._fill()
        self.table.selectRow(r)
        self._line_chosen()
        self.replan()

    # --- the scanner

    def scanned(self, s: Scanned) -> None:
        hit = s.hit
        if self.opened is None:
            self._say(self.scan_note, f"{hit.name}: open a prescription first (or sell it at the Counter).")
            return
        rows = [r for r, line in enumerate(self.lines) if hit.medicine_id in (line.medicine_id, line.given_id)]
        if not rows:
            self._say(self.scan_note, f"{hit.name} is not on {self.opened.rx.code}: sell it at the Counter tab.",
                      error=True)  # fmt: skip
            return
        for r in rows:
            self.lines[r].confirmed = True
            self._render(r)
        self.table.selectRow(rows[0])
        done = sum(1 for line in self.lines if line.confirmed)
        self._say(self.scan_note, f"{hit.name} confirmed ({done} of {len(self.lines)} lines scanned).")

    # --- the plan and dispensing

    def replan(self) -> None:
        self._replan.stop()
        if self.opened is None:
            return
        self.plan_seq += 1
        seq, indices = self.plan_seq, given(self.lines)
        pending = [(named(line.name, line.schedule), line.pending_note) for i, line in enumerate(self.lines)
                   if i not in indices]  # fmt: skip
        if not indices:
            self.plan.clear("Nothing to give now: set a quantity.", pending)
            return
        data = dispense_input(self.opened.rx, self.lines)
        background(self, plan_dispense, self.session.ctx, data, done=lambda p: self._planned(seq, p, pending),
            failed=lambda e: self._plan_failed(seq, e))  # fmt: skip

    def _planned(self, seq: int, plan: DispensePlan, pending: list[tuple[str, str]]) -> None:
        if isValid(self) and seq == self.plan_seq:
            if self.plan_error:
                self.message.hide()
                self.plan_error = False
            self.plan.show_plan(plan, self.facts, pending)

    def _plan_failed(self, seq: int, exc: BaseException) -> None:
        if isValid(self) and seq == self.plan_seq:
            self.plan.clear()
            self.plan_error = True
            self._say(self.message, message_of(exc), error=True)

    def _buttons(self) -> None:
        r = self.current()
        line = self.lines[r] if r >= 0 else None
        editable = line is not None and line.given_id is not None and not self.busy
        self.batch.setEnabled(editable)
        self.reason.setEnabled(editable)
        self.substitute_button.setEnabled(line is not None and line.remaining != 0 and not self.busy)
        ready = self.opened is not None and bool(given(self.lines)) and not self.busy
        self.dispense_button.setEnabled(ready)
        self.dispense_button.setDefault(ready)  # the primary action's look, while it can be taken
        self.scan.setEnabled(not self.busy)

    def dispense(self) -> None:
        if self.busy or self.opened is None or not given(self.lines):
            return  # a double click, or nothing to give
        self._replan.stop()
        self.plan_seq += 1  # a plan on its way is no longer news
        self.busy = True
        self.message.hide()
        self.summary.clear()
        self._buttons()
        self.sent = given(self.lines)
        data = dispense_input(self.opened.rx, self.lines)
        run(self, partial(dispense, self.session.ctx, data, request_id=self.request_id), done=self._dispensed,
            failed=self._failed, label="Dispensing...")  # fmt: skip

    def _dispensed(self, v: DispensingView) -> None:
        self.busy = False
        self.summary.setText(summary_of(v))
        self.request_id = uuid.uuid4()
        if v.prescription_status == "sent_to_pharmacy" and v.prescription_id is not None:
            self.open(v.prescription_id, keep_summary=True)  # what remains
        else:
            self.clear()
        self._buttons()

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._say(self.message, message_of(exc), error=True)
        self.plan_error = False
        m = LINE_FIELD.fullmatch(exc.field) if isinstance(exc, ValidationError) else None
        if m and int(m.group(1)) < len(self.sent):
            r = self.sent[int(m.group(1))]
            self.table.selectRow(r)
            self._buttons()
            target = {"pick_reason": self.reason, "batch_id": self.batch, "quantity": self.table.cellWidget(r, GIVE)}
            widget = target.get(m.group(2))
            (widget or self.substitute_button).setFocus()
        self._buttons()
        self.replan()

    def on_changes(self, changes: Changes) -> None:
        """The open prescription amended (or dispensed) elsewhere: shown as it now stands."""
        rx = self.opened.rx if self.opened is not None else None
        if rx is not None and not self.busy and rx.prescription_id in changes.ids("prescriptions"):
            self.open(rx.prescription_id)
            self._say(self.summary, f"{rx.code} changed on another screen or PC: shown as it now stands.")

    def _say(self, where: QLabel, text: str, error: bool = False) -> None:
        where.setText(text)
        where.setStyleSheet("color: #b00020;" if error and where is not self.message else "")
        where.show()
