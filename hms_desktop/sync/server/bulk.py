"""Writing many rows in one statement on PostgreSQL: the rows travel as one JSON parameter and
``json_populate_recordset`` turns them into the table's row type inside the server (no per-row round trip,
no per-row statement parsing). The rows are the pushed JSON objects themselves, which ``validate`` has checked
value by value against the column types (exact columns, uuids, ISO instants with offset, lengths, ranges);
only bytes change form, from base64 to PostgreSQL's hex.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import LargeBinary, text
from sqlalchemy.engine import Connection

from hms_desktop.sync.policy import TableSpec


def _payload(table: TableSpec, rows: Sequence[dict[str, Any]]) -> str:
    binary = [c.name for c in table.columns if isinstance(c.type, LargeBinary)]
    if binary:
        rows = [{**r, **{n: "\\x" + base64.b64decode(r[n]).hex() for n in binary if r[n] is not None}} for r in rows]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def upsert(conn: Connection, table: TableSpec, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert ``rows`` (checked, as pushed); a row that exists is replaced only by a later clock (a ledger row is
    never replaced). Returns the ids actually written."""
    if not rows:
        return set()
    q = conn.dialect.identifier_preparer.quote
    name = q(table.name)
    cols = ", ".join(q(c.name) for c in table.columns)
    if table.append_only:
        action = "DO NOTHING"
    else:
        sets = ", ".join(f"{q(c.name)} = excluded.{q(c.name)}" for c in table.columns if c.name != "id")
        action = f"DO UPDATE SET {sets} WHERE {name}.hlc IS NULL OR {name}.hlc < excluded.hlc"
    sql = (
        f"INSERT INTO {name} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json)) "
        f"ON CONFLICT (id) {action} RETURNING id"
    )
    return {r[0] for r in conn.execute(text(sql), {"rows": _payload(table, rows)})}
