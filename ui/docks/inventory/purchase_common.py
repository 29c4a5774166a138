"""What the Suppliers, Purchase orders and Receipts tabs share: money, dates and packs as the screens show them,
what a typed cell means (packs, rupees, an expiry as printed on a pack), read-only lists, the editable grid whose
Tab and Enter move from one editable cell to the next, and a tab that refreshes itself from the change broadcast
only while it is visible."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees, rupees_text
from hms_desktop.services.pharmacy.catalog_rules import units_text
from ui import clinic_time
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QDate,
    QDateEdit,
    QHeaderView,
    QLabel,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, error_text

KEY = Qt.ItemDataRole.UserRole
NO_DATE = QDate(2000, 1, 1)  # an optional date picker at this date shows "none"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
BAD_CELL = "#fde2e4"
FIXED_CELL = "#eef2f5"  # a grid's cell that is not typed in
STATUS_TEXT = {
    "draft": "Draft",
    "sent": "Sent",
    "partially_received": "Partly received",
    "received": "Received",
    "closed": "Closed",
    "cancelled": "Cancelled",
    "posted": "Posted",
}
LINE_NO = re.compile(r"\bLine (\d+)\b")


def money(paise: int) -> str:
    return f"Rs {rupees_text(paise)}"


def show_date(value: date | None, none: str = "") -> str:
    return value.strftime("%d %b %Y") if value is not None else none


def expiry_text(value: date) -> str:
    """``06/2028`` for a month's last day (as packs print it), else ``15/06/2028``."""
    last = calendar.monthrange(value.year, value.month)[1]
    return f"{value:%m/%Y}" if value.day == last else f"{value:%d/%m/%Y}"


def parse_expiry(text: str) -> date | None:
    """An expiry typed as printed: ``06/2028`` or ``6/28`` (the month's last day), or ``15/06/2028``."""
    parts = [p for p in re.split(r"[/.\-\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts) or len(parts) not in (2, 3):
        return None
    numbers = [int(p) for p in parts]
    year = numbers[-1] + (2000 if numbers[-1] < 100 else 0)
    month = numbers[-2]
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    last = calendar.monthrange(year, month)[1]
    day = numbers[0] if len(numbers) == 3 else last
    return date(year, month, day) if 1 <= day <= last else None


def parse_count(text: str, blank: int | None = None) -> int | None:
    """A whole number of packs ("12", "1,200"); ``blank`` for an empty cell; None when it is not one."""
    clean = text.strip().replace(",", "")
    if not clean:
        return blank
    return int(clean) if clean.isdigit() else None


def parse_paise(text: str) -> int | None:
    """Rupees as typed ("33.60", "Rs 1,250") in paise; None when it is not an amount."""
    clean = text.strip().removeprefix("Rs").removeprefix("Rs.").strip()
    if not clean:
        return None
    try:
        return clean_rupees(clean)
    except ValidationError:
        return None


def rupees_cell(paise: int | None) -> str:
    return "" if paise is None else f"{Decimal(paise) / 100:.2f}"


def container(form: str, unit: str, pack_size: int) -> str:
    """What one pack is called: strip, bottle, pack (the purchase services' ``pack_label``, from a screen's view)."""
    if pack_size == 1:
        return unit
    if form in ("tablet", "capsule") and unit in ("tablet", "capsule"):
        return "strip" if pack_size <= 30 else "bottle"
    return "bottle" if form in ("syrup", "drops") or unit == "bottle" else "pack"


def pack_text(form: str, unit: str, pack_size: int) -> str:
    """``strip of 15 tablets``; ``vial`` for a pack of one."""
    if pack_size == 1:
        return unit
    return f"{container(form, unit, pack_size)} of {units_text(pack_size, unit)}"


def stock_text(units: int, form: str, unit: str, pack_size: int) -> str:
    """``150 tablets (10 strips of 15)``, ``20 tablets (1 strip of 15 + 5)``, ``6 bottles``."""
    if pack_size == 1 or units == 0:
        return units_text(units, unit)
    packs, rest = divmod(units, pack_size)
    name = container(form, unit, pack_size)
    if packs == 0:
        return units_text(units, unit)
    plural = "" if packs == 1 else ("es" if name.endswith(("x", "ch", "sh", "s")) else "s")
    extra = f" + {rest}" if rest else ""
    return f"{units_text(units, unit)} ({packs} {name}{plural} of {pack_size}{extra})"


def line_of(message: str) -> int:
    """The 0-based line a service's message names ("Line 2: ..."), or -1."""
    m = LINE_NO.search(message)
    return int(m.group(1)) - 1 if m else -1


def message_of(exc: BaseException) -> str:
    return error_text(exc)


def say(label: QLabel, text: str, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
    label.setVisible(bool(text))


def note_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


def button(text: str, name: str, slot: Callable[[], object], tip: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(lambda _=False: slot())
    if tip:
        b.setToolTip(tip)
    return b


def date_edit(name: str, optional: bool = False) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd-MM-yyyy")
    if optional:
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("none")
        edit.setDate(NO_DATE)
    else:
        edit.setDate(clinic_time.qtoday())
    return edit


def date_of(edit: QDateEdit) -> date | None:
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return None
    return clinic_time.day_of(edit.date())


def set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(edit.minimumDate() if value is None else QDate(value.year, value.month, value.day))


def list_table(name: str, headers: Sequence[str], stretch: int) -> QTableWidget:
    """A read-only list: whole rows, one at a time; Tab leaves it, arrows move in it."""
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(headers))
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    t.verticalHeader().hide()
    t.setTabKeyNavigation(False)
    t.setWordWrap(False)
    return t


def cell(
    text: str, right: bool = False, editable: bool = False, tip: str = "", shade: bool = False
) -> QTableWidgetItem:
    """A table cell; ``shade``: a grid's fixed cell, greyed so the eye finds the cells to type in."""
    item = QTableWidgetItem(text)
    if shade:
        item.setBackground(QBrush(QColor(FIXED_CELL)))
    if right:
        item.setTextAlignment(RIGHT)
    if not editable:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tip:
        item.setToolTip(tip)
    return item


def fill(t: QTableWidget, rows: Sequence[Sequence[QTableWidgetItem | str]], keys: Sequence[Any]) -> None:
    """Replace the rows (each remembers its key); the selection stays on the same key, without a signal."""
    current = key_of(t)
    t.blockSignals(True)
    t.clearSelection()
    t.setRowCount(len(rows))
    for r, (cells, key) in enumerate(zip(rows, keys, strict=True)):
        for c, value in enumerate(cells):
            item = value if isinstance(value, QTableWidgetItem) else cell(value)
            if c == 0:
                item.setData(KEY, key)
            t.setItem(r, c, item)
    select_key(t, current)
    t.blockSignals(False)


def select_key(t: QTableWidget, key: Any) -> bool:
    for r in range(t.rowCount()):
        item = t.item(r, 0)
        if key is not None and item is not None and item.data(KEY) == key:
            t.selectRow(r)
            return True
    return False


def key_of(t: QTableWidget) -> Any:
    if not t.selectionModel().hasSelection():
        return None
    item = t.item(t.currentRow(), 0)
    return item.data(KEY) if item is not None else None


class WatchedTab(QWidget):
    """A tab whose list is fetched when it is first shown, and again when a table it shows (``WATCHED``) changes,
    here or on another PC; while hidden it only notes that it is stale. A fetch on its way is followed by one
    more, never by a second overlapping one."""

    WATCHED: tuple[str, ...] = ()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.busy = False
        self.dirty = True
        session.changes.changed.connect(self.on_changes)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*self.WATCHED):
            self.dirty = True
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        background(self, self.fetch, done=self._arrived, failed=self._failed_fetch)

    def _arrived(self, result: Any) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:
            self.refresh()
            return
        self.loaded(result)

    def _failed_fetch(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.fetch_failed(message_of(exc))

    def fetch(self) -> Any:
        """Runs on the worker: read what the tab lists."""
        raise NotImplementedError

    def loaded(self, result: Any) -> None:
        """On the UI thread: show what ``fetch`` read."""

    def fetch_failed(self, message: str) -> None:
        """On the UI thread: the list could not be read."""
