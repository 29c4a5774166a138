"""Finding a product in the optical catalogue as you type: name, brand, model, SKU, or a barcode scanned
(``catalog.find_products``), each hit with its box size, what is on the shelf and its MRP. Enter (or a double
click) takes the highlighted hit (typed faster than the search: the first hit once found); Down moves from the
field into the hits. ``categories`` limits the hits (frames and sunglasses for the frame field)."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.optical.catalog import find_products
from hms_desktop.services.optical.catalog_views import ProductView
from ui.docks.optical.order_common import MUTED, rs
from ui.docks.pharmacy.common import message_of
from ui.qt import (
    QBrush,
    QColor,
    QEvent,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

DEBOUNCE_MS = 150
LIMIT = 100


def product_text(p: ProductView) -> str:
    """ "Titan TE-1021 black (OPP-00001), 52-18-140, 3 in stock, Rs 2,500.00"."""
    parts = [f"{p.name} ({p.sku})", p.box_text, p.stock_text, rs(p.mrp_paise)]
    return ", ".join(x for x in parts if x)


def search(ctx: Any, text: str, categories: tuple[str, ...]) -> list[ProductView]:
    """The hits of ``categories`` (one category is asked of the service; several are filtered here)."""
    only = categories[0] if len(categories) == 1 else None
    found = find_products(ctx, text, only, limit=LIMIT)
    return [p for p in found if p.category in categories]


class ProductPick(QWidget):
    picked = Signal(object)  # a ProductView

    def __init__(self, session: AppSession, name: str, categories: tuple[str, ...], placeholder: str,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session = session
        self.categories = categories
        self.search = QLineEdit()
        self.search.setObjectName(name)
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setObjectName(name + "Hits")
        self.hits.setMaximumHeight(96)
        self.hits.hide()
        self.hits.itemActivated.connect(self._take)
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.search)
        box.addWidget(self.hits)
        box.addWidget(self.message)
        self.setFocusProxy(self.search)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._find)
        self.search.textEdited.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        if obj is self.search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.hits.count():
                self.hits.setFocus()
                return True
        return False

    def _find(self, then_take: bool = False) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.hits.clear()
            self.hits.hide()
            return
        background(self, search, self.session.ctx, text, self.categories,
                   done=lambda hits: self._show(text, hits, then_take), failed=self._failed)  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.message.setText(message_of(exc))
            self.message.show()

    def _show(self, text: str, hits: list[ProductView], then_take: bool) -> None:
        if not isValid(self) or text != self.search.text().strip():
            return
        self.message.hide()
        self.hits.clear()
        for p in hits:
            item = QListWidgetItem(product_text(p))
            item.setData(Qt.ItemDataRole.UserRole, p)
            if p.is_stocked and p.stock_quantity <= 0:
                item.setForeground(QBrush(QColor(MUTED)))
            self.hits.addItem(item)
        self.hits.setVisible(bool(hits))
        if hits:
            self.hits.setCurrentRow(0)
            if then_take:
                self._take(self.hits.item(0))
        else:
            self.message.setText(f"Nothing in the optical catalogue matches {text!r}.")
            self.message.show()

    def _enter(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._find(then_take=True)
            return
        item = self.hits.currentItem()
        if item is not None:
            self._take(item)

    def _take(self, item: QListWidgetItem) -> None:
        chosen = item.data(Qt.ItemDataRole.UserRole)
        self.search.clear()
        self.hits.clear()
        self.hits.hide()
        self.message.hide()
        self.picked.emit(chosen)
