"""The Adjustments tab: ask for a stock correction of one batch, and decide others' requests (maker-checker).

On the left (``inventory.adjust``): find the medicine, choose its batch, the change in units (negative removes
stock), the reason and what happened; Request (Enter). On the right: the adjustments, newest first, filtered by
status. An approver (``inventory.approve``) sees Approve and Reject (with a reason) on another member of staff's
request; their own requests read "needs another approver" and offer neither (the service refuses anyway: its
message is shown if that happens).
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

from hms_desktop.services.inventory.adjustments import (
    ADJUSTMENT_REASONS,
    AdjustmentInput,
    AdjustmentView,
    adjustments,
    approve_adjustment,
    reject_adjustment,
    request_adjustment,
)
from hms_desktop.services.pharmacy.stock_views import BatchView, MedicineStock, batches_of
from ui import clinic_time
from ui.docks.admin.common import button, message_label
from ui.docks.inventory.stock_common import (
    LiveTab,
    MedicineFinder,
    cell,
    grid,
    plural,
    quantity_text,
    say,
    show_date,
)
from ui.forms import FieldErrors, find_data
from ui.qt import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

REASON_LABELS = {"damage": "Damage", "expiry": "Expiry write-off", "theft": "Theft",
                 "count_correction": "Count correction", "other": "Other"}  # fmt: skip
STATUS_FILTERS = (("To decide", "requested"), ("Applied", "applied"), ("Rejected", "rejected"), ("All", None))
COLUMNS = ("Code", "Requested", "Medicine", "Batch", "Change", "Reason", "Requested by", "Status", "Decided by")
NEEDS_OTHER = "needs another approver"


class AdjustmentsTab(LiveTab):
    WATCHED = ("stock_adjustments", "medicine_batches")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.may_request, self.may_approve = session.can("inventory.adjust"), session.can("inventory.approve")
        self.request_id = uuid.uuid4()
        self.medicine: MedicineStock | None = None
        self.batches: list[BatchView] = []
        self.rows: list[AdjustmentView] = []
        self.acting = False
        # --- the request form
        self.finder = MedicineFinder(session, "adjMedicine")
        self.finder.picked.connect(self._picked)
        self.batch = QComboBox()
        self.batch.setObjectName("adjBatch")
        self.change = QSpinBox()
        self.change.setObjectName("adjChange")
        self.change.setRange(-1_000_000, 1_000_000)
        self.change.setToolTip("Units of the medicine; negative removes stock (type -5)")
        self.reason = QComboBox()
        self.reason.setObjectName("adjReason")
        for r in ADJUSTMENT_REASONS:
            self.reason.addItem(REASON_LABELS.get(r, r), r)
        self.reason_text = QLineEdit()
        self.reason_text.setObjectName("adjReasonText")
        self.reason_text.setPlaceholderText("What happened, e.g. strip crushed in the drawer")
        self.reason_text.returnPressed.connect(self.request)
        self.request_button = button("&Request adjustment", "requestAdjustment", self.request)
        self.request_button.setToolTip("Ask for this correction; another member of staff approves it (Alt+R, Enter)")
        form = QFormLayout()
        form.addRow("Medicine", self.finder)
        form.addRow("Batch", self.batch)
        form.addRow("Change (units)", self.change)
        form.addRow("Reason", self.reason)
        form.addRow("What happened", self.reason_text)
        general = QLabel()
        self.errors = FieldErrors(form, {"batch_id": self.batch, "quantity_change": self.change, "reason": self.reason,
                                         "reason_text": self.reason_text}, general)  # fmt: skip
        self.request_message = message_label("adjRequestMessage")
        request_box = QGroupBox("Request an adjustment")
        rbox = QVBoxLayout(request_box)
        rbox.addWidget(general)
        rbox.addLayout(form)
        rbox.addWidget(self.request_button, 0, Qt.AlignmentFlag.AlignLeft)
        rbox.addWidget(self.request_message)
        rbox.addStretch()
        request_box.setVisible(self.may_request)
        # --- the list and the decision
        self.filter = QComboBox()
        self.filter.setObjectName("adjFilter")
        for label, status in STATUS_FILTERS:
            self.filter.addItem(label, status)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.count = QLabel()
        self.table = grid("adjTable", COLUMNS, 2)
        self.table.itemSelectionChanged.connect(self._selected)
        self.detail = QLabel("Choose an adjustment to see it in full")
        self.detail.setObjectName("adjDetail")
        self.detail.setWordWrap(True)
        self.approve_button = button("&Approve and apply", "approveAdjustment", self.approve)
        self.approve_button.setToolTip("Apply the change to the batch's stock (Alt+A)")
        self.reject_reason = QLineEdit()
        self.reject_reason.setObjectName("adjRejectReason")
        self.reject_reason.setPlaceholderText("Why it is rejected (needed to reject)")
        self.reject_reason.returnPressed.connect(self.reject)
        self.reject_button = button("Re&ject", "rejectAdjustment", self.reject)
        self.reject_button.setToolTip("Turn the request down with the reason typed beside (Alt+J)")
        self.decide_message = message_label("adjDecideMessage")
        decide = QHBoxLayout()
        decide.addWidget(self.approve_button)
        decide.addWidget(self.reject_reason, 1)
        decide.addWidget(self.reject_button)
        self.decide_row = QWidget()
        self.decide_row.setLayout(decide)
        self.decide_row.setVisible(self.may_approve)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter)
        top.addStretch()
        top.addWidget(self.count)
        right = QWidget()
        box = QVBoxLayout(right)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        box.addWidget(self.detail)
        box.addWidget(self.decide_row)
        box.addWidget(self.decide_message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(request_box)
        split.addWidget(right)
        split.setSizes([500, 860])
        QVBoxLayout(self).addWidget(split)
        self._decide_buttons()

    # --- the request

    def _picked(self, medicine: MedicineStock) -> None:
        self.medicine = medicine
        self.change.setSuffix(f" {plural(medicine.unit)}")
        ctx = self.session.ctx
        background(self, lambda: batches_of(ctx, medicine.id), done=lambda found: self._batches(medicine, found))

    def _batches(self, medicine: MedicineStock, found: list[BatchView]) -> None:
        if not isValid(self) or self.medicine is None or self.medicine.id != medicine.id:
            return
        chosen = self.batch.currentData()
        self.batches = found
        self.batch.clear()
        for b in found:
            on_hand = quantity_text(b.on_hand, medicine.unit, medicine.pack_size, medicine.form)
            self.batch.addItem(f"{b.batch_number}, exp. {show_date(b.expiry_date)}: {on_hand}", b.id)
        if not found:
            self.batch.addItem(f"{medicine.name} has no batch in stock", None)
        self.batch.setCurrentIndex(max(0, find_data(self.batch, chosen)))
        self.batch.setFocus()

    def request(self) -> None:
        if self.acting or not self.may_request:
            return
        self.errors.clear()
        say(self.request_message, "")
        data = AdjustmentInput(batch_id=self.batch.currentData(), quantity_change=self.change.value(),
                               reason=str(self.reason.currentData()), reason_text=self.reason_text.text())  # fmt: skip
        ctx, rid = self.session.ctx, self.request_id
        self.acting = True
        self.request_button.setEnabled(False)
        run(self, lambda: request_adjustment(ctx, data, request_id=rid), done=self._requested,
            failed=self._request_failed, label="Requesting...")  # fmt: skip

    def _requested(self, view: AdjustmentView) -> None:
        self.acting = False
        self.request_button.setEnabled(True)
        self.request_id = uuid.uuid4()  # the next request is another one
        self.change.setValue(0)
        self.reason_text.clear()
        say(self.request_message, f"{view.code} requested: {view.quantity_change:+,} for {view.medicine_name}, "
            f"batch {view.batch_number}. Another member of staff approves it.")  # fmt: skip
        self.filter.setCurrentIndex(0)
        self.refresh()

    def _request_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.acting = False
            self.request_button.setEnabled(True)
            self.errors.show(exc)

    # --- the list

    def fetch(self) -> None:
        self.load(adjustments, self.filter.currentData(), show=self._show)

    def load_failed(self, message: str) -> None:
        self.count.setText(message)

    def mine(self, a: AdjustmentView) -> bool:
        return a.requested_by_id == self.session.actor.user_id

    def status_text(self, a: AdjustmentView) -> str:
        if a.status == "requested":
            return f"requested, {NEEDS_OTHER}" if self.mine(a) else "to approve" if self.may_approve else "requested"
        return a.status

    def _show(self, rows: list[AdjustmentView]) -> None:
        keep = self.current()
        self.rows = rows
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            cells = (cell(a.code, a.id), cell(clinic_time.local(a.requested_at).strftime("%d %b %H:%M")),
                     cell(a.medicine_name), cell(f"{a.batch_number} ({show_date(a.expiry_date)})"),
                     cell(f"{a.quantity_change:+,}", right=True), cell(REASON_LABELS.get(a.reason, a.reason)),
                     cell(a.requested_by_name), cell(self.status_text(a)), cell(a.decided_by_name))  # fmt: skip
            for c, item in enumerate(cells):
                item.setToolTip(a.reason_text)
                self.table.setItem(r, c, item)
            if keep is not None and a.id == keep.id:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        self.count.setText(f"{len(rows)} adjustment{'s' if len(rows) != 1 else ''}")
        self._selected()

    def current(self) -> AdjustmentView | None:
        row = self.table.currentRow()
        ok = self.table.selectionModel().hasSelection() and 0 <= row < len(self.rows)
        return self.rows[row] if ok else None

    def select(self, code: str) -> bool:
        for r, a in enumerate(self.rows):
            if a.code == code:
                self.table.selectRow(r)
                return True
        return False

    def _selected(self) -> None:
        a = self.current()
        if a is None:
            self.detail.setText("Choose an adjustment to see it in full")
        else:
            said = escape(a.reason_text.rstrip("."))
            text = (f"<b>{a.code}</b>: {a.quantity_change:+,} {escape(a.medicine_name)}, batch "
                    f"{escape(a.batch_number)} (now {a.on_hand:,} on hand). {REASON_LABELS.get(a.reason, a.reason)}: "
                    f"{said}. Requested by {escape(a.requested_by_name)}.")  # fmt: skip
            if a.status == "applied":
                text += f" Applied by {escape(a.decided_by_name)}."
            elif a.status == "rejected":
                text += f" Rejected by {escape(a.decided_by_name)}: {escape(a.rejection_reason)}"
            elif self.mine(a) and self.may_approve:
                text += f" You asked for it, so it {NEEDS_OTHER} (maker-checker)."
            self.detail.setText(text)
        self._decide_buttons()

    def _decide_buttons(self) -> None:
        a = self.current()
        open_other = a is not None and a.status == "requested" and not self.mine(a)
        for w in (self.approve_button, self.reject_button, self.reject_reason):
            w.setVisible(open_other)
            w.setEnabled(open_other and not self.acting)

    # --- the decision

    def approve(self) -> None:
        a = self.current()
        if a is not None and not self.acting:
            self._decide(lambda ctx: approve_adjustment(ctx, a.id))

    def reject(self) -> None:
        a = self.current()
        if a is not None and not self.acting:
            why = self.reject_reason.text()
            self._decide(lambda ctx: reject_adjustment(ctx, a.id, why))

    def _decide(self, call: Any) -> None:
        ctx = self.session.ctx
        self.acting = True
        say(self.decide_message, "")
        self._decide_buttons()
        run(self, lambda: call(ctx), done=self._decided, failed=self._decide_failed, label="Saving...")

    def _decided(self, a: AdjustmentView) -> None:
        self.acting = False
        self.reject_reason.clear()
        word = "applied" if a.status == "applied" else "rejected"
        say(self.decide_message, f"{a.code} {word}: {a.medicine_name}, batch {a.batch_number} now holds "
            f"{a.on_hand:,}.")  # fmt: skip
        self.refresh()

    def _decide_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.acting = False
            self._decide_buttons()
            say(self.decide_message, getattr(exc, "message", "That could not be done."), error=True)
