"""The Returns tab: a patient brings medicines back. Find the patient, choose the dispensing, enter what comes back
per line (at most what was sold less earlier returns), tick Restock for a sealed pack (untick an opened or damaged
one: recorded, not put back on the shelf), give the reason, Return (``returns.return_medicines``, one request id
per dispensing opened). The refund is shown with where the money goes: a charge not billed yet is reduced (the bill
will be lower); one already billed is credited by billing (a credit note), as the returns service has it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.context import Context
from hms_desktop.services.clinical.charges import unbilled_charges
from hms_desktop.services.pharmacy.catalog import get_medicine
from hms_desktop.services.pharmacy.dispensing_views import DispensingItemView, DispensingView, dispensings_for
from hms_desktop.services.pharmacy.returns import ReturnInput, ReturnLine, ReturnView, return_medicines
from hms_desktop.services.reception.patient_search import PatientSummary
from ui import clinic_time
from ui.docks.pharmacy.common import (
    Facts,
    cell,
    day_text,
    fixed_column,
    label,
    message_of,
    plural,
    rs,
    tab_chain,
    table,
)
from ui.docks.pharmacy.patient_pick import PatientPick
from ui.qt import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

WATCHED = ("pharmacy_dispensing", "pharmacy_dispensing_items", "pharmacy_returns", "charges")
STATUS = {"dispensed": "dispensed", "partially_returned": "part returned", "returned": "returned"}
LINE_COLUMNS = ["Medicine", "Batch", "Expires", "Sold", "Back before", "Return now", "Restock", "Refund"]
NOW, RESTOCK, REFUND = 5, 6, 7


@dataclass(frozen=True)
class History:
    dispensings: list[DispensingView]
    unbilled: set[tuple[uuid.UUID, int]]  # (dispensing id, line no) of charges not billed yet
    facts: dict[uuid.UUID, Facts]  # the medicines sold, for their units


def history(ctx: Context, patient_id: uuid.UUID, billing: bool) -> History:
    found = dispensings_for(ctx, patient_id)
    charges = unbilled_charges(ctx, patient_id) if billing else []
    ids = {i.medicine_id for d in found for i in d.items}
    facts = {i: Facts.of(get_medicine(ctx, i)) for i in ids}
    return History(found, {(c.source_id, c.line_no) for c in charges if c.source_type == "dispensing"}, facts)


def money_words(r: ReturnView, unbilled: set[tuple[uuid.UUID, int]], line_nos: dict[uuid.UUID, int]) -> str:
    """Where the refund goes, per the returns service: unbilled charges reduced, billed ones credited by billing."""
    open_ = sum(i.refund_paise for i in r.items if (r.dispensing_id, line_nos.get(i.dispensing_item_id)) in unbilled)
    billed = r.refund_amount_paise - open_
    parts = []
    if open_:
        parts.append(f"{rs(open_)} was not billed yet: the charge is reduced, so the patient's bill is lower")
    if billed:
        parts.append(f"{rs(billed)} was billed already: billing credits it (a credit note) and refunds the patient")
    return "; ".join(parts) + "."


class ReturnsTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.history = History([], set(), {})
        self.restocks: list[QCheckBox] = []
        self.chosen: DispensingView | None = None
        self.request_id = uuid.uuid4()
        self.busy = False
        self.dirty = False
        self.patient = PatientPick(session, "returnsPatient")
        self.patient.chosen.connect(self._patient)
        self.list = table(["Date", "Dispensing", "Prescription", "Total", "Status"], 2, "returnsDispensings")
        self.list.itemSelectionChanged.connect(self._dispensing)
        self.title = label("returnTitle")
        self.title.setText("Choose the patient, then the dispensing the medicines come back from")
        self.lines = table(LINE_COLUMNS, 0, "returnLines")
        fixed_column(self.lines, NOW, 130)
        fixed_column(self.lines, RESTOCK, 70)
        self.reason = QLineEdit()
        self.reason.setObjectName("returnReason")
        self.reason.setPlaceholderText("Reason for the return (e.g. course changed by the doctor)")
        self.reason.returnPressed.connect(self.take_back)
        self.refund = label("refundPreview")
        self.message = label("formError")
        self.message.hide()
        self.summary = label("returnSummary")
        self.return_button = QPushButton("Return")
        self.return_button.setObjectName("returnButton")
        self.return_button.setToolTip("Take the medicines back (Enter in the reason)")
        self.return_button.clicked.connect(lambda _=False: self.take_back())
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(QLabel("<b>Patient</b>"))
        lbox.addWidget(self.patient)
        lbox.addWidget(QLabel("<b>Dispensings</b> (newest first)"))
        lbox.addWidget(self.list, 1)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.setContentsMargins(0, 0, 0, 0)
        rbox.addWidget(self.title)
        rbox.addWidget(self.lines, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Reason"))
        row.addWidget(self.reason, 1)
        row.addWidget(self.return_button)
        rbox.addLayout(row)
        rbox.addWidget(self.refund)
        rbox.addWidget(self.message)
        rbox.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([470, 870])
        QVBoxLayout(self).addWidget(split)
        session.changes.changed.connect(self.on_changes)
        self._buttons()

    # --- the patient's dispensings

    def _patient(self, p: PatientSummary | None) -> None:
        self.chosen = None
        self._show_lines()
        self.list.setRowCount(0)
        self.history = History([], set(), {})
        if p is not None:
            self.summary.clear()
            self.reload()

    def reload(self) -> None:
        p = self.patient.patient
        if p is None:
            return
        if not self.isVisible():
            self.dirty = True
            return
        self.dirty = False
        background(self, history, self.session.ctx, p.id, self.session.can("billing.view"),
            done=partial(self._history, p.id), failed=self._failed)  # fmt: skip

    def _history(self, patient_id: uuid.UUID, found: History) -> None:
        p = self.patient.patient
        if not isValid(self) or p is None or p.id != patient_id:
            return
        keep = self.chosen.id if self.chosen is not None else None
        self.history = found
        self.list.blockSignals(True)
        self.list.setRowCount(len(found.dispensings))
        for r, d in enumerate(found.dispensings):
            when = clinic_time.local(d.dispensed_at) if d.dispensed_at else None
            cells = (f"{when:%d %b %H:%M}" if when else "", d.code, d.prescription_code or "counter sale",
                     rs(d.total_paise), STATUS.get(d.status, d.status))  # fmt: skip
            for c, text in enumerate(cells):
                self.list.setItem(r, c, cell(text, tip=f"{when:%d %b %Y %H:%M}" if when and not c else "",
                                             right=c == 3))  # fmt: skip
            if d.id == keep:
                self.list.selectRow(r)
        self.list.blockSignals(False)
        if not found.dispensings:
            self.title.setText(f"Nothing was dispensed to {p.full_name}.")
        if keep is not None:
            now = next((d for d in found.dispensings if d.id == keep), None)
            if now != self.chosen:  # returned meanwhile (here or on another PC): shown as it now stands
                self.chosen = now
                self._show_lines()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED) and not self.busy:
            self.reload()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.reload()

    def _dispensing(self) -> None:
        r = self.list.currentRow()
        rows = self.history.dispensings
        d = rows[r] if self.list.selectionModel().hasSelection() and 0 <= r < len(rows) else None
        if d is not None and (self.chosen is None or d.id != self.chosen.id):
            self.chosen = d
            self.request_id = uuid.uuid4()  # one per dispensing opened
            self.message.hide()
            self.summary.clear()
            self.reason.clear()
            self._show_lines()

    # --- the lines coming back

    def _show_lines(self) -> None:
        d = self.chosen
        items = d.items if d is not None else ()
        if d is not None:
            rx = f", prescription {d.prescription_code}" if d.prescription_code else ", over the counter"
            self.title.setText(f"<b>{d.code}</b> of {day_text(clinic_time.local(d.dispensed_at).date())}"
                               f"{rx}: {rs(d.total_paise)}, {STATUS.get(d.status, d.status)}"
                               if d.dispensed_at else d.code)  # fmt: skip
        self.lines.setRowCount(len(items))
        self.restocks = []
        for r, i in enumerate(items):
            f = self.history.facts.get(i.medicine_id)
            sold = f.quantity(i.quantity).split(" (")[0] if f else str(i.quantity)
            back = f.quantity(i.returned_quantity).split(" (")[0] if f and i.returned_quantity else "-"
            texts = (i.medicine_name, i.batch_number, day_text(i.expiry_date), sold, back)
            for c, text in enumerate(texts):
                self.lines.setItem(r, c, cell(text, right=c in (3, 4)))
            spin = QSpinBox()
            spin.setObjectName(f"returnQty{r}")
            spin.setRange(0, max(i.quantity - i.returned_quantity, 0))
            spin.setEnabled(i.quantity > i.returned_quantity)
            if f is not None:
                spin.setSuffix(f" {plural(f.unit)}")
            spin.valueChanged.connect(lambda _v, row=r, item=i: self._refund_of(row, item))
            self.lines.setCellWidget(r, NOW, spin)
            box = QCheckBox()
            box.setObjectName(f"restock{r}")
            box.setChecked(True)
            box.setToolTip("Put it back on the shelf (untick an opened or damaged pack)")
            holder = QWidget()
            centre = QHBoxLayout(holder)
            centre.setContentsMargins(0, 0, 0, 0)
            centre.setAlignment(Qt.AlignmentFlag.AlignCenter)
            centre.addWidget(box)
            self.restocks.append(box)
            self.lines.setCellWidget(r, RESTOCK, holder)
            self.lines.setItem(r, REFUND, cell(rs(0), right=True))
        self._refund_total()
        self._buttons()
        pairs = [(self.lines.cellWidget(r, NOW), self.restocks[r]) for r in range(len(items))]
        tab_chain(self.patient.search, self.list, *[w for pair in pairs for w in pair if w is not None], self.reason,
                  self.return_button)  # fmt: skip

    def _refund_of(self, r: int, i: DispensingItemView) -> None:
        self.lines.setItem(r, REFUND, cell(rs(i.unit_price_paise * self._quantity(r)), right=True))
        self._refund_total()

    def _quantity(self, r: int) -> int:
        spin = self.lines.cellWidget(r, NOW)
        return spin.value() if isinstance(spin, QSpinBox) else 0

    def _restock(self, r: int) -> bool:
        return self.restocks[r].isChecked() if r < len(self.restocks) else True

    def _refund_total(self) -> None:
        d = self.chosen
        total = sum(i.unit_price_paise * self._quantity(r) for r, i in enumerate(d.items)) if d else 0
        self.refund.setText(f"Refund: <b>{rs(total)}</b> (the price it was sold at)" if d else "")

    def _buttons(self) -> None:
        d = self.chosen
        open_ = d is not None and d.status in ("dispensed", "partially_returned")
        ready = open_ and not self.busy and self.session.can("pharmacy.returns")
        self.return_button.setEnabled(ready)
        self.return_button.setDefault(ready)

    def take_back(self) -> None:
        d = self.chosen
        if d is None or self.busy or not self.return_button.isEnabled():
            return
        lines = [ReturnLine(dispensing_item_id=i.id, quantity=self._quantity(r), restock=self._restock(r))
                 for r, i in enumerate(d.items) if self._quantity(r) > 0]  # fmt: skip
        data = ReturnInput(dispensing_id=d.id, lines=lines, reason=self.reason.text())
        self.busy = True
        self.message.hide()
        self._buttons()
        unbilled, line_nos = set(self.history.unbilled), {i.id: i.line_no for i in d.items}
        run(
            self,
            partial(return_medicines, self.session.ctx, data, request_id=self.request_id),
            done=lambda r: self._returned(r, unbilled, line_nos),
            failed=self._failed,
            label="Taking back...",
        )

    def _returned(self, r: ReturnView, unbilled: set[tuple[uuid.UUID, int]], line_nos: dict[uuid.UUID, int]) -> None:
        self.busy = False
        self.request_id = uuid.uuid4()
        back = ", ".join(f"{i.quantity} of {i.medicine_name} (batch {i.batch_number}"
                         + (", restocked)" if i.restock else ", not restocked)") for i in r.items)  # fmt: skip
        self.summary.setText(f"<b>{r.code}</b> taken back: {back}. Refund <b>{rs(r.refund_amount_paise)}</b>: "
                             + money_words(r, unbilled, line_nos))  # fmt: skip
        self.reason.clear()
        self.reload()
        self._buttons()

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self._buttons()
            self.message.setText(message_of(exc))
            self.message.show()
