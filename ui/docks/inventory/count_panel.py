"""One cycle count on the Counts tab: while counting, the BLIND sheet (medicine, batch, expiry, location and a
"Counted" cell to type into; never the system's quantity: ``CountSheet`` has none); once finished, the variance
report (system, counted, variance per batch, and the correction posted at approval).

Keyboard: type the units counted and press Enter: it is recorded and the next row's cell takes the keyboard;
after the last row, Finish count. Each value is recorded as it is typed (``record_count``), so a count can be
left and taken up again. Approve is offered to an approver who did not count; the counter sees why not.
"""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.services.inventory.cycle_count_views import CountSheet, CountVariance, CountView, SheetLine
from hms_desktop.services.inventory.cycle_counts import (
    approve_count,
    cancel_count,
    count_sheet,
    count_sheet_pdf,
    count_variance,
    finish_count,
    record_count,
)
from ui import clinic_time
from ui.docks.admin.common import button, message_label
from ui.docks.inventory.stock_common import cell, expiry_state, grid, medicine_text, plural, say, show_date, tint
from ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

A4_MM = (210.0, 297.0)
SHEET_COLUMNS = ("Medicine", "Batch", "Expiry", "Location", "Counted")
COUNTED = 4
VARIANCE_COLUMNS = ("Medicine", "Batch", "Expiry", "Location", "System", "Counted", "Variance", "Posted")
STATUS_WORDS = {"in_progress": "counting", "completed": "finished", "cancelled": "cancelled"}


def status_words(c: CountView) -> str:
    if c.status == "completed":
        return "approved, posted" if c.approved else "finished, to approve"
    return STATUS_WORDS.get(c.status, c.status)


class CountPanel(QWidget):
    changed = Signal(object)  # the CountView after an action here

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.may_count, self.may_approve = session.can("inventory.count"), session.can("inventory.approve")
        self.count: CountView | None = None
        self.lines: list[SheetLine] = []
        self.edits: list[QLineEdit] = []
        self.sent: dict[uuid.UUID, int] = {}  # the last value recorded (or on its way) per batch
        self.variance: CountVariance | None = None
        self.acting = False
        self.title = QLabel("Start a count, or choose one from the list")
        self.title.setObjectName("countTitle")
        self.title.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("countHint")
        self.hint.setWordWrap(True)
        self.sheet = grid("countSheet", SHEET_COLUMNS)
        self.sheet.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.sheet.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab and Enter go from counted cell to counted cell
        self.sheet.horizontalHeader().setSectionResizeMode(COUNTED, QHeaderView.ResizeMode.Fixed)
        self.sheet.setColumnWidth(COUNTED, 170)
        self.report = grid("countVariance", VARIANCE_COLUMNS)
        self.report.hide()
        self.message = message_label("countMessage")
        self.print_button = button("&Print sheet...", "printSheet", self.print_sheet)
        self.print_button.setToolTip("The blind sheet on A4, to count with a pen (Alt+P)")
        self.finish_button = button("&Finish count", "finishCount", self.finish)
        self.finish_button.setToolTip("Close the counting and show the variance (Alt+F)")
        self.approve_button = button("&Approve and post", "approveCount", self.approve)
        self.approve_button.setToolTip("Post each variance as an approved adjustment (Alt+A)")
        self.cancel_reason = QLineEdit()
        self.cancel_reason.setObjectName("cancelReason")
        self.cancel_reason.setPlaceholderText("Reason for cancelling the count")
        self.cancel_reason.returnPressed.connect(self.cancel)
        self.cancel_button = button("Cancel c&ount", "cancelCount", self.cancel)
        self.cancel_button.setToolTip("Abandon the count, nothing posted; needs the reason beside (Alt+O)")
        actions = QHBoxLayout()
        for w in (self.print_button, self.finish_button, self.approve_button):
            actions.addWidget(w)
        actions.addStretch()
        actions.addWidget(self.cancel_reason, 1)
        actions.addWidget(self.cancel_button)
        self.print_button.setVisible(self.may_count)
        self.finish_button.setVisible(self.may_count)
        self.cancel_button.setVisible(self.may_count)
        self.cancel_reason.setVisible(self.may_count)
        self.approve_button.setVisible(self.may_approve)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.hint)
        box.addWidget(self.sheet, 1)
        box.addWidget(self.report, 1)
        box.addWidget(self.message)
        box.addLayout(actions)
        self._header()

    # --- showing a count

    def open_count(self, c: CountView) -> None:
        """Show ``c``: its sheet while counting, its variance once finished."""
        same = self.count is not None and self.count.id == c.id
        self.flush()  # what was typed on the sheet shown now is recorded against its own count first
        self.count = c
        if not same:
            say(self.message, "")
            self.cancel_reason.clear()
        ctx = self.session.ctx
        if c.status == "in_progress" and self.may_count:
            background(self, lambda: count_sheet(ctx, c.id), done=self._sheet, failed=self._failed)
        elif c.status == "completed":
            background(self, lambda: count_variance(ctx, c.id), done=self._variance, failed=self._failed)
        else:
            self._clear_tables()
        self._header()

    def update_view(self, c: CountView) -> None:
        """The count's figures from the list (a value recorded here or elsewhere); reloads on a new state."""
        if self.count is None or self.count.id != c.id:
            return
        if (c.status, c.approved) != (self.count.status, self.count.approved):
            self.open_count(c)
        else:
            self.count = c
            self._header()

    def _clear_tables(self) -> None:
        self.lines, self.edits, self.sent = [], [], {}
        self.sheet.setRowCount(0)
        self.report.setRowCount(0)

    def _header(self) -> None:
        c = self.count
        if c is None:
            self.title.setText("Start a count, or choose one from the list")
            self.hint.hide()
            self._buttons()
            return
        started = clinic_time.show_time(c.started_at, "")
        text = (f"<b>{c.code}</b>: {c.scope}. {status_words(c).capitalize()}. Started {started} by "
                f"{c.counted_by_name}; {c.items_recorded} of {c.items_total} batches counted.")  # fmt: skip
        if c.status == "completed":
            text += f" {c.discrepancy_count} batch{'es' if c.discrepancy_count != 1 else ''} differ."
        if c.approved:
            text += f" Approved by {c.approved_by_name}."
        if c.cancelled_reason:
            text += f" Cancelled: {c.cancelled_reason}"
        self.title.setText(text)
        hint = self._hint(c)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self._buttons()

    def counted_it(self, c: CountView) -> bool:
        return c.counted_by_id is not None and c.counted_by_id == self.session.actor.user_id

    def _hint(self, c: CountView) -> str:
        if c.status == "in_progress":
            return ("Blind count: the system's quantities stay hidden until the count is finished. Type the units "
                    "on the shelf and press Enter; record 0 for a batch that is not there.")  # fmt: skip
        if c.status == "completed" and not c.approved and self.counted_it(c):
            return (f"You counted {c.code}, so another member of staff with approval rights must approve it "
                    "(maker-checker).")  # fmt: skip
        if c.status == "completed" and not c.approved and not self.may_approve:
            return "An Inventory Manager who did not count approves it; the corrections are posted then."
        if c.status == "completed" and not c.approved:
            n = c.discrepancy_count
            if not n:
                return "Every batch matched: approving closes the count with nothing to post."
            return f"Approve and post writes {n} correction{'s' if n != 1 else ''} to the stock, one per batch."
        return ""

    def _buttons(self) -> None:
        c, idle = self.count, not self.acting
        counting = c is not None and c.status == "in_progress"
        to_approve = c is not None and c.status == "completed" and not c.approved
        self.print_button.setEnabled(idle and counting)
        self.finish_button.setEnabled(idle and counting)
        self.approve_button.setEnabled(idle and to_approve and c is not None and not self.counted_it(c))
        open_count = c is not None and c.status != "cancelled" and not c.approved
        self.cancel_button.setEnabled(idle and open_count)
        self.cancel_reason.setEnabled(open_count)
        for edit in self.edits:
            edit.setReadOnly(not counting)

    def _sheet(self, sheet: CountSheet) -> None:
        if not isValid(self) or self.count is None or sheet.count.id != self.count.id:
            return
        self.count = sheet.count
        self._clear_tables()
        self.report.hide()
        self.sheet.show()
        self.lines = list(sheet.lines)
        self.sheet.setRowCount(len(self.lines))
        for r, ln in enumerate(self.lines):
            expiry = tint(cell(show_date(ln.expiry_date)), expiry_state(ln.expiry_date))
            cells = (cell(medicine_text(ln.medicine_name, ln.strength), ln.batch_id), cell(ln.batch_number), expiry,
                     cell(ln.location))  # fmt: skip
            for c, item in enumerate(cells):
                self.sheet.setItem(r, c, item)
            self.sheet.setCellWidget(r, COUNTED, self._edit(r, ln))
            if ln.counted is not None:
                self.sent[ln.batch_id] = ln.counted
        self._header()
        self.focus_uncounted()

    def focus_uncounted(self) -> None:
        """The keyboard to the first cell with nothing typed in it (once the table shows its new cells)."""
        first = next((e for e in self.edits if not e.text().strip()), None)
        if first is not None:
            QTimer.singleShot(0, lambda: isValid(first) and first.setFocus())

    def _edit(self, row: int, ln: SheetLine) -> QLineEdit:
        edit = QLineEdit("" if ln.counted is None else str(ln.counted))
        edit.setObjectName(f"counted{row}")
        edit.setPlaceholderText(plural(ln.unit))
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        edit.returnPressed.connect(lambda r=row: self.next_cell(r))
        edit.editingFinished.connect(lambda r=row: self.record(r))
        self.edits.append(edit)
        return edit

    def _variance(self, report: CountVariance) -> None:
        if not isValid(self) or self.count is None or report.count.id != self.count.id:
            return
        self.count, self.variance = report.count, report
        self._clear_tables()
        self.sheet.hide()
        self.report.show()
        self.report.setRowCount(len(report.lines))
        for r, ln in enumerate(report.lines):
            posted = f"{ln.adjustment_code} ({ln.posted_change:+,})" if ln.adjustment_code else ""
            variance = cell(f"{ln.variance:+,}" if ln.variance else "0", right=True)
            if ln.variance:
                tint(variance, "expired" if ln.variance < 0 else "near")
            cells = (cell(medicine_text(ln.medicine_name, ln.strength), ln.batch_id), cell(ln.batch_number),
                     cell(show_date(ln.expiry_date)), cell(ln.location), cell(f"{ln.system_quantity:,}", right=True),
                     cell(f"{ln.physical_quantity:,}", right=True), variance, cell(posted))  # fmt: skip
            for c, item in enumerate(cells):
                self.report.setItem(r, c, item)
        self._header()

    # --- counting

    def next_cell(self, row: int) -> None:
        """Enter in a counted cell: record it, then the next cell (after the last: Finish count)."""
        self.record(row)
        if row + 1 < len(self.edits):
            self.edits[row + 1].setFocus()
            self.edits[row + 1].selectAll()
        else:
            self.finish_button.setFocus()

    def flush(self) -> None:
        for row in range(len(self.edits)):
            self.record(row)

    def record(self, row: int) -> None:
        c = self.count
        if c is None or c.status != "in_progress" or not 0 <= row < len(self.edits) or not isValid(self.edits[row]):
            return
        text = self.edits[row].text().strip().replace(",", "")
        ln = self.lines[row]
        if not text:
            return
        if not text.isdigit():
            say(self.message, f"Row {row + 1} ({ln.medicine_name}, batch {ln.batch_number}): enter the units "
                "counted as a whole number, 0 or more.", error=True)  # fmt: skip
            return
        value = int(text)
        if self.sent.get(ln.batch_id) == value:
            return
        self.sent[ln.batch_id] = value
        ctx = self.session.ctx
        background(self, lambda: record_count(ctx, c.id, ln.batch_id, value), done=self._recorded,
            failed=lambda e: self._record_failed(ln, e))  # fmt: skip

    def _recorded(self, line: SheetLine) -> None:
        if isValid(self) and self.message.property("recordError") == str(line.batch_id):
            say(self.message, "")

    def _record_failed(self, ln: SheetLine, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.sent.pop(ln.batch_id, None)
        self.message.setProperty("recordError", str(ln.batch_id))
        say(self.message, f"{ln.medicine_name}, batch {ln.batch_number}: {getattr(exc, 'message', exc)}", error=True)

    # --- actions

    def _act(self, call: Any, done: Any, label: str) -> None:
        """``call(ctx, count_id)`` on the worker, once at a time; ``done(result)`` on the UI thread."""
        if self.acting or self.count is None:
            return  # a double click, or nothing chosen
        self.acting = True
        say(self.message, "")
        self._buttons()
        ctx, count_id = self.session.ctx, self.count.id
        run(self, lambda: call(ctx, count_id), done=lambda result: self._acted(done, result), failed=self._act_failed,
            label=label)  # fmt: skip

    def _acted(self, done: Any, result: Any) -> None:
        self.acting = False
        done(result)
        self._buttons()

    def _act_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.acting = False
            self._buttons()
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            say(self.message, getattr(exc, "message", "That could not be done."), error=True)

    def finish(self) -> None:
        self.flush()  # what was typed and not yet recorded goes first (one worker, in order)
        self._act(finish_count, self._finished, "Finishing the count...")

    def _finished(self, report: CountVariance) -> None:
        self._variance(report)
        n = len(report.discrepancies)
        say(self.message, f"{report.count.code} finished: {n} batch{'es' if n != 1 else ''} differ from the system."
            if n else f"{report.count.code} finished: every batch matches the system.")  # fmt: skip
        self.changed.emit(report.count)

    def approve(self) -> None:
        self._act(approve_count, self._approved, "Posting the corrections...")

    def _approved(self, report: CountVariance) -> None:
        self._variance(report)
        posted = sum(1 for ln in report.lines if ln.adjustment_code)
        say(self.message, f"{report.count.code} approved: {posted} correction{'s' if posted != 1 else ''} posted "
            "to the stock.")  # fmt: skip
        self.changed.emit(report.count)

    def cancel(self) -> None:
        why = self.cancel_reason.text()
        self._act(lambda ctx, count_id: cancel_count(ctx, count_id, why), self._cancelled, "Cancelling the count...")

    def _cancelled(self, c: CountView) -> None:
        self.count = c
        self._clear_tables()
        self._header()
        say(self.message, f"{c.code} cancelled; nothing was posted.")
        self.changed.emit(c)

    def print_sheet(self) -> None:
        c = self.count
        if c is None:
            return
        ctx = self.session.ctx
        self.print_button.setEnabled(False)
        run(self, lambda: count_sheet_pdf(ctx, c.id), done=lambda pdf: self._preview(c, pdf), failed=self._act_failed,
            label="Making the count sheet...")  # fmt: skip

    def _preview(self, c: CountView, pdf: bytes) -> None:
        from ui.print_preview import preview_pdf

        self._buttons()
        preview_pdf(self, pdf, f"Count sheet {c.code}", A4_MM)
        self.focus_uncounted()  # back to counting
