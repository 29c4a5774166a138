"""``hms-desktop``: the desktop application.

First run (no store): the setup wizard. Then: unlock the store (the keyring, or a passphrase dialog), sign in,
and the main window; logging out returns to the sign-in dialog. ``--demo`` opens a ready demo clinic in its
own data folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ui.qt import QApplication, QInputDialog, QLineEdit, QMessageBox, QObject

if TYPE_CHECKING:  # imported where used, to keep start-up fast
    from ui.main_window import MainWindow
    from ui.session import AppSession

log = logging.getLogger("hms")


def _style(app: QApplication) -> None:
    from importlib import resources

    font = app.font()
    font.setPointSizeF(10.5)  # set as the application font, so windows such as the waiting room can go larger
    app.setFont(font)
    try:
        app.setStyleSheet(resources.files("resources").joinpath("styles/app.qss").read_text("utf-8"))
    except OSError:
        log.warning("style sheet missing; using Qt's default look")


def ask_passphrase(prompt: str) -> str:
    value = os.environ.get("HMS_PASSPHRASE")
    if value:
        return value
    text, ok = QInputDialog.getText(
        None, "HMS Desktop", "The clinic's data is locked.\n" + prompt, QLineEdit.EchoMode.Password
    )
    return text if ok else ""


class AppController(QObject):
    """Sign-in dialog <-> main window, for as long as the application runs."""

    def __init__(self, session: AppSession, hint: str = "") -> None:
        super().__init__()
        self.session = session
        self.hint = hint
        self.window: MainWindow | None = None

    def show_login(self, hint: str = "") -> None:
        from ui.dialogs.login import LoginDialog

        dialog = LoginDialog(self.session, hint=hint or self.hint)
        self.login_dialog = dialog
        dialog.accepted.connect(self.show_main)
        dialog.rejected.connect(lambda: QApplication.quit() if self.window is None else None)
        dialog.show()

    def show_main(self) -> None:
        from ui.main_window import MainWindow

        if self.session.must_change_password and not self._own_password_set():
            return
        window = MainWindow(self.session)
        window.logged_out.connect(self.on_logout)
        self.window = window
        window.show()
        self.backup_if_due(window)

    def _own_password_set(self) -> bool:
        """A temporary password: the user sets their own before the window opens, or is signed out."""
        from ui.dialogs.change_password import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.session, forced=True)
        self.password_dialog = dialog
        if dialog.exec() == ChangePasswordDialog.DialogCode.Accepted:
            return True
        self.session.logout()
        self.show_login("Set your own password to go on: sign in again with the temporary one.")
        return False

    def backup_if_due(self, window: MainWindow) -> None:
        """The daily encrypted backup, on the worker once the window is up (not on the start-up path)."""
        from hms_desktop.storage.store import auto_backup, daily_backup_due
        from ui.worker import background

        store = self.session.store
        if daily_backup_due(store.paths):
            status = window.statusBar()
            status.showMessage("Making today's backup...")
            # the backup finishes even if the window is closed meanwhile; only its message needs the status bar
            background(
                status,
                lambda: auto_backup(store, reason="daily"),
                done=lambda p: status.showMessage(f"Backup made: {p.name}", 8000),
                failed=lambda e: status.showMessage(f"Backup failed: {e}", 15000),
            )

    def on_logout(self) -> None:
        window = self.window
        self.window = None
        if window is not None:
            window.close()
        self.show_login(window.farewell if window is not None else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hms-desktop", description="HMS Desktop")
    parser.add_argument("--data-dir", help="the folder of the store (default: HMS_DATA_DIR, else the user data dir)")
    parser.add_argument("--demo", action="store_true", help="open a ready demo clinic (in its own data folder)")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    from ui.main_thread_gc import install

    install()  # before any other thread starts (mail, sync, the DB worker)
    app.setApplicationName("HMS Desktop")
    app.setOrganizationName("HMS")
    _style(app)

    from hms_desktop.errors import HmsError
    from hms_desktop.storage.paths import StorePaths, default_data_dir, resolve_data_dir
    from hms_desktop.storage.store import open_store
    from ui.session import AppSession

    hint = ""
    try:
        if args.demo:
            from hms_desktop.demo import HINT, open_demo

            paths = StorePaths(Path(args.data_dir) if args.data_dir else default_data_dir() / "demo")
            store = open_demo(paths)
            hint = HINT
        else:
            paths = StorePaths(resolve_data_dir(args.data_dir))
            if not paths.exists():
                from ui.dialogs.setup_wizard import SetupWizard

                wizard = SetupWizard(paths)
                wizard.exec()
                if not wizard.created:
                    return 0
                hint = f"The clinic is ready. Sign in as {wizard.admin_email}."
            store = open_store(paths, passphrase_source=ask_passphrase)
    except HmsError as exc:
        QMessageBox.critical(None, "HMS Desktop", exc.message)
        return 1
    session = AppSession.open(store)
    from hms_desktop.services.messaging.mail_server import start_delivery

    mail = start_delivery(session.base)  # password-reset emails can be asked for from the sign-in window
    session.start_sync()  # only when this PC is enrolled (hms sync enroll, or Admin > Sync)
    controller = AppController(session, hint)
    controller.show_login()
    code = app.exec()
    mail.set()
    session.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
