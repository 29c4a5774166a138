"""The session hooks, installed explicitly and in one listed order (never by the side effect of an import).

``install()`` runs once per process, from ``hms_desktop.runtime.context_for`` (the one place a service
context is made); a transaction refuses to start before it has run. The order matters:

1. ``audit``: ``before_flush`` appends the audit rows of every row the flush inserts, changes or deletes;
2. ``outbox``: ``before_flush`` stamps those rows (the audit rows too) with this PC's clock, ``after_flush``
   queues them in ``sync_outbox``, in the same transaction;
3. ``write guard``: Core UPDATE/DELETE through a service session are captured for 1 and 2 (its observers,
   in the same order), any other write around the session is refused;
4. ``authorship``: ``before_commit`` (after the last flush) signs the queued changes as their author;
5. ``changes``: once the outermost transaction commits, the tables and rows it changed are broadcast to
   whoever listens (the desktop's open screens).

Code series get their numbers from this PC's sync blocks once it is enrolled (``hms_desktop.series``'s
block source, set here so that services never import sync).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from hms_desktop import series, write_guard
from hms_desktop.context import HOOKS, HmsSession

# (target, event, listener), in the order they run. Listeners are named, and loaded when ``install`` runs,
# so the session machinery does not depend on sync (which builds on the services) at import time.
ORDER: tuple[tuple[Any, str, str], ...] = (
    (HmsSession, "before_flush", "hms_desktop.audit.trail:before_flush"),
    (HmsSession, "before_flush", "hms_desktop.sync.outbox:stamp"),
    (HmsSession, "after_flush", "hms_desktop.sync.outbox:write"),
    (HmsSession, "after_flush", "hms_desktop.changes:collect"),
    (HmsSession, "before_commit", "hms_desktop.sync.authorship:sign"),
    (HmsSession, "do_orm_execute", "hms_desktop.write_guard:on_execute"),
    (HmsSession, "after_begin", "hms_desktop.write_guard:after_begin"),
    (HmsSession, "after_transaction_end", "hms_desktop.write_guard:after_transaction_end"),
    (HmsSession, "after_commit", "hms_desktop.changes:committed"),
    (HmsSession, "after_soft_rollback", "hms_desktop.changes:rolled_back"),
    (Engine, "before_cursor_execute", "hms_desktop.write_guard:before_cursor_execute"),
)
# what sees the rows of a captured Core UPDATE/DELETE, in this order (as the flush hooks above)
CORE_WRITE_OBSERVERS = (
    "hms_desktop.audit.trail:record_core_write",
    "hms_desktop.sync.outbox:queue_core_write",
    "hms_desktop.changes:collect_core_write",
)
BLOCK_SOURCE = "hms_desktop.sync.codes:synced_code"


def load(name: str) -> Callable[..., Any]:
    module, _, attr = name.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return found


def install() -> None:
    """Install every hook once, in ``ORDER``; a transaction refuses to start until this has run."""
    if HOOKS["installed"]:
        return
    for target, name, listener in ORDER:
        fn = load(listener)
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
    write_guard.OBSERVERS[:] = [load(n) for n in CORE_WRITE_OBSERVERS]
    series.set_block_source(load(BLOCK_SOURCE))
    HOOKS["installed"] = True
