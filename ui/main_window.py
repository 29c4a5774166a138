"""The main window: modules as dock widgets, a View menu, the status bar, shortcuts, the idle lock, the scanner."""

from __future__ import annotations

from typing import Any

from hms_desktop import __version__
from ui import clinic_time
from ui.docks import DOCKS, DockSpec
from ui.qt import (
    QAction,
    QApplication,
    QDockWidget,
    QKeySequence,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSettings,
    Qt,
    QWidget,
    Signal,
)
from ui.session import AppSession

SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("new_patient", "Ctrl+N", "New patient"),
    ("search", "Ctrl+F", "Search patients (name, phone or code)"),
    ("book", "Ctrl+B", "Book an appointment for the open patient"),
    ("check_in", "Ctrl+I", "Check in the selected appointment"),
    ("call_next", "F9", "Call the next token"),
    ("lock", "Ctrl+L", "Lock the screen"),
)


class MainWindow(QMainWindow):
    logged_out = Signal()
    action = Signal(str)  # a front-desk shortcut fired: "new_patient", "search", ...

    def __init__(self, session: AppSession, settings: QSettings | None = None) -> None:
        super().__init__()
        self.session = session
        clinic_time.follow(session)  # every date and time on screen: this session's clock, the clinic's zone
        self.settings = settings or QSettings("HMS", "HMS Desktop")
        self.docks: dict[str, QDockWidget] = {}
        self._built: dict[str, QWidget] = {}
        self.setWindowTitle("HMS Desktop")
        self.setObjectName("mainWindow")
        self.setDockNestingEnabled(True)
        # No central widget: the docks share the whole window (an empty window means: open one from View).
        self._menus()
        for spec in DOCKS:
            if session.can(*spec.permissions):
                self._add_dock(spec)
        self._status()
        self._restore()
        from ui.idle import IdleLock
        from ui.scanner import ScannerFilter

        self.idle_lock = IdleLock(self)
        self.scanner = ScannerFilter(self)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self.scanner)
        self.scanner.scanned.connect(self.open_patient_by_code)

    # --- docks

    def _add_dock(self, spec: DockSpec) -> None:
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(f"dock_{spec.key}")
        dock.setWidget(QWidget())
        area = Qt.DockWidgetArea.LeftDockWidgetArea if spec.area == "left" else Qt.DockWidgetArea.RightDockWidgetArea
        self.addDockWidget(area, dock)
        dock.hide()  # built when first shown (the View menu, a shortcut, or a restored layout)

        def shown(visible: bool) -> None:
            if visible:
                self._build(spec)

        dock.visibilityChanged.connect(shown)
        self.docks[spec.key] = dock
        self.view_menu.addAction(dock.toggleViewAction())

    def _build(self, spec: DockSpec) -> None:
        if spec.key in self._built:
            return
        widget = spec.build(self)
        self._built[spec.key] = widget
        self.docks[spec.key].setWidget(widget)

    def dock_widget(self, key: str) -> Any:
        """The module's widget, built (and the dock shown) if it was not yet."""
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        spec = next(s for s in DOCKS if s.key == key)
        self._build(spec)
        return self._built[key]

    def offered(self) -> list[str]:
        return list(self.docks)

    # --- menus, status bar

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._act(file_menu, "Change password...", self.change_password)
        self._act(file_menu, "Lock screen", self.lock_screen, "Ctrl+L")
        self._act(file_menu, "Log out", self.log_out)
        file_menu.addSeparator()
        self._act(file_menu, "Quit", self.close, "Ctrl+Q")
        self.view_menu = bar.addMenu("&View")
        self._act(self.view_menu, "Waiting-room display", self.show_waiting_room, "F11")
        self.view_menu.addSeparator()
        help_menu = bar.addMenu("&Help")
        self._act(help_menu, "Keyboard shortcuts", self.show_shortcuts, "F1")
        self._act(help_menu, "About HMS Desktop", self.about)
        for key, seq, text in SHORTCUTS:
            if key == "lock":
                continue
            act = QAction(text, self)
            act.setShortcut(QKeySequence(seq))
            act.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            act.triggered.connect(lambda _=False, k=key: self.action.emit(k))
            self.addAction(act)

    def _act(self, menu: Any, text: str, slot: Any, shortcut: str | None = None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        return act

    def _status(self) -> None:
        actor = self.session.actor
        ws = self.session.base.workstation
        self.user_label = QLabel(f"{actor.email} ({actor.role_label})")
        self.ws_label = QLabel(f"Workstation: {ws.name}")
        self.sync_label = QLabel("Sync: not set up")
        self.sync_label.setObjectName("syncLabel")
        for label in (self.user_label, self.ws_label, self.sync_label):
            self.statusBar().addPermanentWidget(label)
        from ui.sync_indicator import SyncIndicator

        self.sync_indicator = SyncIndicator(self.sync_label, self.session)

    # --- layout persistence

    def _restore(self) -> None:
        geometry = self.settings.value("main/geometry")
        state = self.settings.value("main/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        if state is not None:
            self.restoreState(state)
        elif "reception" in self.docks:
            self.docks["reception"].show()

    def save_layout(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.save_layout()
        super().closeEvent(event)

    # --- actions

    def lock_screen(self) -> None:
        self.idle_lock.lock()

    def change_password(self) -> None:
        from ui.dialogs.change_password import ChangePasswordDialog

        ChangePasswordDialog(self.session, self).exec()

    def log_out(self) -> None:
        from ui.worker import run

        self.save_layout()
        run(self, self.session.logout, done=lambda _r: self.logged_out.emit(), label="Signing out...")

    def show_waiting_room(self) -> None:
        from ui.waiting_room import WaitingRoomWindow

        self._waiting_room = WaitingRoomWindow(self.session)
        self._waiting_room.show_on_second_screen()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{seq}</b></td><td>{text}</td></tr>" for _, seq, text in SHORTCUTS)
        extra = "<p>A barcode scanner works anywhere in the window: scan a patient's card to open the patient.</p>"
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding=4>{rows}</table>{extra}")

    def about(self) -> None:
        QMessageBox.about(self, "HMS Desktop", f"HMS Desktop {__version__}\nStore: {self.session.store.paths.store}")

    def open_patient_by_code(self, code: str) -> None:
        if "reception" in self.docks:
            self.dock_widget("reception").open_code(code)
        else:
            self.statusBar().showMessage(f"Scanned {code}: your role cannot open patients.", 5000)
