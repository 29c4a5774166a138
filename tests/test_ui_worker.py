"""The one database worker: results come back on the UI thread; long work shows a cancellable progress dialog;
a service error arrives as its message."""

from __future__ import annotations

import threading
import time
from typing import Any

from hms_desktop.errors import ValidationError
from ui.qt import QWidget, isValid
from ui.worker import error_text, run


def test_slow_work_shows_progress_and_still_delivers(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    got: list[Any] = []
    job = run(parent, lambda: (time.sleep(0.6), threading.current_thread().name)[1], done=got.append, label="Slow")
    qtbot.waitUntil(lambda: job.progress is not None, timeout=3000)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == ["hms-db"] and threading.current_thread().name == "MainThread"


def test_cancel_discards_the_result(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    got: list[Any] = []
    job = run(parent, lambda: time.sleep(0.8) or "late", done=got.append)
    qtbot.waitUntil(lambda: job.progress is not None, timeout=3000)
    job.progress.canceled.emit()  # the Cancel button  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: job.finished, timeout=5000)
    assert got == [] and job.cancelled


def test_errors_arrive_as_messages(qtbot: Any) -> None:
    failures: list[BaseException] = []

    def boom() -> None:
        raise ValidationError("phone", "A mobile number has 10 digits.")

    run(None, boom, failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=3000)
    assert error_text(failures[0]) == "A mobile number has 10 digits."
    assert "ZeroDivisionError" in error_text(ZeroDivisionError("x")) and "Traceback" not in error_text(KeyError("k"))


def test_garbage_is_collected_on_the_ui_thread_only(qtbot: Any) -> None:
    import gc
    import threading
    import weakref

    from ui.main_thread_gc import install
    from ui.worker import worker

    worker()
    install()
    assert not gc.isenabled(), "no automatic collection: it could start on the worker thread"

    class Node:
        pass

    collected_on: list[str] = []

    def note(_ref: object) -> None:
        collected_on.append(threading.current_thread().name)

    first = Node()
    first.other = Node()  # type: ignore[attr-defined]
    first.other.other = first  # type: ignore[attr-defined]
    watch = weakref.ref(first, note)
    del first
    for _ in range(5000):  # allocations that make a collection due
        junk = Node()
        junk.me = junk  # type: ignore[attr-defined]
    del junk
    qtbot.waitUntil(lambda: watch() is None, timeout=5000)
    assert collected_on == [threading.main_thread().name]


def test_a_result_for_a_closed_window_is_dropped(qtbot: Any) -> None:
    from ui.qt import QLabel, isValid
    from ui.worker import run, worker

    label = QLabel("waiting")
    shown: list[str] = []
    gate = threading.Event()
    run(label, gate.wait, 5, done=lambda _r: shown.append("done"))
    label.deleteLater()  # the window closes while the job is out
    qtbot.waitUntil(lambda: not isValid(label), timeout=5000)
    gate.set()
    qtbot.waitUntil(worker().idle, timeout=5000)
    assert shown == [], "the callback of a deleted widget is not called"


def test_a_background_result_is_not_handed_to_a_widget_closed_meanwhile(qtbot: Any) -> None:
    """A search or a list refreshing itself, its screen closed (signed out) before the answer came: the answer is
    dropped, never handed to a deleted widget (which raised 'Internal C++ object already deleted')."""
    from ui.qt import QApplication
    from ui.worker import background, worker

    release = threading.Event()
    asked, kept = QWidget(), QWidget()
    qtbot.addWidget(kept)
    got: list[str] = []
    background(asked, lambda: release.wait(5) and "for the closed one", done=got.append)
    job = background(kept, lambda: "for the open one", done=got.append)
    asked.deleteLater()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: not isValid(asked), timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: job.finished and worker().idle(), timeout=5000)
    assert got == ["for the open one"] and job.progress is None
