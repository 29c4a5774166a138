"""No write around the audit trail and the sync outbox.

The audit and outbox hooks see ORM flushes. A Core statement run through a service's session is caught here:

- ``UPDATE`` and ``DELETE`` through ``tx.session.execute(...)`` are *captured*: the rows the statement will
  touch are read first, the statement runs, the rows are read again, and each observer (the audit trail,
  then the outbox, installed by ``hms_desktop.hooks``) records every row that changed, in the same
  transaction. So an atomic ``UPDATE ... SET quantity = quantity - 5`` is audited and synced like an ORM edit.
- ``INSERT`` through the session, and any INSERT, UPDATE or DELETE sent around it (``session.connection()``,
  raw SQL text) on a guarded table, is *refused* with ``UnrecordedWrite``: add rows with ``session.add``.

Guarded: every table of the schema but the bookkeeping that is neither audited nor synced (``EXEMPT``).
A statement the machinery itself runs (an observer's own writes, a ledger cache) says so with the execution
option ``hms_recorded=True``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Delete, Insert, Table, Update, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session

from db.models import metadata
from db.models.sync import SYNC_BOOKKEEPING
from hms_desktop.context import HmsSession, Transaction

RECORDED = "hms_recorded"
# audit_logs: written by the audit hook's own flush (a Core write to it is refused below); id_sequences: the
# counters behind human codes; and sync's bookkeeping
EXEMPT = frozenset({"audit_logs", "id_sequences"}) | SYNC_BOOKKEEPING
RowMaps = Sequence[Mapping[str, Any]]
# observer(tx, table, kind, old_rows, new_rows): kind is "update" or "delete"; rows are keyed by id
Observer = Callable[[Transaction, Table, str, dict[Any, Mapping[str, Any]], dict[Any, Mapping[str, Any]]], None]
OBSERVERS: list[Observer] = []
_DML = re.compile(
    r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)', re.I
)


class UnrecordedWrite(RuntimeError):
    """A programming error: a write that the audit trail and the outbox would not see."""


def guarded(name: str) -> bool:
    return name in metadata.tables and (name not in EXEMPT or name == "audit_logs")


def _target(statement: Any) -> Table | None:
    """The plain table a DML statement writes (an ORM statement names an annotated copy of it)."""
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    return metadata.tables.get(name) if isinstance(table, Table) and isinstance(name, str) else None


def on_execute(state: ORMExecuteState) -> Any:
    """``do_orm_execute``: capture UPDATE/DELETE, refuse INSERT, on guarded tables."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    if state.execution_options.get(RECORDED):
        return None
    statement = state.statement
    table = _target(statement)
    tx: Transaction | None = state.session.info.get("hms_tx")
    if table is None or tx is None or not guarded(table.name):
        return None
    if isinstance(statement, Insert) or table.name == "audit_logs":
        raise UnrecordedWrite(
            f"A Core {type(statement).__name__.upper()} on {table.name} would bypass the audit trail and sync: "
            "add the row through the session (session.add) instead."
        )
    assert isinstance(statement, Update | Delete)
    if isinstance(state.parameters, list):
        raise UnrecordedWrite(
            f"A bulk {type(statement).__name__.upper()} of {table.name} by primary key is not "
            "recorded: change the rows through the session, or one statement with a WHERE."
        )
    return _capture(state, tx, table, statement)


def _capture(state: ORMExecuteState, tx: Transaction, table: Table, statement: Update | Delete) -> Any:
    session = state.session
    opts = {RECORDED: True}
    where = statement.whereclause
    query = select(table) if where is None else select(table).where(where)
    found = session.execute(query.execution_options(**opts), state.parameters).mappings()
    old: dict[Any, Mapping[str, Any]] = {r["id"]: dict(r) for r in found}
    kind = "delete" if isinstance(statement, Delete) else "update"
    if isinstance(statement, Update) and old:
        extra: dict[str, Any] = {}
        if "updated_at" in table.c:
            extra["updated_at"] = tx.ctx.clock.now()
        if "updated_by_id" in table.c:
            extra["updated_by_id"] = tx.actor.user_id
        if extra:
            statement = statement.values(**extra)
    result = state.invoke_statement(statement=statement, execution_options=opts)
    if not old:
        return result
    new: dict[Any, Mapping[str, Any]] = {}
    if kind == "update":
        ids = list(old)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(table).where(table.c.id.in_(chunk)).execution_options(**opts)
            new.update({r["id"]: dict(r) for r in session.execute(query).mappings()})
    for observe in OBSERVERS:
        observe(tx, table, kind, old, new)
    return result


def before_cursor_execute(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Refuse a write on a guarded table that reached the connection around the session's hooks."""
    session: Session | None = conn.info.get("hms_session")
    if session is None or getattr(session, "_flushing", False):
        return
    if context is not None and context.execution_options.get(RECORDED):
        return
    match = _DML.match(statement)
    if match is None or not guarded(match.group(1)):
        return
    raise UnrecordedWrite(
        f"A write to {match.group(1)} was sent around the session (connection or SQL text), so neither the audit "
        "trail nor sync would see it: write through the session (session.add, or an update()/delete() statement)."
    )


def after_begin(session: Session, transaction: Any, connection: Connection) -> None:
    """Mark the connection as a service session's while that session holds it."""
    if isinstance(session, HmsSession):
        info = connection.info  # the pooled connection's own dict: it outlives this Connection object
        info["hms_session"] = session
        held: list[dict[str, Any]] = session.info.setdefault("hms_connections", [])
        held.append(info)


def after_transaction_end(session: Session, transaction: Any) -> None:
    """The session gave its connection back: it is no longer a service session's."""
    if transaction.parent is None:
        for info in session.info.pop("hms_connections", []):
            info.pop("hms_session", None)
