"""A barcode scanner acting as a keyboard ("wedge") types the card's code very fast and presses Enter.

The filter watches every key press in the application: a burst of at least 6 characters, each within
``GAP_MS`` of the last, ending in Enter and shaped like a code of any registered series
(``hms_desktop.series.pattern`` with the clinic's prefixes), is a scan. ``scanned`` carries the code; the main
window opens its screen (a patient code: the patient), wherever the focus was, and the typed characters are
taken back out of the field they fell into.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hms_desktop.series import pattern
from ui.qt import QApplication, QEvent, QKeyEvent, QLineEdit, QObject, Qt, Signal

GAP_MS = 40
MIN_LENGTH = 6


class ScannerFilter(QObject):
    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.code = pattern(settings or {})  # every registered series, as the clinic's settings make it
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
            if fast and len(text) >= MIN_LENGTH and self.code.match(text.upper()):
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
