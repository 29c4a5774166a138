"""The transactional outbox: session hooks on ``HmsSession``, next to the audit hook.

``before_flush`` stamps every inserted, changed or deleted row of a pushable table with the next tick of
this PC's hybrid logical clock (one tick per transaction, persisted in ``sync_state``) and remembers the
row's previous clock; ``after_flush`` writes one ``sync_outbox`` entry per row in the same transaction. A
store that is not enrolled pays one small read per write transaction and writes nothing.

Rows applied from the server are written with plain connections, never through ``HmsSession``, so they
neither re-enter the outbox nor get audited as local edits.

``hms_desktop.hooks`` installs these after the audit hook, so that the audit rows a flush adds are stamped
and queued with the change they record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, insert, inspect, update
from sqlalchemy.orm import Session, UOWTransaction

from db.ids import uuid7
from hms_desktop.context import Transaction
from hms_desktop.sync import authorship, state, table_rights
from hms_desktop.sync.policy import LOCAL_COLUMNS, pushable, sql_table

_OFF = "off"


def _clock(session: Session, tx: Transaction) -> str | None:
    """This transaction's clock value (ticked on first use), or None when the store does not sync."""
    value = session.info.get("sync_hlc")
    if value is None:
        value = state.tick(session.connection(), tx.ctx.clock.now()) or _OFF
        session.info["sync_hlc"] = value
    return None if value == _OFF else str(value)


def _queue(session: Session, name: str, row_id: uuid.UUID, base: str | None) -> None:
    stamped: set[tuple[str, uuid.UUID]] = session.info.setdefault("sync_stamped", set())
    key = (name, row_id)
    if key in stamped:
        return  # one entry per row per transaction: the row is read whole when it is pushed
    stamped.add(key)
    session.info.setdefault("sync_pending", []).append((name, row_id, base))


def _table(obj: Any) -> str | None:
    name = getattr(obj, "__tablename__", None)
    return name if name is not None and pushable(name) else None


EDIT_STAMPS = frozenset({"updated_at", "updated_by_id"})


def _synced_change(session: Session, obj: Any, name: str) -> bool:
    """Whether a dirty row changed a column that syncs (a sign-in's bookkeeping on ``users`` does not)."""
    if not session.is_modified(obj, include_collections=False):
        return False
    local = LOCAL_COLUMNS.get(name)
    if not local:
        return True
    state_ = inspect(obj)
    # who and when last edited are stamps of an edit, not one: the audit trail keeps updated_at in every UPDATE
    return any(a.key not in local and a.key not in EDIT_STAMPS and a.history.has_changes() for a in state_.attrs)


def stamp(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    tx: Transaction | None = session.info.get("hms_tx")
    if tx is None:
        return
    new = [(o, n) for o in session.new if (n := _table(o))]
    dirty = [(o, n) for o in session.dirty if (n := _table(o)) and _synced_change(session, o, n)]
    deleted = [(o, n) for o in session.deleted if (n := _table(o))]
    if not (new or dirty or deleted):
        return
    if table_rights.checking():
        table_rights.check(tx.actor.permissions, tx.actor.user_id, {n for _, n in (*new, *dirty, *deleted)})
    stamp = _clock(session, tx)
    if stamp is None:
        return
    for obj, name in new:
        if obj.id is None:
            obj.id = uuid7()
        obj.hlc = stamp
        _queue(session, name, obj.id, None)
    for obj, name in dirty:
        base = obj.hlc
        if base != stamp:
            obj.hlc = stamp
        _queue(session, name, obj.id, None if base == stamp else base)
    for obj, name in deleted:
        _queue(session, name, obj.id, obj.hlc)


def write(session: Session, flush_context: UOWTransaction | None = None) -> None:
    pending: list[tuple[str, uuid.UUID, str | None]] = session.info.get("sync_pending") or []
    if not pending:
        return
    stamp = session.info.get("sync_hlc")
    ids = [uuid7() for _ in pending]
    rows = [
        {"id": entry_id, "table_name": name, "row_id": row_id, "base_hlc": base, "hlc": stamp}
        for entry_id, (name, row_id, base) in zip(ids, pending, strict=True)
    ]
    session.connection().execute(insert(sql_table("sync_outbox")), rows)
    session.info["sync_pending"] = []
    authorship.note(session, [(name, row_id, e) for e, (name, row_id, _) in zip(ids, pending, strict=True)])


def queue_core_write(
    tx: Transaction,
    table: Table,
    kind: str,
    old: dict[Any, Mapping[str, Any]],
    new: dict[Any, Mapping[str, Any]],
) -> None:
    """Stamp and queue the rows a captured Core UPDATE or DELETE changed (``hms_desktop.write_guard``)."""
    name = table.name
    if not pushable(name):
        return
    session = tx.session
    changed = [row_id for row_id in old if kind == "delete" or old[row_id] != new.get(row_id)]
    if not changed:
        return
    if table_rights.checking():
        table_rights.check(tx.actor.permissions, tx.actor.user_id, {name})
    clock = _clock(session, tx)
    if clock is None:
        return
    if kind == "update":
        for start in range(0, len(changed), 500):
            chunk = changed[start : start + 500]
            session.connection().execute(
                update(table).where(table.c.id.in_(chunk)).values(hlc=clock).execution_options(hms_recorded=True)
            )
    for row_id in changed:
        base = old[row_id].get("hlc")
        _queue(session, name, row_id, None if base == clock else base)
    write(session)
