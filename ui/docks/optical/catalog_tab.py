"""The Catalogue tab of the Optical dock (``optical.view`` to read, ``optical.catalog`` to edit): the search on
top (name, brand, model, SKU or barcode as you type; a category; in stock only; retired ones too, for the
editor), the products found (SKU, name, category, MRP, GST in force today, stock or "Made to order", the power
range of a lens or the box size of a frame), and on the right the product chosen (``catalog_form``: read-only
unless the user may edit the catalogue) with its stock (``catalog_stock``: Receive stock and Count, for a user
holding ``inventory.receive`` / ``inventory.count``).

A barcode scanner types the code and Enter into the search field: Enter looks the code up
(``catalog.product_by_barcode``: a barcode, or the SKU on a label printed here, retired products too) and
selects that product; for a typed name Enter selects the first one found. The list is read again from the change
broadcast when products, stock or tax rules change, only while the tab is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.context import Context
from hms_desktop.printing.purchase_order import money
from hms_desktop.services.optical.catalog import find_products, product_by_barcode
from hms_desktop.services.optical.catalog_views import ProductView
from ui.docks.optical.catalog_form import CatalogForm
from ui.docks.optical.catalog_stock import StockBox
from ui.docks.pharmacy.common import cell, label, message_of, table
from ui.qt import (
    QBrush,
    QCheckBox,
    QColor,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QScrollArea,
    QSplitter,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

WATCHED = ("optical_products", "stock_movements", "tax_configurations")
COLUMNS = ["SKU", "Name", "Category", "MRP", "GST", "Stock", "Size / power range"]
RANGE, NAME_WIDTH = 6, 210
CATEGORIES = (("All categories", None), ("Frames", "frame"), ("Sunglasses", "sunglasses"),
              ("Spectacle lenses", "lens"), ("Contact lenses", "contact_lens"), ("Solutions", "solution"),
              ("Accessories", "accessory"))  # fmt: skip
LIMIT = 200
DEBOUNCE_MS = 200
RED, AMBER, GREY = "#b00020", "#8a5a00", "#7a8793"


@dataclass(frozen=True)
class Found:
    text: str
    products: list[ProductView]
    hit: ProductView | None  # the product whose barcode or SKU was entered (Enter or a scan)
    entered: bool


def look_up(ctx: Context, text: str, category: str | None, in_stock: bool, retired: bool, entered: bool) -> Found:
    hit = product_by_barcode(ctx, text) if entered and text.strip() else None
    products = find_products(ctx, text, category, in_stock, LIMIT, include_inactive=retired)
    if hit is not None and all(p.id != hit.id for p in products):
        products.insert(0, hit)  # a retired product scanned: shown anyway
    return Found(text, products, hit, entered)


def range_text(p: ProductView) -> str:
    """A lens's power range (a line may break between SPH, CYL and ADD, never inside one), else the frame's box
    size (A-DBL-temple) or the size."""
    if p.is_lens:
        return ", ".join(part.replace(" ", "\u00a0") for part in p.power_range_text.split(", "))
    return p.box_text or p.size


class CatalogTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.products: list[ProductView] = []
        self.busy = False
        self.dirty = True  # nothing fetched yet
        self.pending_enter = False
        self.search = QLineEdit()
        self.search.setObjectName("catalogSearch")
        self.search.setPlaceholderText("Name, brand, model, SKU, or scan a barcode (Enter)")
        self.search.setToolTip("Type to search; scan or type a barcode and press Enter to open that product")
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox()
        self.category.setObjectName("catalogCategory")
        for text, key in CATEGORIES:
            self.category.addItem(text, key)
        self.in_stock = QCheckBox("In stock only")
        self.in_stock.setObjectName("catalogInStock")
        self.in_stock.setToolTip("Leave out stocked products with none on the shelf (made-to-order lenses stay)")
        self.retired = QCheckBox("Retired too")
        self.retired.setObjectName("catalogRetired")
        self.retired.setVisible(session.can("optical.catalog"))
        self.count = label("catalogCount")
        self.list = table(COLUMNS, RANGE, "catalogList")
        self.list.setWordWrap(True)  # a lens's range may take two lines
        self.list.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.list.setColumnWidth(1, NAME_WIDTH)
        self.form = CatalogForm(session)
        self.stock = StockBox(session)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(lambda: self.refresh(force=True))
        self.search.textEdited.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self.enter)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.in_stock.toggled.connect(lambda _on: self.refresh(force=True))
        self.retired.toggled.connect(lambda _on: self.refresh(force=True))
        self.list.itemSelectionChanged.connect(self._selected)
        self.form.saved.connect(self._saved)
        self.form.shown.connect(self._form_shows)
        self.stock.moved.connect(self._saved)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        for w in (self.category, self.in_stock, self.retired):
            top.addWidget(w)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addLayout(top)
        lbox.addWidget(self.count)
        lbox.addWidget(self.list, 1)
        page = QWidget()
        pbox = QVBoxLayout(page)
        pbox.setContentsMargins(6, 0, 6, 0)
        pbox.addWidget(self.form)
        pbox.addWidget(self.stock)
        pbox.addStretch()
        scroll = QScrollArea()
        scroll.setObjectName("catalogDetail")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setSizes([850, 500])
        QVBoxLayout(self).addWidget(split)
        session.changes.changed.connect(self.on_changes)

    # --- the list

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()
        QTimer.singleShot(0, self._focus_search)

    def _focus_search(self) -> None:
        if isValid(self) and self.isVisible() and not self.form.isAncestorOf(self.focusWidget()):
            self.search.setFocus()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def enter(self) -> None:
        """Enter in the search (a scanner ends with it): look the code up now and open what it names."""
        self._debounce.stop()
        self.pending_enter = True
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.busy or not self.isVisible():
            self.dirty = True  # fetched when the one on its way is back, or when shown
            return
        self.busy, self.dirty = True, False
        entered, self.pending_enter = self.pending_enter, False
        background(self, look_up, self.session.ctx, self.search.text().strip(), self.category.currentData(),
                   self.in_stock.isChecked(), self.retired.isChecked(), entered, done=self._show,
                   failed=self._failed)  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.count.setText(message_of(exc))
            if self.dirty:
                self.refresh()

    def _show(self, found: Found) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:  # the search or the store changed while this was on its way
            self.pending_enter = self.pending_enter or found.entered
            self.refresh()
            return
        shown = self.form.product.id if self.form.product is not None else None
        self.products = found.products
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setRowCount(len(found.products))
        for r, p in enumerate(found.products):
            self._row(r, p)
        self.list.resizeRowsToContents()
        self.list.blockSignals(False)
        n = len(found.products)
        words = f"{n} product{'s' if n != 1 else ''}" + (f" (the first {LIMIT})" if n >= LIMIT else "")
        if found.entered and found.hit is None and found.text and " " not in found.text and n == 0:
            words = f"No product has the barcode or SKU {found.text}."
        self.count.setText(words)
        chosen = found.hit.id if found.hit is not None else None
        if found.entered and chosen is None and found.products:
            chosen = found.products[0].id
        if chosen is not None:
            self.select(chosen)
            self.search.selectAll()  # the next scan replaces the code
        elif shown is not None:
            row = self.row_of(shown)
            if row >= 0:
                self.list.blockSignals(True)
                self.list.selectRow(row)
                self.list.blockSignals(False)
                if not self.form.touched:
                    self._open(self.products[row])  # as it stands now (a change here or on another PC)

    def _row(self, r: int, p: ProductView) -> None:
        name = p.name if p.is_active else f"{p.name} (retired)"
        stock_colour = RED if p.is_stocked and p.stock_quantity <= 0 else AMBER if p.needs_reorder else ""
        stock_tip = f"Reorder at {p.reorder_level}" if p.needs_reorder else ""
        cells = [
            cell(p.sku, tip=p.barcode or ""),
            cell(name, tip=name + "".join(f"\n{x}" for x in (p.brand, p.model, p.color) if x)),
            cell(p.category_label.capitalize(), tip=p.lens_type_label),
            cell(f"Rs {money(p.mrp_paise)}", right=True),
            cell(p.tax_rate_text, right=True, tip=f"HSN {p.hsn_code}"),
            cell(p.stock_text, tip=stock_tip, colour=stock_colour),
            cell(range_text(p), tip=range_text(p)),
        ]
        for c, item in enumerate(cells):
            if not p.is_active:
                item.setForeground(QBrush(QColor(GREY)))
            self.list.setItem(r, c, item)

    def row_of(self, product_id: Any) -> int:
        return next((r for r, p in enumerate(self.products) if p.id == product_id), -1)

    def select(self, product_id: Any) -> bool:
        row = self.row_of(product_id)
        if row >= 0:
            self.list.selectRow(row)
        return row >= 0

    def show_code(self, code: str) -> None:
        """Open the product with this barcode or SKU (a scan the window routed here)."""
        self.search.setText(code)
        self.enter()

    def _selected(self) -> None:
        row = self.list.currentRow()
        if self.list.selectionModel().hasSelection() and 0 <= row < len(self.products):
            self._open(self.products[row])

    def _open(self, p: ProductView) -> None:
        self.form.show_product(p)  # and the stock box, through ``shown``

    def _form_shows(self, p: ProductView | None) -> None:
        self.stock.show_product(p)
        if p is None or self.row_of(p.id) != self.list.currentRow():
            self.list.blockSignals(True)
            self.list.clearSelection()
            self.list.blockSignals(False)

    def _saved(self, view: ProductView) -> None:
        """A product saved, retired or restored, or its stock moved: show it and find it in the list."""
        if not self.form.touched:
            self.form.show_product(view)
        else:
            self.stock.show_product(view)
        if self.row_of(view.id) < 0:
            self.search.clear()  # a new product: list it (the broadcast refreshes the list)
        self.refresh(force=True)
