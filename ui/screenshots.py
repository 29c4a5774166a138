"""Render every dock, the sign-in dialog and the waiting-room display to PNGs over the demo clinic.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m ui.screenshots [docs/screenshots]

The pictures in the README come from this command, so they show the application as it is, on the demo clinic
at 10:00 on a Monday (a fixed clock: the same pictures whenever it runs).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

if TYPE_CHECKING:  # Qt is imported once the platform is set
    from ui.qt import QApplication, QWidget


def settle(app: QApplication, seconds: float = 0.8) -> None:
    from ui.worker import worker

    end = time.monotonic() + 30
    quiet_since = time.monotonic()
    while time.monotonic() < end:
        app.processEvents()
        if not worker().idle():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > seconds:
            return
        time.sleep(0.02)


def main(out: str = "docs/screenshots") -> list[Path]:
    from dataclasses import replace
    from datetime import UTC, datetime

    from hms_desktop.clock import FixedClock
    from hms_desktop.demo import ADMIN, open_demo
    from hms_desktop.services.reception.doctors import list_doctors
    from hms_desktop.services.reception.queue import queue_for
    from hms_desktop.storage.paths import StorePaths
    from ui.app import _style
    from ui.dialogs.login import LoginDialog
    from ui.forms import find_data
    from ui.main_window import MainWindow
    from ui.qt import QApplication, QSettings
    from ui.session import AppSession
    from ui.waiting_room import WaitingRoomWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    _style(app)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        # a Monday morning in Bengaluru, whenever this runs: the doctors are in, the queue is live, a prescription
        # waits at the pharmacy
        clock = FixedClock(datetime(2026, 11, 30, 4, 30, tzinfo=UTC))
        store = open_demo(StorePaths(Path(tmp) / "demo"), clock=clock)
        session = AppSession.open(store)
        session.base = replace(session.base, clock=clock)

        def save(widget: QWidget, name: str) -> None:
            settle(app)
            path = target / f"{name}.png"
            widget.grab().save(str(path))
            written.append(path)

        login = LoginDialog(session, hint="Demo clinic: sign in with the accounts shown here.")
        login.email.setText(ADMIN[0])
        login.show()
        save(login, "sign-in")
        login.close()
        session.login(*ADMIN)
        window = MainWindow(session, QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window.resize(1366, 768)  # the common front-desk monitor: every dock must work at this size
        window.show()
        for key in list(window.docks):
            widget = window.dock_widget(key)
            for other_key, other in window.docks.items():
                other.setVisible(other_key == key)
            settle(app)
            if key == "reception":
                widget.search.setText("ra")
                settle(app)
                widget.open_row(0)
                busiest = max(list_doctors(session.ctx), key=lambda d: len(queue_for(session.ctx, d.id).waiting))
                widget.booking.doctor.setCurrentIndex(find_data(widget.booking.doctor, busiest.id))  # the queue follows
                for tab in range(widget.tabs.count()):
                    widget.tabs.setCurrentIndex(tab)
                    save(window, f"reception-{widget.tabs.tabText(tab).lower()}")
                continue
            if key == "lab":
                settle(app)
                widget.worklist.table.selectRow(0)
            if key == "pharmacy":
                settle(app)
                widget.list.selectRow(0)  # the prescription the doctor sent, with FEFO's plan
            if key == "inventory":
                widget.pages["Stock"].search.setText("dolo")
            if key == "optical":
                optical_screens(app, widget, save, window)
                continue
            tabs = getattr(widget, "tabs", None)
            if tabs is not None:
                for tab in range(tabs.count()):
                    tabs.setCurrentIndex(tab)
                    save(window, f"{key}-{tabs.tabText(tab).lower().replace(' ', '-')}")
            else:
                save(window, key)
        window.close()
        doctor_screens(app, session, Path(tmp), save)
        board = WaitingRoomWindow(session)
        board.resize(1600, 900)
        board.show()
        save(board, "waiting-room")
        board.close()
        store.close()
    for path in written:
        print(path)
    return written


def optical_screens(app: QApplication, dock: Any, save: Any, window: QWidget) -> None:
    """The Optical dock over the demo day: the board, the ready order's detail with its history, a new order
    from a patient's eye prescription, the repair waiting for parts, a progressive lens in the catalogue."""
    orders = dock.show_tab("Orders")
    settle(app, 1.5)
    save(window, "optical-orders")
    ready = orders.board.summaries.get("ready") or []
    if ready:
        orders.open_order(ready[0].id)
        settle(app, 1.2)
        save(window, "optical-order-detail")
        orders.show_board()
    repairs = dock.show_tab("Repairs")
    settle(app, 1.2)
    if repairs.repairs:
        repairs.select(repairs.repairs[0].id)
        settle(app, 1.0)
    save(window, "optical-repairs")
    catalogue = dock.show_tab("Catalogue")
    catalogue.search.setText("progressive")
    catalogue.refresh(force=True)
    settle(app, 1.2)
    if catalogue.products:
        catalogue.list.selectRow(0)
        settle(app, 0.8)
    save(window, "optical-catalogue")


def doctor_screens(app: QApplication, session: object, tmp: Path, save: object) -> None:
    """The Doctor dock at 1366x768 (the common consultation-room monitor), signed in as the demo's first doctor,
    with the called patient open: a coded diagnosis and a prescription from a template."""
    from hms_desktop.demo import DOCTOR_PASSWORD, DOCTORS
    from ui.main_window import MainWindow
    from ui.qt import QSettings
    from ui.session import AppSession

    assert isinstance(session, AppSession) and callable(save)
    session.logout()
    session.login(DOCTORS[0].email, DOCTOR_PASSWORD)
    window = MainWindow(session, QSettings(str(tmp / "doctor.ini"), QSettings.Format.IniFormat))
    window.resize(1366, 768)
    window.show()
    for key, other in window.docks.items():
        other.setVisible(key == "doctor")
    dock = window.dock_widget("doctor")
    settle(app)
    dock.queue.open_row(0)
    settle(app)
    dock.consult.complaint.setText("Fever with body ache for 2 days, dry cough")
    dock.consult.findings.setPlainText("Throat congested. Chest clear. No rash.")
    dock.consult.dx_search.setText("J06.9")
    settle(app)
    dock.consult._enter()
    dock.consult._follow_up_in(7)
    dock.rx.templates.setCurrentIndex(max(0, dock.rx.templates.findText("Viral fever", flags=_contains())))
    dock.rx.apply_template()
    settle(app)
    for index in range(dock.tabs.count()):
        dock.tabs.setCurrentIndex(index)
        save(window, f"doctor-{dock.tabs.tabText(index).lower().replace(' ', '-')}")
    window.close()


def _contains() -> object:
    from ui.qt import Qt

    return Qt.MatchFlag.MatchContains


if __name__ == "__main__":
    main(*sys.argv[1:2])
