"""Checking a pushed batch before anything is written: shape, tables, columns, types, and ownership.

A workstation may only push as itself: the batch names it, every change carries a clock of its own, and the
rows it adds to a ledger (audit trail, payments, stock) are its own (chain, ``workstation_id``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from hms_desktop.sync import hlc
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import TableSpec, pushable, spec

MAX_CHANGES = 5000


@dataclass
class Change:
    table: TableSpec
    row_id: uuid.UUID
    hlc: str
    base: str | None
    row: dict[str, Any] | None  # typed values; None for a delete
    raw: dict[str, Any] | None  # as sent (kept as the loser of a conflict)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python reads them, PostgreSQL does not


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_batch", message)


def _not_you(message: str) -> ApiError:
    return ApiError(403, "not_yourself", message)


def parse_batch(body: bytes, workstation_id: uuid.UUID) -> tuple[uuid.UUID, list[Change]]:
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise _bad("The batch is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise _bad("The batch must be a JSON object.")
    try:
        op_id = uuid.UUID(str(doc.get("op_id")))
    except ValueError:
        raise _bad("The batch has no operation id.") from None
    if doc.get("workstation_id") != str(workstation_id):
        raise _not_you("A workstation may only push as itself.")
    items = doc.get("changes")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CHANGES:
        raise _bad(f"A batch holds 1 to {MAX_CHANGES} changes.")
    node = workstation_id.hex
    seen: set[tuple[str, uuid.UUID]] = set()
    changes = []
    for i, item in enumerate(items):
        change = _change(i, item, node, workstation_id)
        key = (change.table.name, change.row_id)
        if key in seen:
            raise _bad(f"Change {i} repeats a row of the same batch.")
        seen.add(key)
        changes.append(change)
    return op_id, changes


def _change(i: int, item: Any, node: str, workstation_id: uuid.UUID) -> Change:
    if not isinstance(item, dict):
        raise _bad(f"Change {i} is not an object.")
    name = item.get("t")
    table = spec(name) if isinstance(name, str) else None
    if table is None or not pushable(table.name):
        raise _bad(f"Change {i} names a table that does not sync: {str(name)[:64]!r}.")
    try:
        row_id = uuid.UUID(str(item.get("id")))
        stamp = hlc.parse(item.get("h"))
        base = item.get("b")
        if base is not None:
            hlc.parse(base)
    except ValueError:
        raise _bad(f"Change {i} has a bad id or clock.") from None
    if stamp.node != node:
        raise _not_you(f"Change {i} carries another workstation's clock.")
    if item.get("d") is True:
        if table.append_only:
            raise _bad(f"Change {i} deletes from {table.name}, which is append-only.")
        return Change(table, row_id, str(stamp), base, None, None)
    raw = item.get("r")
    try:
        row = codec_for(table).decode(raw)
    except BadValue as exc:
        raise _bad(f"Change {i}: {exc}.") from None
    assert isinstance(raw, dict)
    if row["id"] != row_id:
        raise _bad(f"Change {i}: the row's id differs from the change's.")
    if row["hlc"] != str(stamp) and not (table.append_only and row["hlc"] is None):
        raise _bad(f"Change {i}: the row's clock differs from the change's.")
    if table.append_only:
        _own_ledger_row(i, table, row, workstation_id)
    return Change(table, row_id, str(stamp), base, row, raw)


def _own_ledger_row(i: int, table: TableSpec, row: dict[str, Any], workstation_id: uuid.UUID) -> None:
    if "workstation_id" in row and row["workstation_id"] not in (None, workstation_id):
        raise _not_you(f"Change {i} adds a row to {table.name} in another workstation's name.")
    if table.name == "audit_logs" and row["chain"] != str(workstation_id):
        raise _not_you(f"Change {i} adds to another workstation's audit chain.")
