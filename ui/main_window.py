"""The main window: modules as dock widgets, a View menu, the status bar, shortcuts, the idle lock, the scanner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    QTabWidget,
    QTimer,
    QWidget,
    Signal,
)
from ui.session import AppSession

if TYPE_CHECKING:
    from ui.waiting_room import WaitingRoomWindow

SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("new_patient", "Ctrl+N", "New patient"),
    ("search", "Ctrl+F", "Search patients (name, phone or code)"),
    ("book", "Ctrl+B", "Book an appointment for the open patient"),
    ("check_in", "Ctrl+I", "Check in the selected appointment"),
    ("call_next", "F9", "Call the next token"),
    ("lock", "Ctrl+L", "Lock the screen"),
)
ACTION_PREFERENCE = ("doctor", "reception")
# The module in front when a user's layout is new: the most specific of the ones their roles offer.
MODULE_PREFERENCE = ("doctor", "lab", "pharmacy", "inventory", "reception", "admin", "audit")


class MainWindow(QMainWindow):
    logged_out = Signal()
    action = Signal(str)  # a front-desk shortcut fired: "new_patient", "search", ...

    def __init__(self, session: AppSession, settings: QSettings | None = None) -> None:
        super().__init__()
        self.session = session
        clinic_time.follow(session)  # every date and time on screen: this session's clock, the clinic's zone
        self.settings = settings or QSettings("HMS", "HMS Desktop")
        self.docks: dict[str, QDockWidget] = {}
        self._waiting_room: WaitingRoomWindow | None = None
        self._closed_waiting_room: WaitingRoomWindow | None = None
        self._built: dict[str, QWidget] = {}
        self.leaving = False  # set on log out and quit
        self.farewell = ""  # why the user was signed out, for the sign-in window (account disabled, ...)
        self.chosen = False  # set when a module is opened by name (a shortcut, a scan)
        self.setWindowTitle("HMS Desktop")
        self.setObjectName("mainWindow")
        self.setDockNestingEnabled(True)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
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
        self.scanner = ScannerFilter(self, session.desk.code_settings)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self.scanner)
        self.scanner.scanned.connect(self.open_scanned)
        from ui.worker import worker

        worker().session_ended = self.session_ended

    # --- docks

    def _add_dock(self, spec: DockSpec) -> None:
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(f"dock_{spec.key}")
        dock.setWidget(QWidget())
        # Every module is a tab of one group by default, so the one in use fills the window (ten modules fit a
        # 1366x768 screen); the user may still split, float and move them, and the layout is kept per user.
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        if self.docks:
            self.tabifyDockWidget(next(iter(self.docks.values())), dock)
        dock.hide()  # built when first shown (the View menu, a shortcut, or a restored layout)

        def shown(visible: bool) -> None:
            if visible:
                self._build(spec)

        dock.visibilityChanged.connect(shown)
        self.docks[spec.key] = dock
        self.view_menu.addAction(dock.toggleViewAction())

    def _build(self, spec: DockSpec) -> None:
        if spec.key in self._built or self.leaving:
            return
        widget = spec.build(self)
        self._built[spec.key] = widget
        self.docks[spec.key].setWidget(widget)

    def dock_widget(self, key: str) -> Any:
        """The module's widget, built (and the dock shown) if it was not yet."""
        dock = self.docks[key]
        self.chosen = True  # a module was asked for: the default front tab must not cover it
        dock.show()
        dock.raise_()
        spec = next(s for s in DOCKS if s.key == key)
        self._build(spec)
        return self._built[key]

    def owns_action(self, key: str) -> bool:
        """Whether dock ``key`` should answer a window shortcut (F9) that several docks know: the dock holding
        the keyboard focus; with the focus in none of them, the first visible one of ``ACTION_PREFERENCE`` (a
        doctor's F9 calls their own next patient, not the front desk's)."""
        focus = QApplication.focusWidget()
        built = [k for k, d in self.docks.items() if d.isVisible() and k in self._built]
        visible = sorted(built, key=lambda k: ACTION_PREFERENCE.index(k) if k in ACTION_PREFERENCE else 99)
        for k in visible:
            if focus is not None and self.docks[k].isAncestorOf(focus):
                return k == key
        return bool(visible) and visible[0] == key

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
        self._act(file_menu, "Quit", self.quit, "Ctrl+Q")
        self.view_menu = bar.addMenu("&View")
        self.waiting_room_action = QAction("Waiting-room display", self)
        self.waiting_room_action.setCheckable(True)  # ticked while the display is open: F11 opens and closes it
        self.waiting_room_action.setShortcut(QKeySequence("F11"))
        self.waiting_room_action.toggled.connect(self.set_waiting_room)
        self.view_menu.addAction(self.waiting_room_action)
        self._act(self.view_menu, "Reset layout", self.reset_layout)
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

    def _layout_key(self, what: str) -> str:
        """Each user's own layout: a dock one user floated stays where it was for them only."""
        return f"layout/{self.session.actor.email}/{what}"

    def _restore(self) -> None:
        geometry = self.settings.value(self._layout_key("geometry"))
        state = self.settings.value(self._layout_key("state"))
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        if state is None or not self.restoreState(state):
            self.default_layout()

    def default_layout(self) -> None:
        """All offered modules as tabs of one group, the one this user works in most in front."""
        docks = list(self.docks.values())
        for dock in docks:
            if dock.isFloating():
                dock.setFloating(False)
        for dock in docks[1:]:
            self.tabifyDockWidget(docks[0], dock)
        for dock in docks:
            dock.show()
        front = next((k for k in MODULE_PREFERENCE if k in self.docks), None)
        if front is not None:
            QTimer.singleShot(0, lambda: self._raise_front(front))  # once the window is up: the tabs exist then

    def _raise_front(self, key: str) -> None:
        if not self.leaving and not self.chosen:  # signing out, or a module was opened meanwhile
            self.docks[key].raise_()

    def reset_layout(self) -> None:
        """View > Reset layout: the default tabs again, and the saved layout of this user forgotten."""
        self.settings.remove(self._layout_key("state"))
        self.settings.sync()
        self.chosen = False
        self.default_layout()

    def save_layout(self) -> None:
        self.settings.setValue(self._layout_key("geometry"), self.saveGeometry())
        self.settings.setValue(self._layout_key("state"), self.saveState())
        self.settings.sync()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self._release_worker()
        self.save_layout()
        self.close_waiting_room()  # log out and quit: a public screen never outlives the sign-in
        super().closeEvent(event)

    def quit(self) -> None:
        """File > Quit: every window closes and the application ends."""
        self.leaving = True
        self.close_waiting_room()
        self.close()
        QApplication.quit()

    # --- actions

    def lock_screen(self) -> None:
        self.idle_lock.lock()

    def change_password(self) -> None:
        from ui.dialogs.change_password import ChangePasswordDialog

        ChangePasswordDialog(self.session, self).exec()

    def session_ended(self, exc: BaseException) -> None:
        """A service refused because the account was disabled or the session revoked: sign out, saying why
        (once: the refusals of jobs still queued meanwhile are dropped, not shown)."""
        if self.leaving:
            return
        self.farewell = getattr(exc, "message", str(exc))
        self.log_out()

    def _release_worker(self) -> None:
        from ui.worker import worker

        if worker().session_ended == self.session_ended:
            worker().session_ended = None

    def log_out(self) -> None:
        from ui.worker import run

        self.save_layout()
        self.leaving = True
        self.close_waiting_room()
        run(self, self.session.logout, done=lambda _r: self.logged_out.emit(), label="Signing out...")

    def set_waiting_room(self, on: bool) -> None:
        if on:
            self.show_waiting_room()
        else:
            self.close_waiting_room()

    def show_waiting_room(self) -> None:
        from ui.waiting_room import WaitingRoomWindow

        if self._waiting_room is None:
            display = WaitingRoomWindow(self.session)
            display.closed.connect(self._waiting_room_closed)
            self._waiting_room = display
            display.show_on_second_screen()
        else:
            self._waiting_room.raise_()
        self._tick_waiting_room(True)

    def close_waiting_room(self) -> None:
        if self._waiting_room is not None:
            self._waiting_room.close()  # _waiting_room_closed forgets it and unticks the menu

    def _waiting_room_closed(self) -> None:
        # Kept (closed: it fetches nothing) until the next one opens or this window goes: freeing it here would
        # delete it inside its own closeEvent.
        if self._waiting_room is not None:
            self._closed_waiting_room = self._waiting_room
        self._waiting_room = None
        self._tick_waiting_room(False)

    def _tick_waiting_room(self, on: bool) -> None:
        blocked = self.waiting_room_action.blockSignals(True)
        self.waiting_room_action.setChecked(on)
        self.waiting_room_action.blockSignals(blocked)

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{seq}</b></td><td>{text}</td></tr>" for _, seq, text in SHORTCUTS)
        extra = (
            "<p>A barcode scanner works anywhere in the window: scan a patient's card to open the patient.</p>"
            "<p><b>F11</b> opens or closes the waiting-room display. On the display: <b>F11</b> full screen on or"
            " off, <b>Esc</b> leaves full screen, then closes it; <b>Ctrl+W</b> closes it.</p>"
            "<p>Doctor screen: <b>F9</b> calls the next patient (an open visit is completed first), <b>Enter</b>"
            " on a token opens the patient, <b>Ctrl+S</b> saves the notes and diagnoses (or the prescription, on"
            " its tab), <b>Ctrl+Enter</b> completes the visit. Lab screen: <b>Enter</b> moves to the next value.</p>"
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding=4>{rows}</table>{extra}")

    def about(self) -> None:
        QMessageBox.about(self, "HMS Desktop", f"HMS Desktop {__version__}\nStore: {self.session.store.paths.store}")

    def open_scanned(self, code: str) -> None:
        """A scanned code opens its series' screen; a series with no screen yet says what the code is."""
        from hms_desktop.series import series_of

        series = series_of(code, self.session.desk.code_settings)
        if series is None or series.opens == "patient":
            self.open_patient_by_code(code)
            return
        if series.opens in ("optical_order", "repair", "optical_product") and "optical" in self.docks:
            if self.dock_widget("optical").open_scanned(series.opens, code):
                return
        what = (series.opens or series.title).replace("_", " ")
        article = "an" if what[:1].lower() in "aeiou" else "a"
        self.statusBar().showMessage(f"{code} is {article} {what} code", 8000)

    def open_patient_by_code(self, code: str) -> None:
        if "reception" in self.docks:
            self.dock_widget("reception").open_code(code)
        else:
            self.statusBar().showMessage(f"Scanned {code}: your role cannot open patients.", 5000)
