"""The waiting-room display: a TV on a second screen showing, per doctor, the token being served and the
next few, readable from across the room. Tokens and first names only: a public screen never shows a full
name or a patient code ("Ravi K.").

It refreshes when the store says the queue changed (``session.changes``: a check-in or a call on this PC, or
one synced from another), at the clinic's midnight, and a few seconds after a failed fetch; it never polls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.context import Context
from hms_desktop.services.reception.doctors import list_doctors
from hms_desktop.services.reception.queue import QueueEntryView, queue_for
from ui.qt import (
    QCursor,
    QFrame,
    QGridLayout,
    QGuiApplication,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QScreen,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import AppSession
from ui.worker import error_text, worker

RETRY_MS = 5000  # after a failed fetch
WATCHED = ("appointment_queue", "appointments", "patients", "doctors")
NEXT_TOKENS = 5

STYLE = """
QWidget#waitingRoom { background: #000000; }
QLabel { color: #ffffff; }
QLabel#waitingClock, QLabel#servingToken { color: #ffd54f; }
QLabel#waitingStatus { color: #ff8a80; }
QLabel#caption { color: #cfd8dc; }
QFrame#doctorCard { background: #0d1b2a; border: 4px solid #ffd54f; border-radius: 24px; }
"""
# Font pixel sizes on a 1080-line screen with one row of cards; scaled to the screen and the rows of cards.
FONT_PX = {
    "waitingTitle": 48,
    "waitingClock": 56,
    "waitingEmpty": 56,
    "waitingStatus": 24,
    "doctorName": 52,
    "caption": 32,
    "servingToken": 180,
    "servingName": 44,
    "nextToken": 44,
}
BOLD = frozenset({"waitingTitle", "waitingClock", "doctorName", "servingToken", "nextToken"})
MARGIN, CARD_MARGIN, CARD_SPACING, GRID_SPACING = 32, 28, 10, 32  # pixels at scale 1


def columns_for(cards: int) -> int:
    return 1 if cards <= 1 else 2 if cards in (2, 4) else 3


def apply_scale(root: QWidget, scale: float) -> None:
    """Fonts, margins and spacing of ``root`` and its cards at ``scale`` (1 = a 1080-line screen)."""
    for label in root.findChildren(QLabel):
        px = FONT_PX.get(label.objectName())
        if px is None:
            continue
        font = label.font()
        font.setPixelSize(max(8, round(px * scale)))
        font.setBold(label.objectName() in BOLD)
        label.setFont(font)
    for frame in [root, *root.findChildren(QFrame, "doctorCard")]:
        layout = frame.layout()
        if isinstance(layout, QVBoxLayout):
            margin = round((CARD_MARGIN if frame is not root else MARGIN) * scale)
            layout.setContentsMargins(margin, round(margin * 0.75), margin, round(margin * 0.75))
            layout.setSpacing(round(CARD_SPACING * scale))


def fit_scale(height: int, cards: list[Card]) -> float:
    """As large as a window ``height`` pixels tall allows with every row of cards on it (measured on a card at
    scale 1; scale 1 is a 1080-line screen)."""
    top = height / 1080
    if not cards:
        return top
    rows = -(-len(cards) // columns_for(len(cards)))
    probe = card_widget(max(cards, key=lambda c: len(c.next)))
    apply_scale(probe, 1.0)
    card_h = probe.sizeHint().height()
    probe.deleteLater()
    header_h = round(FONT_PX["waitingClock"] * 1.25)
    need = 2 * MARGIN + header_h + CARD_SPACING + rows * card_h + (rows - 1) * GRID_SPACING
    return max(0.25, min(top, 0.95 * height / need))


def public_name(full_name: str) -> str:
    """First name and the initial of the last: "Ravi Kumar" -> "Ravi K."."""
    parts = full_name.split()
    if not parts:
        return ""
    first = parts[0][:16]
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


@dataclass(frozen=True)
class Card:
    doctor_id: uuid.UUID
    doctor_name: str
    serving: tuple[str, str] | None  # (token, public name)
    next: tuple[tuple[str, str], ...]


def _public(e: QueueEntryView) -> tuple[str, str]:
    return e.token_label, public_name(e.patient_name)


def board(ctx: Context) -> list[Card]:
    """Runs on the worker: the cards of every active doctor with a queue today, names already made public."""
    cards = []
    for doctor in list_doctors(ctx):
        q = queue_for(ctx, doctor.id)
        if q.serving is None and not q.waiting:
            continue
        serving = _public(q.serving) if q.serving else None
        cards.append(Card(doctor.id, q.doctor_name, serving, tuple(_public(e) for e in q.waiting[:NEXT_TOKENS])))
    return cards


def _label(text: str, name: str, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setAlignment(align)
    # Text never widens the window past its screen (full screen would be dropped): it wraps or is cut instead.
    if name != "waitingClock":  # the clock is short and must always show
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setWordWrap(name not in ("servingToken", "nextToken", "waitingClock"))
    return label


def card_widget(card: Card) -> QFrame:
    frame = QFrame()
    frame.setObjectName("doctorCard")
    layout = QVBoxLayout(frame)
    layout.addWidget(_label(card.doctor_name, "doctorName"))
    layout.addWidget(_label("Now serving", "caption"))
    token, name = card.serving if card.serving else (None, "")
    layout.addWidget(_label("-" if token is None else str(token), "servingToken"))
    layout.addWidget(_label(name, "servingName"))
    layout.addWidget(_label("Next" if card.next else "Nobody waiting", "caption"))
    for token_no, who in card.next:
        row = QHBoxLayout()
        row.addWidget(_label(str(token_no), "nextToken", Qt.AlignmentFlag.AlignLeft), 1)
        row.addWidget(_label(who, "nextToken", Qt.AlignmentFlag.AlignRight), 3)
        layout.addLayout(row)
    layout.addStretch(1)
    return frame


class WaitingRoomWindow(QWidget):
    """Esc leaves full screen, or closes the display when it is not full screen; F11 toggles full screen;
    Ctrl+W and Ctrl+Q close it. It never keeps the application running (quitting closes it too)."""

    closed = Signal()

    def __init__(self, session: AppSession) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.session = session
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)  # the main window's close ends the app
        self.setObjectName("waitingRoom")
        self.setWindowTitle("HMS Desktop - Waiting room")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.cards: list[Card] | None = None
        self.busy = False  # a refresh is on the worker: a change meanwhile fetches again once it is back
        self.pending = False
        self.shown_day: date | None = None
        self.refreshes = 0
        # False once the window is closed or deleted: a refresh still on the worker then delivers to nobody.
        self.live = [True]
        live = self.live
        self.destroyed.connect(lambda *_: live.__setitem__(0, False))

        self.title = _label("Please wait for your token", "waitingTitle", Qt.AlignmentFlag.AlignLeft)
        self.clock = _label("", "waitingClock", Qt.AlignmentFlag.AlignRight)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.clock)
        self.grid_host = QWidget()
        # Never taller than the screen: fonts are fitted to the rows of cards instead (see fit_scale).
        self.grid_host.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.grid = QGridLayout(self.grid_host)
        self.empty = _label("No queues right now", "waitingEmpty")
        self.status = _label("", "waitingStatus")
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.grid_host, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.status)
        self.grid_host.hide()

        session.changes.changed.connect(self.on_changes)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self.tick_clock)
        self.tick_clock()
        self.fit()

    # --- showing

    def target_screen(self) -> QScreen | None:
        """A screen other than the primary one, if there is one."""
        primary = QGuiApplication.primaryScreen()
        others = [s for s in QGuiApplication.screens() if s is not primary]
        return others[0] if others else None

    def fit(self) -> None:
        scale = fit_scale(max(200, self.height()), self.cards or [])
        apply_scale(self, scale)
        self.grid.setSpacing(round(GRID_SPACING * scale))

    def show_on_second_screen(self) -> None:
        screen = self.target_screen()
        if screen is None:
            self.resize(1280, 720)
            self.show()
        else:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
            self.showFullScreen()
            self.setCursor(QCursor(Qt.CursorShape.BlankCursor))
        self.raise_()

    def start(self) -> None:
        self.live[0] = True
        self.refresh()
        self.clock_timer.start()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Showing the window (however it is shown) starts the refreshes; closing it stops them."""
        super().showEvent(event)
        if not self.clock_timer.isActive():
            self.start()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
            self.unsetCursor()
        elif event.key() == Qt.Key.Key_Escape or (ctrl and event.key() in (Qt.Key.Key_W, Qt.Key.Key_Q)):
            self.close()
        elif event.key() == Qt.Key.Key_F11:
            if self.isFullScreen():
                self.showNormal()
                self.unsetCursor()
            else:
                self.showFullScreen()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.live[0] = False
        self.clock_timer.stop()
        super().closeEvent(event)
        self.closed.emit()

    # --- refreshing

    def tick_clock(self) -> None:
        now = self.session.clock.now().astimezone(self.session.zone)  # the clinic's time, whoever signed in
        self.clock.setText(now.strftime("%I:%M %p").lstrip("0"))
        if self.shown_day is not None and now.date() != self.shown_day and self.clock_timer.isActive():
            self.refresh()  # midnight: today's queues

    def on_changes(self, changes: Changes) -> None:
        if not self.live[0] or not self.clock_timer.isActive() or not changes.touches(*WATCHED):
            return
        if not self.refresh():
            self.pending = True

    def refresh(self) -> bool:
        """Fetch the board on the DB worker; False (and nothing queued) while the last refresh is still out.

        ``worker().submit`` rather than ``run``: ``run`` puts up a progress dialog with Cancel after 300 ms,
        which must never appear on a public screen."""
        if self.busy:
            return False
        self.shown_day = self.session.clock.now().astimezone(self.session.zone).date()
        if not (self.session.actor.can("queue.view") and self.session.actor.can("doctors.view")):
            # Asking anyway would write a permission_denied audit row at every change.
            self.status.setText("This sign-in cannot see the queue (it needs queue.view and doctors.view).")
            self.status.show()
            return False
        self.busy = True
        ctx = self.session.ctx
        worker().submit(lambda: board(ctx), done=self._arrived, failed=self._failed, owner=self)
        return True

    def _arrived(self, cards: list[Card]) -> None:
        self.busy = False
        self.refreshes += 1
        if not self.live[0]:
            return
        if self.pending:
            self.pending = False
            self.refresh()
        self.status.hide()
        if cards != self.cards:
            self.cards = cards
            self._show_cards(cards)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.refreshes += 1
        if not self.live[0]:
            return
        self.status.setText(f"Display not updated: {error_text(exc)}")
        self.status.show()
        QTimer.singleShot(RETRY_MS, lambda: self.live[0] and self.clock_timer.isActive() and self.refresh())

    def _show_cards(self, cards: list[Card]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        columns = columns_for(len(cards))
        for i, card in enumerate(cards):
            self.grid.addWidget(card_widget(card), i // columns, i % columns)
        self.fit()
        self.grid_host.setVisible(bool(cards))
        self.empty.setVisible(not cards)
