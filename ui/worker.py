"""Database work off the UI thread: one worker thread (SQLite has one writer), results back by signal.

``run(parent, fn, *args, done=..., failed=..., label=...)`` queues ``fn(*args)`` on the worker. Work that takes
longer than ~300 ms shows a progress dialog with Cancel; cancelling discards the result (the transaction
itself runs to its end, so nothing is half-written). A service error reaches ``failed`` (or a message box)
as its message, never as a traceback; a ``SessionEnded`` (the account was disabled or the session revoked
since sign-in) goes to ``session_ended`` instead when a window has set it (it signs the user out). Widgets are
only touched on the UI thread, in the callbacks.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hms_desktop.errors import HmsError
from hms_desktop.security.live_access import SessionEnded
from ui.qt import QObject, QProgressDialog, Qt, QTimer, QWidget, Signal, isValid

log = logging.getLogger(__name__)
SHOW_PROGRESS_AFTER_MS = 300


@dataclass
class Job:
    id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    done: Callable[[Any], None] | None
    failed: Callable[[BaseException], None] | None
    owner: QObject | None = None  # the widget the result is for: not delivered once it is gone
    cancelled: bool = False
    finished: bool = False
    progress: QProgressDialog | None = field(default=None, repr=False)


class DbWorker(QObject):
    """Runs jobs one at a time on a daemon thread; delivers results on the UI thread."""

    _result = Signal(int, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[int, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self.session_ended: Callable[[SessionEnded], None] | None = None  # set by the signed-in window
        self._result.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._loop, name="hms-db", daemon=True)
        self._thread.start()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> Job:
        job = Job(next(self._ids), fn, args, done, failed, owner)
        self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancelled:
                self._result.emit(job.id, None, None)
                continue
            try:
                result = job.fn(*job.args)
                self._result.emit(job.id, result, None)
            except BaseException as exc:  # delivered to the UI thread, never lost
                self._result.emit(job.id, None, exc)

    def _deliver(self, job_id: int, result: object, error: object) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        job.finished = True
        if job.progress is not None and isValid(job.progress):
            job.progress.close()
        if job.cancelled or (job.owner is not None and not isValid(job.owner)):
            return  # cancelled, or its window was closed meanwhile
        if isinstance(error, SessionEnded) and self.session_ended is not None:
            self.session_ended(error)
        elif isinstance(error, BaseException):
            if job.failed is not None:
                job.failed(error)
            else:
                show_error(None, error)
        elif job.done is not None:
            job.done(result)

    def idle(self) -> bool:
        return not self._jobs

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


_worker: DbWorker | None = None


def worker() -> DbWorker:
    global _worker
    if _worker is None:
        from ui.main_thread_gc import install

        install()  # from now on Python runs on other threads too: collect garbage on this one only
        _worker = DbWorker()
    return _worker


def run(
    parent: QWidget | None,
    fn: Callable[..., Any],
    *args: Any,
    done: Callable[[Any], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
    label: str = "Working...",
) -> Job:
    job = worker().submit(fn, *args, done=done, failed=failed, owner=parent)

    def cancel() -> None:
        if not job.finished:  # closing the dialog when the job ends also emits canceled: that is no cancel
            job.cancelled = True

    def maybe_show() -> None:
        if job.finished or job.cancelled or (parent is not None and not isValid(parent)):
            return
        dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        dialog.setWindowTitle("HMS Desktop")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.canceled.connect(cancel)
        job.progress = dialog
        dialog.show()

    QTimer.singleShot(SHOW_PROGRESS_AFTER_MS, maybe_show)
    return job


def error_text(exc: BaseException) -> str:
    if isinstance(exc, HmsError):
        return exc.message
    log.error("unexpected error in a background job", exc_info=exc)
    return f"Something went wrong ({type(exc).__name__}). It was written to the log; nothing was half-saved."


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    from ui.qt import QMessageBox

    QMessageBox.warning(parent, "HMS Desktop", error_text(exc))


def background(
    owner: QObject | None,
    fn: Callable[..., Any],
    *args: Any,
    done: Callable[[Any], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
) -> Job:
    """``fn(*args)`` on the worker with no progress dialog (a list refreshing itself, a search as you type): the
    result reaches ``done`` only while ``owner`` (the widget that asked) still exists, so a screen closed or
    signed out meanwhile is never handed a result."""
    return worker().submit(fn, *args, done=done, failed=failed, owner=owner if isinstance(owner, QObject) else None)
