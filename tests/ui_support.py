"""Building a signed-in main window over a real store, for pytest-qt tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hms_desktop.clock import Clock
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from ui.main_window import MainWindow
from ui.qt import QSettings
from ui.session import AppSession


def signed_in_window(
    qtbot: Any,
    store: Store,
    tmp_path: Path,
    email: str = ADMIN_EMAIL,
    password: str = ADMIN_PASSWORD,
    clock: Clock | None = None,
) -> MainWindow:
    session = AppSession.open(store)
    if clock is not None:
        session.base = replace(session.base, clock=clock)
    session.login(email, password)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.show()
    return window
