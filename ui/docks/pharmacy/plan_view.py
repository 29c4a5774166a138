"""FEFO's plan as the pharmacist reads it before dispensing: per line the batch or batches it takes (the earliest
expiry first, a line split when one batch does not hold enough), each batch's expiry and stock, the quantity
with its packs, the price (the batch's MRP per unit, tax inside) and the amount; shortages in the service's
words; a chosen batch that still needs its reason; the total."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from hms_desktop.services.pharmacy.dispensing_views import DispensePlan, PlanLine
from ui.docks.pharmacy.common import RED, Facts, cell, day_text, label, named, rs, table
from ui.qt import QVBoxLayout, QWidget

COLUMNS = ["Medicine", "Batch", "Expires", "On hand", "Quantity", "Price", "Amount"]


class PlanView(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table(COLUMNS, 0, name)
        self.table.setMinimumHeight(90)
        self.shortages = label("formError")
        self.shortages.hide()
        self.total = label("planTotal")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table, 1)
        box.addWidget(self.shortages)
        box.addWidget(self.total)

    def clear(self, text: str = "", pending: Sequence[tuple[str, str]] = ()) -> None:
        self.table.setRowCount(0)
        for name, why in pending:
            self._row([name, "", "", "", why, "", ""], grey=True)
        self.shortages.hide()
        self.total.setText(text)

    def show_plan(
        self, plan: DispensePlan, facts: Mapping[uuid.UUID, Facts], pending: Sequence[tuple[str, str]] = ()
    ) -> None:
        """``plan``'s picks, then one row per line given nothing now (``pending``: its name and why)."""
        self.table.setRowCount(0)
        for line in plan.lines:
            self._line(line, facts.get(line.medicine_id) if line.medicine_id else None)
        for name, why in pending:
            self._row([name, "", "", "", why, "", ""], grey=True)
        problems = list(plan.shortages)
        problems += [f"{line.medicine_name}: this batch is not the one that expires first: give the reason."
                     for line in plan.lines if line.needs_pick_reason]  # fmt: skip
        self.shortages.setText("\n".join(problems))
        self.shortages.setVisible(bool(problems))
        given = sum(len(line.picks) for line in plan.lines)
        if given:
            self.total.setText(f"<b>Total {rs(plan.total_paise)}</b> (MRP, GST inside)"
                               + ("" if plan.ready else "  - not ready to dispense"))  # fmt: skip
        else:
            self.total.setText("Nothing to dispense now.")

    def _line(self, line: PlanLine, f: Facts | None) -> None:
        name = named(line.medicine_name, line.schedule)
        if line.substitute:
            name += "  (substitute)"
        if not line.picks:
            note = line.note or "Nothing on hand that may be sold"
            self._row([name, "", "", "", note, "", ""], grey=not line.shortfall, red=bool(line.shortfall))
            return
        chosen = line.picks[0].batch_id != line.fefo_batch_id  # FEFO's picks start with its first
        for n, p in enumerate(line.picks):
            batch = p.batch_number + ("  (chosen)" if chosen else "")
            quantity = f.quantity(p.quantity) if f else str(p.quantity)
            on_hand = f.quantity(p.on_hand).split(" (")[0] if f else str(p.on_hand)
            self._row([name if n == 0 else "", batch, day_text(p.expiry_date), on_hand, quantity,
                       f"{rs(p.unit_price_paise)} each", rs(p.line_total_paise)])  # fmt: skip
        if line.shortfall:
            missing = f.quantity(line.shortfall).split(" (")[0] if f else str(line.shortfall)
            self._row(["", "", "", "", f"short by {missing}", "", ""], red=True)

    def _row(self, texts: list[str], grey: bool = False, red: bool = False) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        colour = RED if red else ("#5f6b76" if grey else "")
        for c, text in enumerate(texts):
            self.table.setItem(r, c, cell(text, right=c in (3, 5, 6), colour=colour))
