"""What the Stock, Alerts, Adjustments and Counts tabs share: the tab base that refreshes from the change broadcast
only while shown, quantities in the medicine's unit with its packs ("35 tablets (2 strips of 15 + 5)"), money
and expiry dates as shown on the pack, expiry colours, and a medicine finder (search as you type)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.money import rupees_text
from hms_desktop.services.inventory.alerts import add_months
from hms_desktop.services.pharmacy.catalog_rules import units_text
from hms_desktop.services.pharmacy.stock_views import MedicineStock, find_medicines
from ui import clinic_time
from ui.docks.admin.common import table
from ui.qt import (
    QBrush,
    QColor,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, error_text

DEBOUNCE_MS = 150
EXPIRED_COLOURS = ("#b00020", "#fde7e9")  # text, background
NEAR_COLOURS = ("#8a4b00", "#fff4d6")
ERROR_STYLE = "color: #b00020;"
DONE_STYLE = "color: #1b5e20;"


class LiveTab(QWidget):
    """A tab that reads the store when it is shown and again when a table it shows (``WATCHED``) changes, here
    or through sync; hidden, it only marks itself stale. A read already on its way is followed by one more,
    never by a second overlapping one. Subclasses implement ``fetch`` (one ``self.load(...)`` call)."""

    WATCHED: tuple[str, ...] = ()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.busy = False
        self.dirty = True  # nothing read yet
        session.changes.changed.connect(self.on_changes)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if isValid(self) and changes.touches(*self.WATCHED):
            self.dirty = True
            self.refresh()

    def refresh(self) -> None:
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        self.fetch()

    def fetch(self) -> None:
        raise NotImplementedError

    def load(self, fn: Callable[..., Any], *args: Any, show: Callable[[Any], None], **kw: Any) -> None:
        """``fn(ctx, *args, **kw)`` on the worker; ``show(result)`` unless the store changed meanwhile."""
        ctx = self.session.ctx

        def done(result: Any) -> None:
            if not isValid(self):
                return
            self.busy = False
            if self.dirty:
                self.refresh()
                return
            show(result)

        def failed(exc: BaseException) -> None:
            if isValid(self):
                self.busy = False
                self.load_failed(error_text(exc))

        background(self, lambda: fn(ctx, *args, **kw), done=done, failed=failed)

    def load_failed(self, message: str) -> None:
        """A read was refused or failed: say so where the tab shows its state."""


def grid(name: str, headers: Sequence[str], stretch: int = 0) -> QTableWidget:
    """A read-only list whose column ``stretch`` takes the room left (the others fit their contents)."""
    t = table(name, headers)
    t.horizontalHeader().setStretchLastSection(False)
    t.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


def medicine_text(name: str, strength: str) -> str:
    """Brand and strength, the strength left out when the brand already says it ("Dolo 650", not "Dolo 650 650
    mg"; "Ascoril LS Syrup 2 mg/5 ml")."""
    number = re.match(r"\s*(\d+(?:\.\d+)?)", strength or "")
    if not strength or (number is not None and number.group(1) in name.split()):
        return name
    return f"{name} {strength}"


def plural(unit: str) -> str:
    return units_text(2, unit).split(" ", 1)[1]


def pack_name(form: str, unit: str, pack_size: int) -> str:
    """What one pack is: "strip", "bottle", "pack" (of ``pack_size`` units)."""
    if form in ("tablet", "capsule") and unit in ("tablet", "capsule"):
        return "strip" if pack_size <= 30 else "bottle"
    return "bottle" if form in ("syrup", "drops") else "pack"


def pack_text(form: str, unit: str, pack_size: int) -> str:
    """ "strip of 15 tablets", "bottle" (a pack of one unit is the unit)."""
    if pack_size <= 1:
        return unit
    return f"{pack_name(form, unit, pack_size)} of {pack_size} {plural(unit)}"


def quantity_text(units: int, unit: str, pack_size: int, form: str = "tablet") -> str:
    """``35, "tablet", 15`` -> "35 tablets (2 strips of 15 + 5)"; a pack of one unit: "3 bottles"."""
    text = units_text(units, unit)
    packs, loose = divmod(abs(units), pack_size) if pack_size > 1 else (0, 0)
    if packs == 0:
        return text
    rest = f" + {loose}" if loose else ""
    return f"{text} ({units_text(packs, pack_name(form, unit, pack_size))} of {pack_size}{rest})"


def rupees(paise: int) -> str:
    return f"Rs {rupees_text(paise)}"


def show_date(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value is not None else ""


def expiry_state(expiry: date) -> str:
    """ "expired", "near" (within 3 calendar months of the clinic's today) or ""."""
    today = clinic_time.today()
    if expiry < today:
        return "expired"
    return "near" if expiry <= add_months(today, 3) else ""


def tint(item: QTableWidgetItem, state: str) -> QTableWidgetItem:
    """Colour a cell by its expiry state (expired red, near expiry amber)."""
    colours = EXPIRED_COLOURS if state == "expired" else NEAR_COLOURS if state == "near" else None
    if colours is not None:
        item.setForeground(QBrush(QColor(colours[0])))
        item.setBackground(QBrush(QColor(colours[1])))
    return item


def cell(text: str, key: Any = None, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if key is not None:
        item.setData(Qt.ItemDataRole.UserRole, key)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def say(label: QLabel, text: str, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet(ERROR_STYLE if error else DONE_STYLE)
    label.setVisible(bool(text))


def medicine_label(m: MedicineStock) -> str:
    sched = f"  [Sch {m.schedule}]" if m.schedule != "none" else ""
    generic = f"  -  {m.generic_name}" if m.generic_name else ""
    return f"{medicine_text(m.name, m.strength)}{generic}  ({m.code}){sched}"


class MedicineFinder(QWidget):
    """A search box with the medicines found as you type (brand, generic name, code or barcode); Enter or a
    double click picks the highlighted one (``picked``), Down moves into the list."""

    picked = Signal(object)  # a MedicineStock

    def __init__(self, session: AppSession, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.edit = QLineEdit()
        self.edit.setObjectName(name)
        self.edit.setPlaceholderText("Brand, generic name, code or barcode")
        self.edit.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setObjectName(f"{name}Hits")
        self.hits.setMaximumHeight(110)
        self.hits.hide()
        self.hits.itemActivated.connect(self._pick)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.edit)
        box.addWidget(self.hits)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._search)
        self.edit.textChanged.connect(lambda _t: self._timer.start(DEBOUNCE_MS))
        self.edit.returnPressed.connect(self._enter)
        self.found: list[MedicineStock] = []
        self.pending_enter = False  # Enter pressed before the search answered: pick its first hit

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Down and self.hits.isVisible():
            self.hits.setFocus()
            return
        super().keyPressEvent(event)

    def _search(self) -> None:
        text = self.edit.text().strip()
        if len(text) < 2:
            self._show(text, [])
            return
        ctx = self.session.ctx
        background(self, lambda: find_medicines(ctx, text, limit=15), done=lambda hits: self._show(text, hits))

    def _show(self, text: str, hits: list[MedicineStock]) -> None:
        if not isValid(self) or text != self.edit.text().strip():
            return
        self.found = hits
        self.hits.clear()
        for h in hits:
            item = QListWidgetItem(f"{medicine_label(h)}   {quantity_text(h.on_hand, h.unit, h.pack_size, h.form)}")
            item.setData(Qt.ItemDataRole.UserRole, h)
            self.hits.addItem(item)
        self.hits.setVisible(bool(hits))
        if hits:
            self.hits.setCurrentRow(0)
        if self.pending_enter:
            self.pending_enter = False
            self._enter()

    def _enter(self) -> None:
        if self._timer.isActive():  # typed and Enter at once: search first, then pick
            self._timer.stop()
            self.pending_enter = True
            self._search()
            return
        item = self.hits.currentItem()
        if item is not None:
            self._pick(item)

    def _pick(self, item: QListWidgetItem) -> None:
        medicine: MedicineStock = item.data(Qt.ItemDataRole.UserRole)
        self.hits.hide()
        self.edit.blockSignals(True)
        self.edit.setText(medicine_text(medicine.name, medicine.strength))
        self.edit.blockSignals(False)
        self.picked.emit(medicine)

    def clear(self) -> None:
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.hits.clear()
        self.hits.hide()
