"""The change broadcast: after each committed action, and after each sync page applied, whoever listens on the
store learns which tables and rows changed (Anki's ``OpChanges``), so open screens refresh what they show
instead of polling.

- A service's transaction collects the rows of every flush (and of captured Core writes); when the outermost
  transaction commits, ``Changes`` goes to the listeners of its engine. A rolled-back action announces nothing.
- The sync pull announces the rows it applied (``origin="sync"``).
- Listeners run on the thread that committed (the DB worker, the sync thread): a screen hands the news to
  its own thread (the desktop does it with a queued Qt signal) and keeps the listener quick.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, UOWTransaction

log = logging.getLogger(__name__)
_KEY = "hms_changed"
# Tables whose rows are bookkeeping, never news to a screen.
QUIET = frozenset({"audit_logs", "sync_outbox", "sync_state", "id_sequences"})


@dataclass(frozen=True, kw_only=True)
class Changes:
    rows: Mapping[str, frozenset[uuid.UUID]] = field(default_factory=dict)  # table -> ids changed
    origin: str = "local"  # "local" (an action on this PC) or "sync" (rows applied from the server)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.rows)

    def touches(self, *tables: str) -> bool:
        return any(t in self.rows for t in tables)

    def ids(self, table: str) -> frozenset[uuid.UUID]:
        return self.rows.get(table, frozenset())


Listener = Callable[[Changes], None]
_listeners: dict[int, list[Listener]] = {}
_lock = threading.Lock()


def _key(engine: Engine) -> int:
    return id(getattr(engine, "engine", engine))  # an engine with execution options is the same store


def subscribe(engine: Engine, listener: Listener) -> Callable[[], None]:
    """Call ``listener`` after every change to the store of ``engine``; returns the unsubscribe."""
    key = _key(engine)
    with _lock:
        _listeners.setdefault(key, []).append(listener)

    def unsubscribe() -> None:
        with _lock:
            found = _listeners.get(key, [])
            if listener in found:
                found.remove(listener)

    return unsubscribe


def publish(engine: Engine, changes: Changes) -> None:
    if not changes.rows:
        return
    with _lock:
        listeners = list(_listeners.get(_key(engine), ()))
    for listener in listeners:
        try:
            listener(changes)
        except Exception:  # a screen's bug must not undo or block an action that committed
            log.exception("a change listener failed")


def announce(engine: Engine, rows: Mapping[str, Iterable[uuid.UUID]], origin: str) -> None:
    publish(engine, Changes(rows={t: frozenset(ids) for t, ids in rows.items() if t not in QUIET}, origin=origin))


def _note(session: Session, table: str, ids: Iterable[Any]) -> None:
    if table in QUIET:
        return
    found: dict[str, set[uuid.UUID]] = session.info.setdefault(_KEY, {})
    found.setdefault(table, set()).update(i for i in ids if isinstance(i, uuid.UUID))


def collect(session: Session, flush_context: UOWTransaction) -> None:
    """``after_flush``: note the rows this flush wrote (the session still lists them)."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = getattr(obj, "__tablename__", None)
        if name is not None:
            _note(session, name, [getattr(obj, "id", None)])


def collect_core_write(tx: Any, table: Table, kind: str, old: dict[Any, Any], new: dict[Any, Any]) -> None:
    _note(tx.session, table.name, old.keys())


def committed(session: Session) -> None:
    """``after_commit``: once the outermost transaction commits, tell the listeners (a service that joined
    another's transaction releases a savepoint, which SQLAlchemy also reports here: not yet news)."""
    tx = session.info.get("hms_tx")
    if tx is None or tx.joined:
        return
    found: dict[str, set[uuid.UUID]] = session.info.pop(_KEY, {})
    if found:
        announce(tx.ctx.engine, found, "local")


def rolled_back(session: Session, previous_transaction: Any) -> None:
    """``after_soft_rollback``: a whole action rolled back announces nothing (a savepoint restores its own)."""
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
