"""The change broadcast on screen: open docks refresh what they show when the store changes, instead of polling.

``hms_desktop.changes`` tells its listeners, on whatever thread committed (the DB worker, the sync thread),
which tables and rows an action or a sync page changed. ``ChangeHub`` lives on the UI thread and re-emits that
as a Qt signal, so slots run on the UI thread (a queued connection across threads). A dock connects::

    session.changes.changed.connect(self.on_changes)      # def on_changes(self, changes: Changes) -> None

and refreshes when ``changes.touches("patients", ...)``; a hidden dock notes it and refreshes when shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hms_desktop import changes as core
from hms_desktop.changes import Changes
from ui.qt import QObject, Signal

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class ChangeHub(QObject):
    changed = Signal(object)  # a hms_desktop.changes.Changes

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._unsubscribe = core.subscribe(engine, self._heard)

    def _heard(self, news: Changes) -> None:
        """Any thread: hand the news to the UI thread."""
        self.changed.emit(news)

    def close(self) -> None:
        self._unsubscribe()
