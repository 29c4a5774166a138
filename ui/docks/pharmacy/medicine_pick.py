"""Finding a medicine at the counter: brand or generic name as you type, or its code or barcode
(``stock_views.find_medicines``), each hit with what is on the shelf and its schedule badge. Enter (or a double
click) takes the highlighted hit; Down moves from the field into the hits."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.pharmacy.stock_views import MedicineStock, find_medicines
from ui.docks.pharmacy.common import Facts, message_of
from ui.qt import (
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


def hit_text(m: MedicineStock) -> str:
    f = Facts.of(m)
    stock = f.quantity(m.on_hand).split(" (")[0] + " on hand" if m.on_hand else "none on hand"
    expired = f", {m.expired} expired" if m.expired else ""
    return f"{f.label}  -  {m.form}, {stock}{expired}"


class MedicinePick(QWidget):
    picked = Signal(object)  # a MedicineStock

    def __init__(self, session: AppSession, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.search = QLineEdit()
        self.search.setObjectName(name)
        self.search.setPlaceholderText("Medicine: brand or generic name, code or barcode (Enter adds the first)")
        self.search.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setObjectName(name + "Hits")
        self.hits.setMaximumHeight(110)
        self.hits.hide()
        self.hits.itemActivated.connect(self._take)
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.search)
        box.addWidget(self.hits)
        box.addWidget(self.message)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._find)
        self.search.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        if obj is self.search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.hits.count():
                self.hits.setFocus()
                return True
        return False

    def _find(self) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.hits.clear()
            self.hits.hide()
            return
        background(self, find_medicines, self.session.ctx, text, done=lambda hits: self._show(text, hits),
            failed=self._failed)  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.message.setText(message_of(exc))
            self.message.show()

    def _show(self, text: str, hits: list[MedicineStock]) -> None:
        if not isValid(self) or text != self.search.text().strip():
            return
        self.message.hide()
        self.hits.clear()
        for m in hits:
            item = QListWidgetItem(hit_text(m))
            item.setData(Qt.ItemDataRole.UserRole, m)
            self.hits.addItem(item)
        self.hits.setVisible(bool(hits))
        if hits:
            self.hits.setCurrentRow(0)
        else:
            self.message.setText(f"No medicine in the catalogue matches {text!r}.")
            self.message.show()

    def _enter(self) -> None:
        if self._debounce.isActive():  # typed faster than the search: look first, then take the first hit
            self._debounce.stop()
            text = self.search.text().strip()
            if len(text) >= 2:
                background(self, find_medicines, self.session.ctx, text,
                    done=lambda hits: self._show_and_take(text, hits), failed=self._failed)  # fmt: skip
            return
        item = self.hits.currentItem()
        if item is not None:
            self._take(item)

    def _show_and_take(self, text: str, hits: list[MedicineStock]) -> None:
        self._show(text, hits)
        if isValid(self) and hits and text == self.search.text().strip():
            self._take(self.hits.item(0))

    def _take(self, item: QListWidgetItem) -> None:
        self.picked.emit(item.data(Qt.ItemDataRole.UserRole))
        self.search.clear()
        self.hits.clear()
        self.hits.hide()
        self.message.hide()
