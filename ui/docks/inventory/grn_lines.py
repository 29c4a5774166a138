"""The lines of a goods receipt as they are typed: one row per medicine and batch, with the batch number, the
expiry as printed on the pack (06/2028), packs received, accepted and free, cost and MRP of a pack, why packs
were rejected (when fewer are accepted than received) and the shelf. Tab and Enter move from cell to cell;
Accepted follows Received until it is typed itself. A line from a purchase order remembers its order line."""

from __future__ import annotations

import uuid

from hms_desktop.services.inventory.goods_receipts import GrnItemView, GrnLine
from hms_desktop.services.inventory.purchase_orders import POItemView
from hms_desktop.services.pharmacy.stock_views import MedicineStock
from ui.docks.inventory.cell_table import BadCell, CellTable
from ui.docks.inventory.purchase_common import (
    KEY,
    cell,
    expiry_text,
    pack_text,
    parse_count,
    parse_expiry,
    parse_paise,
    rupees_cell,
)
from ui.qt import QHeaderView, Qt, QTableWidgetItem, QWidget

COLUMNS = ("Medicine", "Batch *", "Expiry *", "Received", "Accepted", "Free", "Cost/pack Rs", "MRP/pack Rs",
           "Rejected: why", "Shelf")  # fmt: skip
MED, BATCH, EXPIRY, RECEIVED, ACCEPTED, FREE, COST, MRP, REASON, SHELF = range(10)
TYPED = (BATCH, EXPIRY, RECEIVED, ACCEPTED, FREE, COST, MRP, REASON, SHELF)
NUMBERS = (RECEIVED, ACCEPTED, FREE, COST, MRP)
PO_ITEM = Qt.ItemDataRole.UserRole + 1
FIELD_COLUMN = {"medicine_id": MED, "po_item_id": MED, "batch_number": BATCH, "expiry_date": EXPIRY,
                "received_packs": RECEIVED, "accepted_packs": ACCEPTED, "free_packs": FREE, "unit_cost_paise": COST,
                "mrp_paise": MRP, "rejected_reason": REASON, "location": SHELF}  # fmt: skip
TIPS = {EXPIRY: "As printed on the pack: 06/2028 (the month's last day) or 15/06/2028",
        RECEIVED: "Packs that arrived", ACCEPTED: "Packs put on the shelf (follows Received until typed)",
        FREE: "Free packs (no cost)", REASON: "Needed when fewer packs are accepted than received"}  # fmt: skip


class GrnLines(CellTable):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("grnLines", COLUMNS, parent)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MED, QHeaderView.ResizeMode.Stretch)
        for c, width in ((BATCH, 100), (EXPIRY, 80), (RECEIVED, 70), (ACCEPTED, 72), (FREE, 48), (COST, 92),
                         (MRP, 92), (REASON, 130), (SHELF, 70)):  # fmt: skip
            self.setColumnWidth(c, width)
        for c, tip in TIPS.items():
            header_item = self.horizontalHeaderItem(c)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.itemChanged.connect(self._follow)

    def add(self, medicine_id: uuid.UUID, name: str, tip: str, po_item: uuid.UUID | None = None) -> int:
        r = self.rowCount()
        self.blockSignals(True)
        self.insertRow(r)
        first = cell(name, tip=tip, shade=True)
        first.setData(KEY, medicine_id)
        first.setData(PO_ITEM, po_item)
        self.setItem(r, MED, first)
        for c in TYPED:
            self.setItem(r, c, cell("", right=c in NUMBERS, editable=True, tip=TIPS.get(c, "")))
        self.blockSignals(False)
        return r

    def add_hit(self, h: MedicineStock) -> int:
        what = " ".join(x for x in (h.generic_name, h.strength, h.form) if x)
        return self.add(h.id, f"{h.name}  ({pack_text(h.form, h.unit, h.pack_size)})", what)

    def add_ordered(self, ln: POItemView) -> int:
        tip = f"Ordered {ln.packs} packs, {ln.received_packs} received so far, {ln.outstanding_packs} to come"
        r = self.add(ln.medicine_id, f"{ln.medicine_name}  ({ln.pack})", tip, ln.id)
        self.blockSignals(True)
        for c, text in ((RECEIVED, str(ln.outstanding_packs)), (ACCEPTED, str(ln.outstanding_packs)),
                        (COST, rupees_cell(ln.unit_cost_paise))):  # fmt: skip
            self.at(r, c).setText(text)
        self.at(r, RECEIVED).setData(KEY, str(ln.outstanding_packs))
        self.blockSignals(False)
        return r

    def drop_ordered(self) -> None:
        """Remove the lines that came from a purchase order (another order, or none, was chosen)."""
        for r in reversed(range(self.rowCount())):
            if self.at(r, MED).data(PO_ITEM) is not None:
                self.removeRow(r)

    def row_of(self, medicine_id: uuid.UUID) -> int:
        return next((r for r in range(self.rowCount()) if self.at(r, MED).data(KEY) == medicine_id), -1)

    def _follow(self, item: QTableWidgetItem) -> None:
        """Accepted follows Received while it is blank or still what Received was."""
        if item.column() != RECEIVED:
            return
        accepted = self.item(item.row(), ACCEPTED)
        before = item.data(KEY) or ""
        self.blockSignals(True)
        if accepted is not None and accepted.text().strip() in ("", before):
            accepted.setText(item.text().strip())
        item.setData(KEY, item.text().strip())
        self.blockSignals(False)

    def read(self) -> tuple[list[GrnLine], BadCell | None]:
        """The typed lines for the service; a cell that is not a date or a number stops it, named."""
        out: list[GrnLine] = []
        for r in range(self.rowCount()):
            name = self.text(r, MED).split("  (")[0]
            where = f"Line {r + 1} ({name})"
            expiry = parse_expiry(self.text(r, EXPIRY))
            if expiry is None:
                what = "enter" if not self.text(r, EXPIRY) else "check"
                return out, BadCell(r, EXPIRY, f"{where}: {what} the expiry printed on the pack, e.g. 06/2028.")
            counts: dict[int, int] = {}
            for c, label in ((RECEIVED, "packs received"), (FREE, "free packs"), (ACCEPTED, "packs accepted")):
                blank = counts.get(RECEIVED, 0) if c == ACCEPTED else 0
                value = parse_count(self.text(r, c), blank)
                if value is None:
                    return out, BadCell(r, c, f"{where}: the {label} must be a whole number.")
                counts[c] = value
            money: dict[int, int] = {}
            for c, label in ((COST, "cost"), (MRP, "MRP")):
                text = self.text(r, c)
                value = parse_paise(text) if text else 0  # blank: the service names what is missing
                if value is None:
                    return out, BadCell(r, c, f"{where}: enter the {label} of one pack in rupees, e.g. 33.60.")
                money[c] = value
            first = self.at(r, MED)
            out.append(GrnLine(
                medicine_id=first.data(KEY), batch_number=self.text(r, BATCH), expiry_date=expiry,
                received_packs=counts[RECEIVED], accepted_packs=counts[ACCEPTED], free_packs=counts[FREE],
                unit_cost_paise=money[COST], mrp_paise=money[MRP], po_item_id=first.data(PO_ITEM),
                rejected_reason=self.text(r, REASON) or None, location=self.text(r, SHELF),
            ))  # fmt: skip
        return out, None

    def show_posted(self, lines: tuple[GrnItemView, ...]) -> None:
        """A posted receipt's lines, read-only."""
        self.blockSignals(True)
        self.setRowCount(0)
        for ln in lines:
            r = self.add(ln.medicine_id, ln.medicine_name, "", ln.po_item_id)
            values = {BATCH: ln.batch_number, EXPIRY: expiry_text(ln.expiry_date), RECEIVED: str(ln.received_packs),
                      ACCEPTED: str(ln.accepted_packs), FREE: str(ln.free_packs),
                      COST: rupees_cell(ln.unit_cost_paise), MRP: rupees_cell(ln.mrp_paise),
                      REASON: ln.rejected_reason or "", SHELF: ln.location}  # fmt: skip
            for c, text in values.items():
                self.at(r, c).setText(text)
        self.set_editable(TYPED, False)
        self.blockSignals(False)
