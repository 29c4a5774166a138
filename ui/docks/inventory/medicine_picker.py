"""Finding a medicine to order or receive: type a brand, generic name, code or scan a pack's barcode; the hits show
the pack, the stock on hand and the reorder level (to help decide how much to buy). Up and Down move in the
hits, Enter adds the highlighted one (``chosen``), Escape clears the search."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.pharmacy.catalog_rules import units_text
from hms_desktop.services.pharmacy.stock_views import MedicineStock, find_medicines
from ui.docks.inventory.purchase_common import message_of, pack_text, stock_text
from ui.qt import (
    QEvent,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
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
HITS = 12


def hit_text(h: MedicineStock) -> str:
    what = " ".join(x for x in (h.generic_name, h.strength, h.form) if x)
    stock = stock_text(h.on_hand, h.form, h.unit, h.pack_size) if h.on_hand else f"no {h.unit} in stock"
    reorder = f"reorder at {units_text(h.reorder_level, h.unit)}" if h.reorder_level else "no reorder level"
    low = "   BELOW REORDER LEVEL" if h.below_reorder and h.reorder_level else ""
    return f"{h.name}  -  {what}  |  {pack_text(h.form, h.unit, h.pack_size)}  |  on hand {stock}, {reorder}{low}"


class MedicinePicker(QWidget):
    chosen = Signal(object)  # the MedicineStock picked

    def __init__(self, session: AppSession, name: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.edit = QLineEdit()
        self.edit.setObjectName(name)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setToolTip("Up/Down choose a medicine, Enter adds it, Esc clears")
        self.hits = QListWidget()
        self.hits.setObjectName(f"{name}Hits")
        self.hits.setMaximumHeight(112)
        self.hits.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the search
        self.hits.itemActivated.connect(self._pick)
        self.hits.itemClicked.connect(self._pick)
        self.hits.hide()
        self.note = QLabel()
        self.note.setObjectName("fieldError")
        self.note.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.edit)
        box.addWidget(self.hits)
        box.addWidget(self.note)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self.search)
        self.edit.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.edit.returnPressed.connect(self._enter)
        self.edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.hits.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.hits.setCurrentRow(max(0, min(self.hits.count() - 1, self.hits.currentRow() + step)))
                return True
            if key == Qt.Key.Key_Escape and self.edit.text():
                self.clear()
                return True
        return super().eventFilter(watched, event)

    def clear(self) -> None:
        self._debounce.stop()
        self.edit.clear()
        self.hits.clear()
        self.hits.hide()
        self.note.hide()

    def search(self) -> None:
        text = self.edit.text().strip()
        if len(text) < 2:
            self.hits.clear()
            self.hits.hide()
            return
        ctx = self.session.ctx
        background(self, lambda: find_medicines(ctx, text, limit=HITS), done=lambda found: self._hits(text, found),
            failed=self._failed)  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.note.setText(message_of(exc))
            self.note.show()

    def _hits(self, text: str, found: list[MedicineStock]) -> None:
        if not isValid(self) or text != self.edit.text().strip():
            return  # typed on meanwhile: the later search answers
        self.note.hide()
        self.hits.clear()
        for h in found:
            item = QListWidgetItem(hit_text(h))
            item.setData(Qt.ItemDataRole.UserRole, h)
            self.hits.addItem(item)
        self.hits.setVisible(bool(found))
        if found:
            self.hits.setCurrentRow(0)
        else:
            self.note.setText(f"No active medicine matches {text!r}.")
            self.note.show()

    def _enter(self) -> None:
        if self._debounce.isActive():  # Enter before the search ran: search now, add the first hit when it comes
            self._debounce.stop()
            text = self.edit.text().strip()
            if len(text) >= 2:
                ctx = self.session.ctx
                background(self, lambda: find_medicines(ctx, text, limit=HITS),
                           done=lambda found: self._first(text, found), failed=self._failed)  # fmt: skip
            return
        item = self.hits.currentItem()
        if item is not None:
            self._pick(item)

    def _first(self, text: str, found: list[MedicineStock]) -> None:
        self._hits(text, found)
        if isValid(self) and found and text == self.edit.text().strip():
            self._pick(self.hits.item(0))

    def _pick(self, item: QListWidgetItem) -> None:
        hit: Any = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(hit, MedicineStock):
            self.clear()
            self.chosen.emit(hit)
