"""Sync in the background while the desktop app runs (a daemon thread over ``runner.watch``).

The thread writes every outcome to ``sync_state`` (through ``run_once``), which the status bar reads; it
never raises into the app. A store that is not enrolled starts nothing.
"""

from __future__ import annotations

import logging
import threading

from hms_desktop.storage.store import Store
from hms_desktop.sync import state
from hms_desktop.sync.errors import NotEnrolled, SyncError
from hms_desktop.sync.runner import WATCH_INTERVAL, SyncReport, watch

log = logging.getLogger("hms.sync")
RETRY_AFTER_CRASH = 60.0


def start_background_sync(store: Store, *, interval: float = WATCH_INTERVAL) -> threading.Event | None:
    """Keep this store in sync every ``interval`` seconds; set the returned event to stop. None when not enrolled."""
    with store.engine.connect().execution_options(hms_readonly=True) as conn:
        if state.identity(conn) is None:
            return None
    stop = threading.Event()

    def report(outcome: SyncReport | SyncError) -> None:
        if isinstance(outcome, SyncError):
            log.warning("sync failed: %s", outcome.message)

    def loop() -> None:
        while not stop.is_set():
            try:
                watch(store, interval=interval, stop=stop, on_report=report)
            except NotEnrolled:
                log.warning("sync stopped: this PC is no longer enrolled")
                return
            except Exception:  # not a sync refusal (a busy store, a bug): never take the app down; retry later
                log.exception("background sync failed; retrying in a minute")
                stop.wait(RETRY_AFTER_CRASH)

    threading.Thread(target=loop, name="hms-sync", daemon=True).start()
    return stop
