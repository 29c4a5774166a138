"""The day's board of optical orders: a column per step (Draft, Confirmed, Sent to lab, Back from lab, Ready to
collect) with every open order whatever day it was taken, and the orders delivered or cancelled today
(``order_views.order_board``). Each card shows the order's code, the patient and the promised date; an order
past its promised date and not delivered is shown in red AND says so in words ("Overdue 2 days"), so it reads
the same to someone who does not see the colour.

Keyboard: Alt+N a new order (Ctrl+N is the window's New patient); the find field has the keys when the board
shows (an order's code, the patient's name or code, or the job card's barcode scanned: Enter opens the first card
that matches; Down goes to the cards); in a column, Up/Down move between cards, Left/Right to the next column,
Enter opens the card. Refreshed from the change broadcast, only while shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.optical.order_views import OrderSummary, order_board
from ui.docks.optical.order_common import DUE_TODAY_FG, MUTED, OVERDUE_BG, OVERDUE_FG, due_text, plural, rs, shortcut
from ui.docks.pharmacy.common import message_of
from ui.qt import (
    QBrush,
    QColor,
    QEvent,
    QFrame,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

WATCHED = ("optical_orders", "optical_order_items", "optical_status_events", "patients")
DONE = "done"
# (key, title): the board's columns; the last holds today's delivered and cancelled orders
COLUMNS: tuple[tuple[str, str], ...] = (
    ("draft", "Draft"),
    ("confirmed", "Confirmed"),
    ("in_lab", "Sent to lab"),
    ("received", "Back from lab"),
    ("ready", "Ready to collect"),
    (DONE, "Delivered today"),
)
# the list is the column's background; each card is an item in its own colour (white, or red when overdue):
# no ``::item`` rule, which would paint over the item's colour
CARD_STYLE = "QListWidget { background: #e3eaf0; border: none; }"
CARD_BG = "#ffffff"


def card_text(s: OrderSummary) -> str:
    """The card's short lines (no wrapping, so every card is as tall as its lines): code, patient, the promised
    date or how late it is in words (or how it ended today), a remake."""
    lines = [s.code, s.patient_name]
    if s.status == "delivered":
        lines.append("Delivered")
    elif s.status == "cancelled":
        lines.append("Cancelled")
    else:
        lines.append(due_text(s.promised_date, s.overdue))
        if s.overdue and s.promised_date is not None:
            lines.append(f"promised {s.promised_date:%d %b}")
    if s.remake_count:
        lines.append(f"Remake {s.remake_count}")
    return "\n".join(lines)


def card_tip(s: OrderSummary) -> str:
    promised = f"promised {s.promised_date:%d %b %Y}" if s.promised_date else "no promised date"
    return (f"{s.code}: {s.patient_name} ({s.patient_code})\n{s.items_text or 'no lines'}\n"
            f"{s.status_label}, {promised}, {rs(s.total_paise)}")  # fmt: skip


class Board(QWidget):
    opened = Signal(object)  # the id of the order chosen
    new_order = Signal()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.summaries: dict[str, list[OrderSummary]] = {key: [] for key, _ in COLUMNS}
        self.busy = False
        self.dirty = True
        self.search = QLineEdit()
        self.search.setObjectName("boardFind")
        self.search.setPlaceholderText(
            "Find an order: its code, the patient's name or code, or scan the job card (Enter opens it)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._filter())
        self.search.returnPressed.connect(self.open_first_match)
        self.new_button = QPushButton("New order")
        self.new_button.setObjectName("newOrder")
        self.new_button.setToolTip("A new optical order (Alt+N)")
        self.new_button.clicked.connect(lambda _=False: self.new_order.emit())
        self.new_button.setVisible(session.can("optical.orders"))
        self.count = QLabel()
        self.count.setObjectName("boardCount")
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.hide()
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addWidget(self.new_button)
        row = QHBoxLayout()
        row.setSpacing(6)
        self.lists: dict[str, QListWidget] = {}
        self.titles: dict[str, QLabel] = {}
        for key, title in COLUMNS:
            row.addWidget(self._column(key, title), 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.message)
        box.addLayout(row, 1)
        shortcut(self, "Alt+N", lambda: self.new_order.emit() if self.new_button.isVisible() else None)
        self.search.installEventFilter(self)
        session.changes.changed.connect(self.on_changes)
        if not session.can("optical.view"):
            self.message.setText("Your role may take optical orders but not see the board (optical.view).")
            self.message.show()

    def _column(self, key: str, title: str) -> QWidget:
        frame = QFrame()
        frame.setObjectName(f"boardColumn_{key}")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        head = QLabel()
        head.setObjectName(f"boardTitle_{key}")
        head.setWordWrap(True)
        self.titles[key] = head
        cards = QListWidget()
        cards.setObjectName(f"board_{key}")
        cards.setWordWrap(False)
        cards.setSpacing(3)
        cards.setTextElideMode(Qt.TextElideMode.ElideRight)
        cards.setStyleSheet(CARD_STYLE)
        cards.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        cards.itemActivated.connect(lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        cards.installEventFilter(self)
        self.lists[key] = cards
        self._title(key, title, 0, 0)
        box = QVBoxLayout(frame)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(head)
        box.addWidget(cards, 1)
        return frame

    def _title(self, key: str, title: str, n: int, late: int) -> None:
        extra = f", <span style='color:{OVERDUE_FG}'>{late} overdue</span>" if late else ""
        self.titles[key].setText(f"<b>{title}</b> ({n}{extra})")

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        """Down from the find field goes to the first column with cards; Left/Right in a column to the next
        column with cards (at the same height when it has one)."""
        if not (isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress):
            return False
        if obj is self.search and event.key() == Qt.Key.Key_Down:
            first = next((w for w in self.lists.values() if w.count()), None)
            if first is not None:
                first.setFocus()
                first.setCurrentRow(0)
            return first is not None
        if isinstance(obj, QListWidget):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
            if step is not None:
                keys = [k for k, _ in COLUMNS]
                i = keys.index(next(k for k, w in self.lists.items() if w is obj)) + step
                while 0 <= i < len(keys) and not self.lists[keys[i]].count():
                    i += step
                if 0 <= i < len(keys):
                    target = self.lists[keys[i]]
                    target.setFocus()
                    target.setCurrentRow(min(max(obj.currentRow(), 0), target.count() - 1))
                return True
        return False

    # --- reading the board

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if not self.session.can("optical.view"):
            return
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        background(self, order_board, self.session.ctx, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.message.setText(message_of(exc))
        self.message.show()

    def _show(self, board: dict[str, list[OrderSummary]]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:
            self.refresh()
            return
        self.message.hide()
        for key, title in COLUMNS:
            found = [*board.get("delivered", []), *board.get("cancelled", [])] if key == DONE else board.get(key, [])
            self.summaries[key] = found
            self._fill(key, found)
            self._title(key, title, len(found), sum(s.overdue for s in found))
        open_ = sum(len(v) for k, v in self.summaries.items() if k != DONE)
        late = sum(s.overdue for k, v in self.summaries.items() if k != DONE for s in v)
        self.count.setText(f"{plural(open_, 'open order')}" + (f", {late} overdue" if late else ""))
        self._filter()

    def _fill(self, key: str, found: list[OrderSummary]) -> None:
        cards = self.lists[key]
        chosen = cards.currentItem().data(Qt.ItemDataRole.UserRole) if cards.currentItem() else None
        cards.clear()
        for s in found:
            item = QListWidgetItem(card_text(s))
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setToolTip(card_tip(s))
            if s.overdue:
                item.setBackground(QBrush(QColor(OVERDUE_BG)))
                item.setForeground(QBrush(QColor(OVERDUE_FG)))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            else:
                item.setBackground(QBrush(QColor(CARD_BG)))
            if s.status == "cancelled":
                item.setForeground(QBrush(QColor(MUTED)))
            elif s.status not in ("delivered", "cancelled") and due_text(s.promised_date, False) == "Due today":
                item.setForeground(QBrush(QColor(DUE_TODAY_FG)))
            cards.addItem(item)
            if s.id == chosen:
                cards.setCurrentItem(item)

    # --- finding

    def matches(self, s: OrderSummary) -> bool:
        text = self.search.text().strip().casefold()
        return not text or any(text in x.casefold() for x in (s.code, s.patient_name, s.patient_code))

    def _filter(self) -> None:
        for key, _title in COLUMNS:
            cards = self.lists[key]
            for i, s in enumerate(self.summaries[key]):
                item = cards.item(i)
                if item is not None:
                    item.setHidden(not self.matches(s))

    def open_first_match(self) -> None:
        if not self.search.text().strip():
            return
        for key, _title in COLUMNS:
            hit = next((s for s in self.summaries[key] if self.matches(s)), None)
            if hit is not None:
                self.opened.emit(hit.id)
                return

    def column_of(self, order_id: uuid.UUID) -> str | None:
        """The column (status key, or "done") that shows ``order_id``, if any."""
        return next((k for k, v in self.summaries.items() if any(s.id == order_id for s in v)), None)

    def card(self, order_id: uuid.UUID) -> str:
        """The text of the card of ``order_id`` ("" when the board does not show it)."""
        for key, found in self.summaries.items():
            for i, s in enumerate(found):
                if s.id == order_id:
                    item = self.lists[key].item(i)
                    return item.text() if item is not None else ""
        return ""
