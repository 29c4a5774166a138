"""Driven by bench/desktop_bench.py in a fresh process: the real start-up path of the desktop app up to the
sign-in window, then sign-in and the Reception dock; prints timestamps and memory."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main(data_dir: str, email: str, password: str) -> None:
    from hms_desktop.storage.paths import StorePaths
    from hms_desktop.storage.store import open_store
    from ui.app import AppController, _style
    from ui.qt import QApplication
    from ui.session import AppSession
    from ui.worker import worker

    app = QApplication([sys.argv[0]])
    _style(app)
    store = open_store(StorePaths(Path(data_dir)))
    controller = AppController(AppSession.open(store))
    controller.show_login()
    while not controller.login_dialog.isVisible():
        app.processEvents()
    app.processEvents()
    print(f"login-shown {time.time()}", flush=True)
    controller.session.login(email, password)  # type: ignore[attr-defined]
    controller.show_main()
    window = controller.window
    reception = window.dock_widget("reception")  # type: ignore[attr-defined]
    deadline = time.time() + 60
    while time.time() < deadline and not (worker().idle() and reception.booking.doctor.count() > 0):
        app.processEvents()
        time.sleep(0.01)
    reception.search.setText("ravi")
    while time.time() < deadline and reception.model.rowCount() == 0:
        app.processEvents()
        time.sleep(0.01)
    rss, peak = rss_mb()
    print(f"reception-open {time.time()} rss {rss:.1f} peak {peak:.1f} rows {reception.model.rowCount()}", flush=True)
    store.close()
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:4])
