"""The order form's lines with the running total: the frame, the lens (one per eye: 2 for both eyes) and any
other items (contact lenses, solution, accessories), each at its catalogue MRP (GST inside) with a discount in
rupees typed on the line. The total and the GST inside it follow every keystroke; the discount itself is
checked by the service on Save (within the user's limit), its refusal shown under the table with the line
outlined. Delete removes the chosen other item (the frame and the lens are changed where they are chosen)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.order_input import OrderLineInput
from hms_desktop.services.optical.pricing import tax_inside
from ui.docks.optical.order_common import BAD_FIELD, error_label, rs
from ui.docks.pharmacy.common import cell, fixed_column, table
from ui.qt import QKeySequence, QLabel, QLineEdit, QShortcut, QSpinBox, Qt, QVBoxLayout, QWidget, Signal

COLUMNS = ["Item", "For", "Qty", "MRP each", "Discount (Rs)", "Amount"]
QTY, DISCOUNT, AMOUNT = 2, 4, 5
EYE_WORDS = {"right": "Right eye", "left": "Left eye", "both": "Both eyes", "none": ""}


@dataclass
class Line:
    key: str  # "frame", "lens", or "item:<product id>" for another item
    product: ProductView
    eye: str = "none"
    quantity: int = 1
    options: dict[str, str] = field(default_factory=dict)

    @property
    def pieces(self) -> int:
        """How many are sold: a lens for both eyes is a pair."""
        if self.product.category == "lens":
            return 2 if self.eye == "both" else 1
        return self.quantity

    @property
    def extra(self) -> bool:
        return self.key.startswith("item:")


class LinesTable(QWidget):
    removed = Signal(str)  # the key of the other item removed
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[Line] = []
        self.discounts: dict[str, str] = {}
        self.edits: list[QLineEdit] = []
        self.table = table(COLUMNS, 0, "orderLines")
        fixed_column(self.table, QTY, 64)
        fixed_column(self.table, DISCOUNT, 110)
        self.table.setMinimumHeight(96)
        self.table.setMaximumHeight(124)
        self.total = QLabel()
        self.total.setObjectName("orderTotal")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error = error_label()
        remove = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table)
        remove.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove.activated.connect(self.remove_current)
        self.table.setToolTip("Type a discount in rupees on a line; Delete removes the chosen other item.")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table, 1)
        box.addWidget(self.error)  # the total is placed by the form, in its bar
        self.set_lines([])

    def set_lines(self, lines: list[Line]) -> None:
        """Show ``lines`` (a discount already typed on a line stays with it)."""
        self.lines = lines
        self.discounts = {k: v for k, v in self.discounts.items() if any(x.key == k for x in lines)}
        self.edits = []
        self.table.setRowCount(len(lines))
        for r, line in enumerate(lines):
            p = line.product
            name = cell(p.name, tip=f"{p.name} ({p.sku}): {p.category_label}, {p.stock_text}")
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, cell(EYE_WORDS.get(line.eye, "")))
            self.table.setItem(r, 3, cell(rs(p.mrp_paise), right=True))
            if line.extra:
                spin = QSpinBox()
                spin.setObjectName(f"quantity{r}")
                spin.setRange(1, 50)
                spin.setValue(line.quantity)
                spin.valueChanged.connect(lambda v, x=line: self._quantity(x, v))
                self.table.takeItem(r, QTY)
                self.table.setCellWidget(r, QTY, spin)
            else:
                self.table.removeCellWidget(r, QTY)
                self.table.setItem(r, QTY, cell(str(line.pieces), right=True))
            edit = QLineEdit(self.discounts.get(line.key, ""))
            edit.setObjectName(f"discount{r}")
            edit.setPlaceholderText("0")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.textEdited.connect(lambda t, x=line: self._discount(x, t))
            self.table.setCellWidget(r, DISCOUNT, edit)
            self.edits.append(edit)
        self.error.hide()
        self._totals()

    def _quantity(self, line: Line, value: int) -> None:
        line.quantity = value
        self._totals()
        self.changed.emit()

    def _discount(self, line: Line, text: str) -> None:
        self.discounts[line.key] = text
        self._totals()

    @staticmethod
    def _paise(text: str) -> int | None:
        if not text.strip():
            return 0
        try:
            return clean_rupees(text, "discount")
        except ValidationError:
            return None

    def _totals(self) -> None:
        total = tax = 0
        unread = False
        for r, line in enumerate(self.lines):
            gross = line.product.mrp_paise * line.pieces
            shown = self.table.item(r, QTY)
            if shown is not None and not line.extra:
                shown.setText(str(line.pieces))
            off = self._paise(self.discounts.get(line.key, ""))
            unread = unread or off is None
            amount = gross - (off or 0)
            total += amount
            tax += tax_inside(max(amount, 0), line.product.tax_rate_basis_points)
            self.table.setItem(r, AMOUNT, cell(rs(amount), right=True))
        note = "  (a discount does not read as rupees)" if unread else ""
        self.total.setText(f"<b>Total {rs(total)}</b>  (GST inside {rs(tax)}){note}" if self.lines else "No items yet.")

    def inputs(self) -> list[OrderLineInput]:
        return [OrderLineInput(product_id=x.product.id, eye=x.eye, quantity=x.pieces,
                               discount=self.discounts.get(x.key, ""), options=dict(x.options))
                for x in self.lines]  # fmt: skip

    def remove_current(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.lines) and self.lines[r].extra:
            self.removed.emit(self.lines[r].key)

    def show_error(self, row: int, field: str, message: str) -> None:
        """A refusal of line ``row``: under the table, the line chosen and its discount outlined if it is that."""
        self.error.setText(message)
        self.error.show()
        if 0 <= row < len(self.lines):
            self.table.selectRow(row)
            if field == "discount":
                self.edits[row].setStyleSheet(BAD_FIELD)
                self.edits[row].setFocus()

    def clear_error(self) -> None:
        self.error.hide()
        for edit in self.edits:
            edit.setStyleSheet("")
