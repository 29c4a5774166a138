"""Reading rows for a push straight from the store's SQLite storage form (the push's hot path).

The store keeps uuids as 32 hex digits, instants as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, dates and times as
ISO text, booleans as 0/1, JSON as text. Turning those into the sync encoding directly (``codec``'s format)
skips building Python uuid and datetime objects only to print them again; the server decodes and checks every
value anyway.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, String, Time, Uuid, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from hms_desktop.sync.policy import TableSpec

Convert = Callable[[Any], Any]


def uuid_text(h: str) -> str:
    """``0123...`` (32 hex digits, as stored) -> the canonical 36-character form."""
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _instant(s: str) -> str:
    if len(s) >= 19 and s[10] == " " and "+" not in s and s.count("-") == 2:
        return s[:10] + "T" + s[11:] + "+00:00"
    parsed = datetime.fromisoformat(s)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str | bytes) else v


def _b64(v: bytes) -> str:
    return base64.b64encode(bytes(v)).decode("ascii")


def _same(v: Any) -> Any:
    return v


def _plan(column: Any) -> tuple[ColumnElement[Any], Convert]:
    t = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(t, Uuid):
        return type_coerce(column, String()), uuid_text
    if isinstance(t, DateTime):
        return type_coerce(column, String()), _instant
    if isinstance(t, Date | Time):
        return type_coerce(column, String()), _same
    if isinstance(t, Boolean):
        return type_coerce(column, Integer()), bool
    if isinstance(t, JSON):
        return type_coerce(column, String()), _json
    if isinstance(t, LargeBinary):
        return type_coerce(column, LargeBinary()), _b64
    return column, _same


class StoredRows:
    """Reads rows of one table by id (32-hex keys) already in the sync encoding."""

    def __init__(self, table: TableSpec) -> None:
        self.table = table
        plans = [_plan(c) for c in table.columns]
        self.names = [c.name for c in table.columns]
        self.exprs = [p[0] for p in plans]
        self.converts = [p[1] for p in plans]
        self.key = type_coerce(table.table.c.id, String())

    def read(self, conn: Connection, hex_ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        pairs = list(zip(self.names, self.converts, strict=True))
        for raw in conn.execute(select(self.key, *self.exprs).where(self.key.in_(hex_ids))).all():
            out[raw[0]] = {
                name: (None if v is None else conv(v)) for (name, conv), v in zip(pairs, raw[1:], strict=True)
            }
        return out


def _instant_store(v: datetime) -> str:
    v = v.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _time_store(v: Any) -> str:
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _store_plan(column: Any) -> tuple[Convert, Any]:
    """(typed value -> stored value, what None is stored as), as SQLAlchemy's SQLite types store them."""
    t = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(t, Uuid):
        return (lambda v: v.hex), None
    if isinstance(t, DateTime):
        return _instant_store, None
    if isinstance(t, Date):
        return (lambda v: v.isoformat()), None
    if isinstance(t, Time):
        return _time_store, None
    if isinstance(t, Boolean):
        return (lambda v: 1 if v else 0), None
    if isinstance(t, JSON):
        return json.dumps, (None if t.none_as_null else "null")
    return _same, None


def _default(column: Any) -> Any:
    default = column.default
    value = default.arg if default is not None and default.is_scalar else None
    conv, none = _store_plan(column)
    return none if value is None else conv(value)


class StoredWriter:
    """Writes typed rows (``codec`` decoded) of one table with the driver's executemany, in the form the
    store's column types would have written them (the pull's hot path)."""

    def __init__(self, table: TableSpec, quote: Callable[[str], str]) -> None:
        plans = [_store_plan(c) for c in table.columns]
        self.names = [c.name for c in table.columns]
        self.plans = plans
        # per-store columns (workstations.is_local) are not synced: a new row gets their default
        local = [c for c in table.table.columns if c.name not in table.column_names]
        self.defaults = [_default(c) for c in local]
        cols = ", ".join(quote(n) for n in [*self.names, *(c.name for c in local)])
        marks = ", ".join("?" for _ in range(len(self.names) + len(local)))
        name = quote(table.name)
        self.insert_sql = f"INSERT INTO {name} ({cols}) VALUES ({marks})"
        self.insert_once_sql = self.insert_sql + " ON CONFLICT (id) DO NOTHING"
        sets = ", ".join(f"{quote(n)} = ?" for n in self.names if n != "id")
        self.update_sql = f"UPDATE {name} SET {sets} WHERE id = ?"

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for name, (conv, none) in zip(self.names, self.plans, strict=True):
            v = row[name]
            out.append(none if v is None else conv(v))
        return out

    def insert(self, conn: Connection, rows: list[dict[str, Any]], *, once: bool = False) -> int:
        if not rows:
            return 0
        params = [(*self.values(r), *self.defaults) for r in rows]
        result = conn.exec_driver_sql(self.insert_once_sql if once else self.insert_sql, params)
        return int(result.rowcount or 0)

    def update(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        params = []
        for row in rows:
            values = self.values(row)
            key = values.pop(self.names.index("id"))
            params.append((*values, key))
        if params:
            conn.exec_driver_sql(self.update_sql, params)
