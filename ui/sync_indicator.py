"""The status bar's sync state: read on the DB worker every few seconds, shown as one line (with the last
error, if any, as its tooltip). Silent while the store is not enrolled: it then shows "Sync: not set up"."""

from __future__ import annotations

from hms_desktop.sync.state import SyncStatus, sync_status
from ui.qt import QLabel, QObject, QTimer
from ui.session import AppSession
from ui.worker import worker

POLL_MS = 5000


class SyncIndicator(QObject):
    def __init__(self, label: QLabel, session: AppSession, poll_ms: int = POLL_MS) -> None:
        super().__init__(label)
        self.label = label
        self.session = session
        self.busy = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(poll_ms)
        self.refresh()

    def refresh(self) -> None:
        """``worker().submit``, not ``run``: a status poll never puts up a progress dialog."""
        if self.busy:
            return
        self.busy = True
        engine = self.session.store.engine
        worker().submit(lambda: sync_status(engine), done=self._show, failed=self._failed, owner=self.label)

    def _show(self, status: SyncStatus) -> None:
        self.busy = False
        self.label.setText(status.summary(self.session.base.clock.now()))
        self.label.setToolTip(status.last_error or (status.server_url or "This PC does not sync with a server."))
        self.label.setProperty("state", "ok" if status.healthy else ("off" if not status.enrolled else "error"))

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.label.setText("Sync: status unavailable")
