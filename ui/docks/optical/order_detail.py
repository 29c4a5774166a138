"""One optical order: its lines and money, the prescription and the fitting measurements, the lab, and the
status history with who took each step and when; below it, only the steps its state allows:

  Draft: Confirm, or Edit draft (Ctrl+E: the order form filled with it, ``order_edit``).  Confirmed: Send to
  lab (the lab's name and its job number), or, for an order with no spectacle lens (sunglasses, solution),
  Ready at the counter.  Sent to lab: Back from lab.  Back from lab:
  QC pass, or QC fail (the reason is required: the lab remakes it from that).  Ready to collect: Deliver.
  Any step before delivery: Cancel (with its reason).

Print job card (Ctrl+P) and Print slip (Ctrl+Shift+P) preview the lab's A5 card and the patient's A6 slip.
Every step's button is disabled while it runs (a double click does it once; the services are idempotent by
state too) and a refusal shows in the service's words under the field it names. Keys: Esc goes back to the
board; the next step has the keys when the order opens; Enter in a reason or lab field takes its step.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.optical import orders
from hms_desktop.services.optical.order_print import job_card_pdf, order_slip_pdf
from hms_desktop.services.optical.order_views import OrderView, order
from ui.docks.optical.board import WATCHED
from ui.docks.optical.order_common import (
    OVERDUE_BG,
    OVERDUE_FG,
    Messages,
    due_text,
    error_label,
    facts_html,
    has_lens,
    rs,
    rx_html,
    shortcut,
    totals_html,
    when,
)
from ui.docks.optical.order_edit import DraftToEdit, draft_to_edit
from ui.docks.pharmacy.common import cell, message_of, table
from ui.qt import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.worker import background, run

A5_MM, A6_MM = (148.0, 210.0), (105.0, 148.0)
LINE_COLUMNS = ["#", "Item", "Options", "Qty", "Price", "Discount", "Amount"]
HISTORY_COLUMNS = ["When", "Step", "By", "Note"]
# the row of actions each status shows (cancel is offered until delivery)
ROWS = {"draft": "confirm", "confirmed": "lab", "in_lab": "back", "received": "qc", "ready": "deliver"}


class OrderDetail(QWidget):
    back = Signal()
    changed = Signal(object)  # the OrderView a step here returned
    edit = Signal(object)  # a DraftToEdit: the draft read again, for the order form

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.view: OrderView | None = None
        self.busy = self.stale = False
        self.focus_pending = False  # opened from the board: the keys go to the next step once it is read
        can_act = session.can("optical.orders")
        self.title = QLabel("No order chosen")
        self.title.setObjectName("formTitle")
        self.badge = QLabel()
        self.badge.setObjectName("orderDue")
        self.facts = QLabel()
        self.facts.setObjectName("orderFacts")
        self.facts.setWordWrap(True)
        self.rx = QLabel()
        self.rx.setObjectName("orderRx")
        self.rx.setWordWrap(True)
        self.lines = table(LINE_COLUMNS, 1, "orderDetailLines")
        self.lines.setMaximumHeight(220)
        self.totals = QLabel()
        self.totals.setObjectName("orderTotals")
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.history = table(HISTORY_COLUMNS, 3, "orderHistory")
        self.history.setWordWrap(True)
        self.history.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.message = error_label("formError")
        self.info = QLabel()
        self.info.setObjectName("orderInfo")
        self.info.setWordWrap(True)
        self.messages = Messages(self.message)
        self.buttons: list[QPushButton] = []
        self.rows: dict[str, QWidget] = {}
        self.lab_name = self._edit("sendLabName", "The lab's name")
        self.lab_ref = self._edit("sendLabReference", "The lab's job number (optional)")
        self.qc_reason = self._edit("qcReason", "Reason, for a fail (the lab remakes from it)")
        self.cancel_reason = self._edit("cancelReason", "Why the order is cancelled")
        self.lab_error, self.qc_error, self.cancel_error = error_label(), error_label(), error_label()
        self.messages.add("lab_name", self.lab_name, self.lab_error)
        self.messages.add("lab_reference", self.lab_ref, self.lab_error)
        steps = QGroupBox("Next step")
        sbox = QVBoxLayout(steps)
        self.confirm_button = self._button("Confirm order", "confirmOrder", self.confirm)
        self.edit_button = self._button("Edit draft", "editDraft", self.edit_draft)
        self.edit_button.setToolTip("Change the draft in the order form: lines, measurements, lab... (Ctrl+E)")
        self._row(sbox, "confirm", [self.confirm_button, self.edit_button])
        self.send_button = self._button("Send to lab", "sendToLab", self.send)
        self._row(sbox, "lab", [QLabel("Lab"), self.lab_name, QLabel("Job no."), self.lab_ref, self.send_button],
                  self.lab_error)  # fmt: skip
        self.counter_button = self._row(sbox, "counter", [self._button("Ready at the counter", "readyAtCounter",
                                        self.ready_at_counter)])  # fmt: skip
        self.back_button = self._row(sbox, "back", [self._button("Back from lab", "backFromLab", self.received)])
        self.pass_button = self._button("QC pass", "qcPass", lambda: self.quality(True))
        self.fail_button = self._button("QC fail", "qcFail", lambda: self.quality(False))
        self._row(sbox, "qc", [self.pass_button, QLabel("or"), self.qc_reason, self.fail_button], self.qc_error)
        self.deliver_button = self._row(sbox, "deliver", [self._button("Deliver", "deliverOrder", self.deliver)])
        self.cancel_button = self._button("Cancel order", "cancelOrder", self.cancel)
        self._row(sbox, "cancel", [QLabel("Cancel because"), self.cancel_reason, self.cancel_button],
                  self.cancel_error)  # fmt: skip
        self.lab_name.returnPressed.connect(self.send)
        self.lab_ref.returnPressed.connect(self.send)
        self.qc_reason.returnPressed.connect(lambda: self.quality(False))
        self.cancel_reason.returnPressed.connect(self.cancel)
        steps.setVisible(can_act)
        self.steps = steps
        self.card_button = self._button("Print job card", "printJobCard", self.print_card)
        self.card_button.setToolTip("The lab's A5 job card: prescription, measurements, frame, lens, barcode (Ctrl+P)")
        self.slip_button = self._button("Print slip", "printSlip", self.print_slip)
        self.slip_button.setToolTip("The patient's A6 slip: lines, money, promised date (Ctrl+Shift+P)")
        back = QPushButton("Back to board")
        back.setToolTip("The board of orders (Esc)")
        back.clicked.connect(lambda _=False: self.back.emit())
        self.back_to_board = back
        self._layout(back)
        shortcut(self, "Escape", self.back.emit)
        shortcut(self, "Ctrl+E", lambda: self.edit_draft() if self.edit_button.isVisible() else None)
        shortcut(self, "Ctrl+P", lambda: self.print_card() if self.card_button.isVisible() else None)
        shortcut(self, "Ctrl+Shift+P", lambda: self.print_slip() if self.slip_button.isVisible() else None)
        session.changes.changed.connect(self.on_changes)

    def _layout(self, back: QPushButton) -> None:
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.badge)
        head.addStretch()
        head.addWidget(back)
        left = QVBoxLayout()
        left.addWidget(self.facts)
        left.addWidget(self.rx)
        left.addWidget(self.lines)
        left.addWidget(self.totals)
        prints = QHBoxLayout()
        prints.addWidget(self.card_button)
        prints.addWidget(self.slip_button)
        prints.addStretch()
        left.addLayout(prints)
        left.addStretch()
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Status history</b>"))
        right.addWidget(self.history, 1)
        right.addWidget(self.steps)
        right.addWidget(self.message)
        right.addWidget(self.info)
        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addLayout(right, 4)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        box.addLayout(body, 1)

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(lambda _=False: slot())
        self.buttons.append(button)
        return button

    def _row(self, box: QVBoxLayout, key: str, widgets: list[QWidget], error: QLabel | None = None) -> QPushButton:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            line.addWidget(w, 1 if isinstance(w, QLineEdit) else 0)
        if not any(isinstance(w, QLineEdit) for w in widgets):
            line.addStretch()
        box.addWidget(row)
        if error is not None:
            box.addWidget(error)
        self.rows[key] = row
        return next(w for w in reversed(widgets) if isinstance(w, QPushButton))

    # --- showing an order

    def show_order(self, order_id: uuid.UUID, message: str = "") -> None:
        if self.view is None or self.view.id != order_id:
            self.view = None
            self.title.setText("Reading the order...")
            for w in (self.lab_name, self.lab_ref, self.qc_reason, self.cancel_reason):
                w.clear()
        self.messages.clear()
        self.info.setText(message)
        self.focus_pending = True
        background(self, order, self.session.ctx, order_id, done=self.set_view, failed=self._failed)

    def show_view(self, view: OrderView, message: str = "") -> None:
        """``view`` as a step or the form left it (nothing to read again)."""
        self.view = None
        self.messages.clear()
        for w in (self.lab_ref, self.qc_reason, self.cancel_reason):
            w.clear()
        self.set_view(view)
        self.info.setText(message)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED) and self.view is not None:
            self.stale = True
            self.refetch()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refetch()

    def refetch(self) -> None:
        if self.stale and self.view is not None and not self.busy and self.isVisible():
            self.stale = False
            background(self, order, self.session.ctx, self.view.id, done=self._refetched, failed=lambda _e: None)

    def _refetched(self, view: OrderView) -> None:
        if isValid(self) and self.view is not None and view.id == self.view.id and view != self.view:
            self.set_view(view)

    def set_view(self, view: OrderView) -> None:
        if not isValid(self):
            return
        fresh = self.view is None or self.view.id != view.id or self.view.status != view.status
        self.view = view
        self.title.setText(f"{view.code}  ·  {view.status_label}")
        due = due_text(view.promised_date, view.overdue) if view.status not in ("delivered", "cancelled") else ""
        self.badge.setText(due)
        self.badge.setStyleSheet(f"background:{OVERDUE_BG}; color:{OVERDUE_FG}; font-weight:600; padding:2px 8px;"
                                 if view.overdue else "padding:2px 8px;")  # fmt: skip
        self.facts.setText(facts_html(view))
        self.rx.setText(rx_html(view))
        self._lines(view)
        self._history(view)
        if fresh:
            self.lab_name.setText(view.lab_name)
        self._buttons()
        if (fresh or self.focus_pending) and self.isVisible():
            self.focus_pending = False
            self.focus_step()

    def _lines(self, view: OrderView) -> None:
        self.lines.setRowCount(len(view.lines))
        for r, x in enumerate(view.lines):
            options = ", ".join(f"{k}: {v}" for k, v in x.options.items())
            cells = [cell(str(x.line_no)), cell(x.description, tip=f"{x.sku}, HSN {x.hsn_code}"), cell(options or "-"),
                     cell(str(x.quantity), right=True), cell(rs(x.unit_price_paise), right=True),
                     cell(rs(x.discount_paise) if x.discount_paise else "-", right=True),
                     cell(rs(x.line_total_paise), right=True)]  # fmt: skip
            for c, item in enumerate(cells):
                self.lines.setItem(r, c, item)
        self.totals.setText(totals_html(view))

    def _history(self, view: OrderView) -> None:
        self.history.setRowCount(len(view.history))
        for r, step in enumerate(view.history):
            for c, text in enumerate((when(step.happened_at), step.label, step.by_name or "-", step.note)):
                self.history.setItem(r, c, cell(text, tip=text if c == 3 else ""))
        self.history.resizeRowsToContents()

    def _buttons(self) -> None:
        v, idle = self.view, not self.busy
        status = v.status if v is not None else ""
        row = ROWS.get(status, "")
        if row == "lab" and v is not None and not has_lens(v):
            row = "counter"
        for key, widget in self.rows.items():
            widget.setVisible(key == row or (key == "cancel" and status in ROWS))
        for button in self.buttons:
            button.setEnabled(idle and v is not None)
        can_print = self.session.can("optical.view")
        self.card_button.setVisible(can_print and v is not None and has_lens(v))
        self.slip_button.setVisible(can_print)
        self.steps.setVisible(self.session.can("optical.orders") and status in ROWS)

    def focus_step(self) -> None:
        """The keyboard on the state's next step (its field first when it has one), else Back to board."""
        row = self.rows.get(next((k for k, w in self.rows.items() if k != "cancel" and not w.isHidden()), ""))
        if row is None:
            self.back_to_board.setFocus()
            return
        first = next((w for w in row.findChildren(QWidget) if w.isEnabled() and isinstance(w, QLineEdit | QPushButton)),
                     None)  # fmt: skip
        (first or self.back_to_board).setFocus()

    # --- steps

    def _act(self, fn: Callable[..., OrderView], *args: Any, label: str, done: str) -> None:
        if self.busy or self.view is None:
            return
        self.busy = True
        self.messages.clear()
        self.info.clear()
        self._buttons()
        run(self, fn, self.session.ctx, self.view.id, *args, done=lambda v: self._done(v, done), failed=self._failed,
            label=label)  # fmt: skip

    def confirm(self) -> None:
        self._act(orders.confirm_order, label="Confirming...", done="Confirmed: the frame is off the shelf and "
                  "billing has the charges.")  # fmt: skip

    def edit_draft(self) -> None:
        """The draft read again (it may have moved on another PC) and handed to the order form."""
        if self.busy or self.view is None or not self.session.can("optical.orders"):
            return
        self.busy = True
        self.messages.clear()
        self.info.clear()
        self._buttons()
        run(self, draft_to_edit, self.session.ctx, self.view.id, done=self._edit_read, failed=self._failed,
            label="Opening the draft...")  # fmt: skip

    def _edit_read(self, draft: DraftToEdit) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.set_view(draft.view)
        if draft.refusal:
            self.message.setText(draft.refusal)
            self.message.show()
            return
        self.edit.emit(draft)

    def send(self) -> None:
        self._act(orders.send_to_lab, self.lab_name.text(), self.lab_ref.text(), label="Sending to the lab...",
                  done="Sent to the lab.")  # fmt: skip

    def ready_at_counter(self) -> None:
        self._act(orders.ready_without_lab, label="Marking it ready...", done="Ready: nothing for the lab.")

    def received(self) -> None:
        self._act(orders.receive_from_lab, label="Marking it back from the lab...", done="Back from the lab: check it.")

    def quality(self, passed: bool) -> None:
        self.messages.add("reason", self.qc_reason, self.qc_error)
        words = "Passed: ready to collect; the patient is told." if passed else "Failed: back to the lab for a remake."
        self._act(orders.quality_check, passed, "" if passed else self.qc_reason.text(), label="Saving the check...",
                  done=words)  # fmt: skip

    def deliver(self) -> None:
        self._act(orders.deliver_order, label="Delivering...", done="Delivered.")

    def cancel(self) -> None:
        self.messages.add("reason", self.cancel_reason, self.cancel_error)
        self._act(orders.cancel_order, self.cancel_reason.text(), label="Cancelling...", done="Cancelled.")

    def _done(self, view: OrderView, words: str) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.stale = False
        self.qc_reason.clear()
        self.cancel_reason.clear()
        self.set_view(view)
        self.info.setText(words)
        self.changed.emit(view)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self._buttons()
        if self.view is None:
            self.title.setText(message_of(exc))
            return
        self.messages.show(exc)
        self.stale = True
        self.refetch()  # refused because it moved meanwhile (here or on another PC): show it as it is

    # --- printing

    def print_card(self) -> None:
        self._print(job_card_pdf, "Job card", A5_MM)

    def print_slip(self) -> None:
        self._print(order_slip_pdf, "Order slip", A6_MM)

    def _print(self, fn: Callable[..., bytes], title: str, size: tuple[float, float]) -> None:
        v = self.view
        if self.busy or v is None:
            return
        self.busy = True
        self._buttons()
        run(self, fn, self.session.ctx, v.id, done=lambda pdf: self._preview(pdf, f"{title} {v.code}", size),
            failed=self._failed, label=f"Making the {title.lower()}...")  # fmt: skip

    def _preview(self, pdf: bytes, title: str, size: tuple[float, float]) -> None:
        self.busy = False
        self._buttons()
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, title, size)
