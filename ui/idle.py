"""The idle lock: after the clinic's idle minutes with no key or mouse, the window is covered until the same
user types their password again. Nothing is closed: the work underneath stays as it was."""

from __future__ import annotations

import time
from typing import Any

from hms_desktop.services.admin import auth
from ui.qt import (
    QApplication,
    QEvent,
    QFrame,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.worker import error_text, run

ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}
MAX_UNLOCK_TRIES = 5


class LockOverlay(QFrame):
    def __init__(self, parent: QWidget, lock: IdleLock) -> None:
        super().__init__(parent)
        self.lock = lock
        self.setObjectName("lockOverlay")
        self.setAutoFillBackground(True)
        box = QVBoxLayout(self)
        box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Locked")
        title.setObjectName("lockTitle")
        who = QLabel(f"{lock.window.session.actor.email}: type your password to carry on.")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setMaximumWidth(320)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        unlock = QPushButton("Unlock")
        unlock.setDefault(True)
        self.password.returnPressed.connect(self.try_unlock)
        unlock.clicked.connect(self.try_unlock)
        for w in (title, who, self.password, self.error, unlock):
            box.addWidget(w, alignment=Qt.AlignmentFlag.AlignCenter)
        self.tries = 0

    def try_unlock(self) -> None:
        text = self.password.text()
        self.password.clear()
        ctx = self.lock.window.session.ctx
        run(self, auth.unlock, ctx, text, done=lambda _r: self.lock.unlocked(), failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.tries += 1
        if self.tries >= MAX_UNLOCK_TRIES:
            self.lock.window.log_out()
            return
        self.error.setText(error_text(exc))


class IdleLock(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.minutes = float(window.session.desk.idle_lock_minutes)  # the clinic's, read at sign-in (any role)
        self.last_activity = time.monotonic()
        self.overlay: LockOverlay | None = None
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(5_000)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in ACTIVITY:
            self.last_activity = time.monotonic()
        return False

    def check(self) -> None:
        if self.overlay is None and time.monotonic() - self.last_activity > self.minutes * 60:
            self.lock()

    def lock(self) -> None:
        if self.overlay is not None:
            return
        self.overlay = LockOverlay(self.window, self)
        self.overlay.setGeometry(self.window.rect())
        self.overlay.show()
        self.overlay.raise_()
        self.overlay.password.setFocus()

    def unlocked(self) -> None:
        if self.overlay is not None:
            self.overlay.deleteLater()
            self.overlay = None
        self.last_activity = time.monotonic()

    @property
    def locked(self) -> bool:
        return self.overlay is not None
