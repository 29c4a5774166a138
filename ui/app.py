"""``hms-desktop``: the desktop application's entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ui.qt import QApplication, QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hms-desktop")
    parser.add_argument("--data-dir")
    args, qt_args = parser.parse_known_args(argv)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("HMS Desktop")

    from hms_desktop.errors import HmsError
    from hms_desktop.storage.paths import StorePaths, resolve_data_dir
    from hms_desktop.storage.store import open_store

    paths = StorePaths(resolve_data_dir(args.data_dir))
    if not paths.exists():
        QMessageBox.information(None, "HMS Desktop", f"No store in {paths.data_dir} yet. Create one with: hms init")
        return 0

    def ask(prompt: str) -> str:
        text, ok = QInputDialog.getText(None, "HMS Desktop", prompt, QLineEdit.EchoMode.Password)
        return text if ok else ""

    try:
        store = open_store(paths, passphrase_source=ask, daily_backup=True)
    except HmsError as exc:
        QMessageBox.critical(None, "HMS Desktop", exc.message)
        return 1
    window = QMainWindow()
    window.setWindowTitle("HMS Desktop")
    window.setCentralWidget(QLabel(f"Store open: {paths.store}"))
    window.resize(900, 600)
    window.show()
    code = app.exec()
    store.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
