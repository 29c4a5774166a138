"""The session hooks, installed explicitly and in one listed order (never by the side effect of an import).

``install()`` runs once per process, from ``hms_desktop.runtime.context_for`` (the one place a service
context is made); a transaction refuses to start before it has run. The order matters:

1. ``audit``: ``before_flush`` appends the audit rows of every row the flush inserts, changes or deletes;
2. ``outbox``: ``before_flush`` stamps those rows (the audit rows too) with this PC's clock, ``after_flush``
   queues them in ``sync_outbox``, in the same transaction;
3. ``write guard``: Core UPDATE/DELETE through a service session are captured for 1 and 2 (its observers,
   in the same order), any other write around the session is refused;
4. ``changes``: once the outermost transaction commits, the tables and rows it changed are broadcast to
   whoever listens (the desktop's open screens).

Code series get their numbers from this PC's sync blocks once it is enrolled (``hms_desktop.series``'s
block source, set here so that services never import sync).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from hms_desktop import changes, series, write_guard
from hms_desktop.audit import trail
from hms_desktop.context import HOOKS, HmsSession
from hms_desktop.sync import codes, outbox

# (target, event, listener), in the order they run
ORDER: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
    (HmsSession, "before_flush", trail.before_flush),
    (HmsSession, "before_flush", outbox.stamp),
    (HmsSession, "after_flush", outbox.write),
    (HmsSession, "after_flush", changes.collect),
    (HmsSession, "do_orm_execute", write_guard.on_execute),
    (HmsSession, "after_begin", write_guard.after_begin),
    (HmsSession, "after_transaction_end", write_guard.after_transaction_end),
    (HmsSession, "after_commit", changes.committed),
    (HmsSession, "after_soft_rollback", changes.rolled_back),
    (Engine, "before_cursor_execute", write_guard.before_cursor_execute),
)
CORE_WRITE_OBSERVERS = (trail.record_core_write, outbox.queue_core_write, changes.collect_core_write)


def install() -> None:
    if HOOKS["installed"]:
        return
    for target, name, listener in ORDER:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
    write_guard.OBSERVERS[:] = CORE_WRITE_OBSERVERS
    series.set_block_source(codes.synced_code)
    HOOKS["installed"] = True
