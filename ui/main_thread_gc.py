"""Python's cyclic garbage collector, run on the UI thread only.

The DB worker, the mail and the sync threads run Python too, and an automatic collection starts in whichever
thread happens to allocate at the time. Collecting a cycle that holds Qt objects off the UI thread crashes
Qt (seen here as a segmentation fault in the worker, "Garbage-collecting"). So, as Anki and pyqtgraph do,
automatic collection is switched off and a timer on the UI thread collects whenever Python's own
thresholds say a collection is due: the same schedule, always on the right thread.
"""

from __future__ import annotations

import gc

from ui.qt import QObject, QTimer

INTERVAL_MS = 500
_installed: MainThreadGc | None = None


def collect_if_due() -> int:
    """Collect the generations whose counts passed their thresholds (what automatic collection would do)."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    generation = -1
    for i in range(3):
        if counts[i] > thresholds[i]:
            generation = i
    return gc.collect(generation) if generation >= 0 else 0


class MainThreadGc(QObject):
    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(collect_if_due)
        self.timer.start(interval_ms)


def install() -> MainThreadGc:
    """Switch to UI-thread collection (once; call on the UI thread, with the QApplication made)."""
    global _installed
    if _installed is None:
        _installed = MainThreadGc()
    return _installed
