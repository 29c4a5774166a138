"""The lines of a purchase order in a grid: the medicine and its pack, the stock on hand and reorder level (a
draft: to help decide), the packs and cost per pack typed (Tab and Enter move between them), then the GST
rate and amount as the service saved them, and once sent what was received and what is still to come."""

from __future__ import annotations

import math
import uuid

from hms_desktop.services.inventory.purchase_orders import POLine, PurchaseOrderView
from hms_desktop.services.pharmacy.catalog_rules import percent_text, units_text
from hms_desktop.services.pharmacy.stock_views import MedicineStock, StockLine
from ui.docks.inventory.cell_table import BadCell, CellTable
from ui.docks.inventory.purchase_common import (
    KEY,
    cell,
    money,
    pack_text,
    parse_count,
    parse_paise,
    rupees_cell,
    stock_text,
)
from ui.qt import QHeaderView, QWidget

COLUMNS = ("Medicine", "Pack", "On hand", "Reorder at", "Packs", "Cost/pack Rs", "GST", "Amount", "Received",
           "To come")  # fmt: skip
MED, PACK, ON_HAND, REORDER, PACKS, COST, GST, AMOUNT, RECEIVED, TO_COME = range(10)
TYPED = (PACKS, COST)
FIELD_COLUMN = {"packs": PACKS, "unit_cost_paise": COST, "medicine_id": MED}


def suggested_packs(s: StockLine) -> int:
    """Packs that bring a medicine below its reorder level up to twice the level (at least one)."""
    return max(1, math.ceil((2 * s.reorder_level - s.on_hand) / s.pack_size))


class POLines(CellTable):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("poLines", COLUMNS, parent)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MED, QHeaderView.ResizeMode.Stretch)
        header_item = self.horizontalHeaderItem(ON_HAND)
        if header_item is not None:
            header_item.setToolTip("Unexpired stock on the shelf now")

    def add(self, medicine_id: uuid.UUID, name: str, what: str, pack: str) -> int:
        r = self.rowCount()
        self.blockSignals(True)
        self.insertRow(r)
        first = cell(name, tip=what, shade=True)
        first.setData(KEY, medicine_id)
        self.setItem(r, MED, first)
        self.setItem(r, PACK, cell(pack))
        for c in (ON_HAND, REORDER, GST, AMOUNT, RECEIVED, TO_COME):
            self.setItem(r, c, cell("", right=True))
        for c in TYPED:
            self.setItem(r, c, cell("", right=True, editable=True))
        self.blockSignals(False)
        return r

    def add_hit(self, h: MedicineStock) -> int:
        what = " ".join(x for x in (h.generic_name, h.strength, h.form) if x)
        r = self.add(h.id, h.name, what, pack_text(h.form, h.unit, h.pack_size))
        self.stock(r, h.on_hand, h.reorder_level, h.form, h.unit, h.pack_size)
        return r

    def add_low(self, s: StockLine) -> int:
        r = self.add(s.medicine_id, s.name, f"{s.generic_name} {s.strength}".strip(),
                     pack_text(s.form, s.unit, s.pack_size))  # fmt: skip
        self.blockSignals(True)
        self.at(r, PACKS).setText(str(suggested_packs(s)))
        self.blockSignals(False)
        self.stock(r, s.on_hand, s.reorder_level, s.form, s.unit, s.pack_size)
        return r

    def row_of(self, medicine_id: uuid.UUID) -> int:
        return next((r for r in range(self.rowCount()) if self.at(r, MED).data(KEY) == medicine_id), -1)

    def stock(self, r: int, on_hand: int, reorder: int, form: str, unit: str, pack_size: int) -> None:
        self.blockSignals(True)
        self.at(r, ON_HAND).setText(stock_text(on_hand, form, unit, pack_size) if on_hand else "none")
        self.at(r, REORDER).setText(units_text(reorder, unit) if reorder else "-")
        self.blockSignals(False)

    def stock_of(self, rows: list[StockLine]) -> None:
        for s in rows:
            r = self.row_of(s.medicine_id)
            if r >= 0:
                self.stock(r, s.on_hand, s.reorder_level, s.form, s.unit, s.pack_size)

    def show_order(self, po: PurchaseOrderView) -> None:
        self.blockSignals(True)
        self.setRowCount(0)
        for ln in po.lines:
            r = self.add(ln.medicine_id, ln.medicine_name, f"{ln.generic_name} {ln.strength}".strip(), ln.pack)
            self.blockSignals(True)
            for c, text in ((PACKS, str(ln.packs)), (COST, rupees_cell(ln.unit_cost_paise)),
                            (GST, f"{percent_text(ln.tax_basis_points)}%"), (AMOUNT, money(ln.line_total_paise)),
                            (RECEIVED, str(ln.received_packs)), (TO_COME, str(ln.outstanding_packs))):  # fmt: skip
                self.at(r, c).setText(text)
        self.blockSignals(False)

    def draft_columns(self, draft: bool) -> None:
        """A draft shows the stock beside each line; a sent order what came and what is to come."""
        for c in (ON_HAND, REORDER):
            self.setColumnHidden(c, not draft)
        for c in (RECEIVED, TO_COME):
            self.setColumnHidden(c, draft)

    def read(self) -> tuple[list[POLine], BadCell | None]:
        out: list[POLine] = []
        for r in range(self.rowCount()):
            where = f"Line {r + 1} ({self.text(r, MED)})"
            packs, cost = parse_count(self.text(r, PACKS)), parse_paise(self.text(r, COST))
            if packs is None:
                return out, BadCell(r, PACKS, f"{where}: enter the number of packs, a whole number.")
            if cost is None:
                return out, BadCell(r, COST, f"{where}: enter the cost of one pack in rupees, e.g. 33.60.")
            out.append(POLine(self.at(r, MED).data(KEY), packs, cost))
        return out, None
