"""A barcode scanner acting as a keyboard ("wedge") types the card's code very fast and presses Enter.

The filter watches every key press in the application: a burst of at least 6 characters, each within
``GAP_MS`` of the last, ending in Enter and shaped like a patient code, is a scan. The scan opens that
patient wherever the focus was, and the typed characters are taken back out of the field they fell into.
"""

from __future__ import annotations

import re
import time

from ui.qt import QApplication, QEvent, QKeyEvent, QLineEdit, QObject, Qt, Signal

GAP_MS = 40
MIN_LENGTH = 6
CODE = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{3,9}$")


class ScannerFilter(QObject):
    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.buffer = ""
        self.last = 0.0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        focus = QApplication.focusWidget()
        if obj is not focus and not (focus is None and obj.isWindowType()):
            return False  # the same key press seen again on its way up the widget tree
        now = time.monotonic()
        fast = (now - self.last) * 1000 <= GAP_MS
        self.last = now
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text, self.buffer = self.buffer, ""
            if fast and len(text) >= MIN_LENGTH and CODE.match(text.upper()):
                self._take_back(text)
                self.scanned.emit(text.upper())
                return True
            return False
        char = event.text()
        if char and char.isprintable():
            self.buffer = (self.buffer if fast else "") + char
        return False

    @staticmethod
    def _take_back(text: str) -> None:
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus.text().endswith(text):
            focus.setText(focus.text()[: -len(text)])
