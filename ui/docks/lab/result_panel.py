"""One lab order, as the technician works it: collect the sample, enter the result (one row per parameter of the
test: its value, unit, the reference range for this patient's sex and age, and the flag once saved), verify it
(a second member of staff: the service refuses whoever entered it, and its message is shown), print the report.

Keyboard: Enter in a value cell moves to the next one; after the last, to the summary. Every action's button is
disabled while it is on its way, so a double click does it once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from html import escape
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.errors import HmsError, ValidationError
from hms_desktop.services.clinical.lab_catalog import LabTestView, get_lab_test
from hms_desktop.services.clinical.lab_orders import LabOrderView, collect_sample
from hms_desktop.services.clinical.lab_parameters import SEX_OF_GENDER, LabParameter, range_for, range_text
from hms_desktop.services.clinical.lab_reports import SEX_WORDS, lab_report_pdf
from hms_desktop.services.clinical.lab_results import ResultValueInput, enter_result, lab_order, verify_result
from ui.docks.lab.flags import coloured, order_flag_text, status_text, value_flag_text, when
from ui.qt import (
    QAbstractItemView,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, error_text, run

A4_MM = (210.0, 297.0)
COLUMNS = ("Parameter", "Value", "Unit", "Reference (this patient)", "Flag")
VALUE_COLUMN, FLAG_COLUMN = 1, 4
ENTRY_STATUSES = ("sample_collected", "in_progress", "completed")
BAD_CELL = "border: 2px solid #b00020;"


def reference(p: LabParameter, order: LabOrderView) -> str:
    """The reference the report will print for ``p``, for this order's patient (sex, age on the day ordered)."""
    if p.ref_text:
        return p.ref_text
    if p.kind == "text":
        return " / ".join(p.normal_values)
    found = range_for(p, SEX_OF_GENDER.get(order.patient_gender), order.patient_age_years)
    return range_text(found) if found is not None else ""


def named_in(message: str, params: tuple[LabParameter, ...]) -> int:
    """The row of the parameter an error message names first (-1 when none)."""
    found = [(m.start(), i) for i, p in enumerate(params) if (m := re.search(re.escape(p.name), message))]
    return min(found)[1] if found else -1


class ResultPanel(QWidget):
    changed = Signal(object)  # the LabOrderView an action here returned

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.order: LabOrderView | None = None
        self.test: LabTestView | None = None
        self.tests: dict[uuid.UUID, LabTestView] = {}
        self.edits: list[QLineEdit] = []
        self.busy = False
        self.stale = False  # the store changed while the panel was hidden or busy
        self.title = QLabel("Choose an order from the worklist")
        self.title.setObjectName("formTitle")
        self.title.setWordWrap(True)
        self.patient = QLabel()
        self.patient.setObjectName("labPatient")
        self.patient.setWordWrap(True)
        self.trail = QLabel()
        self.trail.setObjectName("labTrail")
        self.trail.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("labValues")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab and Enter go from value cell to value cell
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(VALUE_COLUMN, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(VALUE_COLUMN, 150)
        self.table.verticalHeader().hide()
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("labSummary")
        self.summary.setPlaceholderText("Summary or remarks (printed on the report; needed for a test with no values)")
        self.summary.setMaximumHeight(64)
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.hide()
        self.info = QLabel()
        self.info.setObjectName("labInfo")
        self.info.setWordWrap(True)
        self.collect_button = self._button("Collect sample", "collectSample", self.collect, "lab.results")
        self.save_button = self._button("Save result", "saveResult", self.save, "lab.results")
        self.verify_button = self._button("Verify", "verifyResult", self.verify, "lab.verify")
        self.report_button = self._button("Report...", "labReport", self.report, "lab.view")
        buttons = QHBoxLayout()
        for b in (self.collect_button, self.save_button, self.verify_button, self.report_button):
            buttons.addWidget(b)
        buttons.addStretch()
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.patient)
        box.addWidget(self.trail)
        box.addWidget(self.hint)
        box.addWidget(self.table, 1)
        box.addWidget(QLabel("Summary"))
        box.addWidget(self.summary)
        box.addWidget(self.message)
        box.addWidget(self.info)
        box.addLayout(buttons)
        session.changes.changed.connect(self.on_changes)
        self._render()

    def _button(self, text: str, name: str, slot: Callable[[], None], code: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(lambda _=False: slot())
        button.setVisible(self.session.can(code))
        return button

    # --- showing an order

    def show_order(self, order: LabOrderView | None) -> None:
        """Show ``order`` (its test's parameters fetched once); None empties the panel."""
        changed = self.order is None or order is None or order.id != self.order.id
        self.order = order
        if changed:
            self.message.hide()
            self.info.clear()
        if order is None:
            self.test = None
            self._render()
            return
        cached = self.tests.get(order.lab_test_id)
        if cached is not None:
            self.test = cached
            self._render()
            return
        self.test = None
        self._render()
        background(self, get_lab_test, self.session.ctx, order.lab_test_id, done=self._test_loaded, failed=self._failed)

    def _test_loaded(self, test: LabTestView) -> None:
        if not isValid(self):
            return
        self.tests[test.id] = test
        if self.order is not None and self.order.lab_test_id == test.id:
            self.test = test
            self._render()

    def on_changes(self, changes: Changes) -> None:
        """The open order changed on this PC or another: show it as it is now (typed values kept if it did not).
        Hidden, the panel only notes it and reads the order when shown."""
        if changes.touches("lab_orders") and self.order is not None:
            self.stale = True
            self.refetch()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refetch()

    def refetch(self) -> None:
        if self.stale and self.order is not None and not self.busy and self.isVisible():
            self.stale = False
            background(self, lab_order, self.session.ctx, self.order.id, done=self._refetched, failed=lambda _e: None)

    def _refetched(self, order: LabOrderView) -> None:
        if isValid(self) and self.order is not None and order.id == self.order.id and order != self.order:
            self.show_order(order)

    def entry_open(self) -> bool:
        o = self.order
        return o is not None and o.status in ENTRY_STATUSES and self.session.can("lab.results") and not self.busy

    def _render(self) -> None:
        o, test = self.order, self.test
        for w in (self.patient, self.trail, self.table, self.summary):
            w.setVisible(o is not None)
        self.hint.hide()
        if o is None:
            self.title.setText("Choose an order from the worklist")
            self.edits = []
            self.table.setRowCount(0)
            self._buttons()
            return
        self.title.setText(f"{o.test_name}   {o.code}")
        age = f"{o.patient_age_years} Y" if o.patient_age_years is not None else "age not recorded"
        sex = SEX_WORDS.get(o.patient_gender, o.patient_gender)
        parts = [f"<b>{escape(o.patient_name)}</b> ({o.patient_code}), {age} / {sex}"]
        if o.doctor_name:
            parts.append(f"referred by {escape(o.doctor_name)}")
        parts.append(f"priority <b>{o.priority.upper() if o.priority != 'routine' else 'routine'}</b>")
        parts.append(f"sample: {o.sample_type.replace('_', ' ')}")
        self.patient.setText(" &middot; ".join(parts))
        self.trail.setText(self._trail(o))
        params = test.parameters if test is not None else ()
        stored = {v.name.casefold(): v for v in o.values}
        self.table.setRowCount(len(params))
        self.edits = []
        for r, p in enumerate(params):
            value = stored.get(p.name.casefold())
            self.table.setItem(r, 0, QTableWidgetItem(p.name))
            self.table.setItem(r, 2, QTableWidgetItem(p.unit))
            ref = value.ref_text if value is not None else reference(p, o)
            self.table.setItem(r, 3, QTableWidgetItem(ref))
            flag = coloured(QTableWidgetItem(value_flag_text(value)), value.flag) if value else QTableWidgetItem("")
            self.table.setItem(r, FLAG_COLUMN, flag)
            self.table.setCellWidget(r, VALUE_COLUMN, self._value_edit(r, p, value.value if value else ""))
        self.summary.setPlainText(o.result_summary)
        self._buttons()
        self._hint(o, test)

    def _value_edit(self, row: int, p: LabParameter, text: str) -> QLineEdit:
        edit = QLineEdit(text)
        edit.setObjectName(f"labValue{row}")
        edit.setPlaceholderText(" / ".join(p.choices) if p.choices else ("number" if p.kind == "numeric" else "text"))
        if p.choices:
            completer = QCompleter(list(p.choices), edit)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            edit.setCompleter(completer)
        edit.returnPressed.connect(lambda r=row: self.next_cell(r))
        edit.setReadOnly(not self.entry_open())
        self.edits.append(edit)
        return edit

    def _trail(self, o: LabOrderView) -> str:
        parts = [f"Ordered {when(o.ordered_at)}" + (f" by {o.ordered_by_name}" if o.ordered_by_name else "")]
        if o.sample_collected_at is not None:
            parts.append(f"sample collected {when(o.sample_collected_at)} by {o.sample_collected_by_name}")
        if o.completed_at is not None:
            parts.append(f"entered {when(o.completed_at)} by {o.reported_by_name}")
        if o.verified_at is not None:
            parts.append(f"verified {when(o.verified_at)} by {o.verified_by_name}")
        text = f"<b>{status_text(o.status)}</b>. " + escape(", ".join(parts)) + "."
        flag = order_flag_text(o)
        if flag:
            text += f"  Result: <b>{flag}</b>."
        if o.notes:
            text += f"<br>Doctor's notes: {escape(o.notes)}"
        if o.cancelled_reason:
            text += f"<br>Cancelled: {escape(o.cancelled_reason)}"
        return text

    def _hint(self, o: LabOrderView, test: LabTestView | None) -> None:
        text = ""
        if o.status == "ordered":
            text = "Collect the sample first; then enter the values."
        elif o.status in ENTRY_STATUSES and test is not None and not test.parameters:
            text = f"{test.name} has no parameters: write the result in the summary."
        elif o.status == "completed" and o.reported_by_id == self.session.actor.user_id:
            text = "You entered this result: another member of staff verifies it."
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _buttons(self) -> None:
        o, idle = self.order, not self.busy
        self.collect_button.setEnabled(idle and o is not None and o.status == "ordered")
        self.save_button.setEnabled(idle and self.entry_open() and self.test is not None)
        self.verify_button.setEnabled(idle and o is not None and o.status == "completed")
        self.report_button.setEnabled(idle and o is not None and o.status == "verified")
        self.summary.setReadOnly(not self.entry_open())
        for edit in self.edits:
            edit.setReadOnly(not self.entry_open())

    def next_cell(self, row: int) -> None:
        """Enter in a value cell: the next value cell, or the summary after the last."""
        if row + 1 < len(self.edits):
            self.edits[row + 1].setFocus()
            self.edits[row + 1].selectAll()
        else:
            self.summary.setFocus()

    def focus_first_value(self) -> None:
        """The first value cell (once the table has shown its new cells), or Collect while no sample is in."""
        if self.edits and self.entry_open():
            QTimer.singleShot(0, lambda first=self.edits[0]: self._focus(first))
        elif self.order is not None and self.order.status == "ordered" and self.collect_button.isVisible():
            self.collect_button.setFocus()

    @staticmethod
    def _focus(edit: QLineEdit) -> None:
        if isValid(edit):
            edit.setFocus()
            edit.selectAll()

    # --- actions

    def _act(self, fn: Callable[..., Any], *args: Any, label: str, done: Callable[[Any], None] | None = None) -> None:
        if self.busy or self.order is None:
            return  # a double click, or nothing chosen
        self.busy = True
        self.message.hide()
        self.info.clear()
        self._buttons()
        run(self, fn, self.session.ctx, *args, done=done or self._done, failed=self._failed, label=label)

    def collect(self) -> None:
        if self.order is not None:
            self._act(collect_sample, self.order.id, label="Marking the sample collected...", done=self._collected)

    def _collected(self, order: LabOrderView) -> None:
        self._done(order)
        self.info.setText(f"Sample collected for {order.code}. Enter the values.")
        self.focus_first_value()

    def save(self) -> None:
        if self.order is None or self.test is None or not self.save_button.isEnabled():
            return
        for edit in self.edits:
            edit.setStyleSheet("")
        values = [
            ResultValueInput(p.name, edit.text().strip())
            for p, edit in zip(self.test.parameters, self.edits, strict=True)
            if edit.text().strip()  # a blank cell is left out: the service names every missing value
        ]
        summary = self.summary.toPlainText()
        self._act(enter_result, self.order.id, values, summary, label="Saving the result...", done=self._saved)

    def _saved(self, order: LabOrderView) -> None:
        self._done(order)
        flagged = [v for v in order.values if v.flag in ("abnormal", "critical")]
        self.info.setText(
            f"Result saved: {len(flagged)} value{'s' if len(flagged) != 1 else ''} outside the range."
            if flagged
            else "Result saved: every value within the range."
        )

    def verify(self) -> None:
        if self.order is not None:
            self._act(verify_result, self.order.id, label="Verifying...", done=self._verified)

    def _verified(self, order: LabOrderView) -> None:
        self._done(order)
        self.info.setText(f"{order.code} verified: the report can be printed.")

    def report(self) -> None:
        o = self.order
        if o is not None:
            self._act(lab_report_pdf, o.id, label="Making the report...", done=lambda pdf: self._preview(pdf, o))

    def _preview(self, pdf: bytes, order: LabOrderView) -> None:
        self.busy = False
        self._buttons()
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Lab report {order.code}", A4_MM)

    def _done(self, order: LabOrderView) -> None:
        self.busy = False
        self.stale = False  # this order as the action left it: the broadcast of the action itself is no news
        self.show_order(order)
        self.changed.emit(order)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._buttons()
        self.message.setText(exc.message if isinstance(exc, HmsError) else error_text(exc))
        self.message.show()
        self.refetch()  # refused because the order changed meanwhile (here or on another PC): show it as it is
        if isinstance(exc, ValidationError) and self.test is not None:
            if exc.field == "summary":
                self.summary.setFocus()
                return
            row = named_in(exc.message, self.test.parameters)
            if 0 <= row < len(self.edits):
                self.edits[row].setStyleSheet(BAD_CELL)
                self.edits[row].setFocus()
