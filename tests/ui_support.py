"""Building a signed-in main window over a real store, for pytest-qt tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from ui.main_window import MainWindow
from ui.qt import QSettings
from ui.session import AppSession


def signed_in_window(
    qtbot: Any, store: Store, tmp_path: Path, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> MainWindow:
    session = AppSession.open(store)
    session.login(email, password)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.show()
    return window
