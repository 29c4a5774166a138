"""Code counters after a restore: each moves past the highest code of its series that the store holds.

A store restored from a backup has the counters (``id_sequences``) of the day of the backup, while the rows
the PC created afterwards come back from the server with the codes it issued then (``PAT-2026-00042``,
``WS01/2627/000007``). Left alone, the next registration would take ``00042`` again. After the catch-up pull,
every counter still in use moves past the highest number of its shape found in any text column that is part
of a UNIQUE constraint of a synced table (where codes live: ``patients.code``, ``invoices.invoice_number``,
...), so a new series needs no entry here:

- a block from the server (scope ``blk:<start>``): numbers of that block only, ``PREFIX-PERIOD-00042``;
- the fallback of a PC whose blocks ran out (``ws:WS02``): ``PREFIX-PERIOD-WS02-00001``;
- a GST series (scope = the workstation code): ``WS01/2627/000042``, which stays gap-free (the numbers
  skipped are those of the documents that came back);
- a local counter of a store that did not sync then (scope ``""``).

A counter only ever moves forward. A used-up block is left alone (it issues nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Integer, String, UniqueConstraint, cast, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from hms_desktop.series import CATALOGUE
from hms_desktop.sync.policy import sql_table, synced

SEQ = sql_table("id_sequences")
BLOCK = "blk:"
FALLBACK = "ws:"
FINANCIAL_YEAR = re.compile(r"^\d{2}(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class _Shape:
    head: str  # the text before the number
    low: int
    high: int | None


def code_columns() -> list[ColumnElement[str]]:
    """Every text column of a synced table that is part of a UNIQUE constraint or index."""
    found: dict[str, ColumnElement[str]] = {}
    for spec in synced().values():
        table = spec.table
        groups = [c.columns for c in table.constraints if isinstance(c, UniqueConstraint)]
        groups += [i.columns for i in table.indexes if i.unique]
        candidates = [c for c in table.columns if c.unique] + [c for cols in groups for c in cols]
        for column in candidates:
            if isinstance(column.type, String):
                found[f"{table.name}.{column.name}"] = column
    return [found[name] for name in sorted(found)]


def _shape(series: str, period: str, scope: str, prefix: str, block_end: int | None) -> _Shape | None:
    defn = CATALOGUE.get(series)
    if defn is None:
        return None
    if defn.kind == "gst":
        match = FINANCIAL_YEAR.match(period)
        if match is None or not scope or ":" in scope:
            return None
        return _Shape(f"{prefix}/{match[1]}{match[2]}/", 1, None)
    if scope.startswith(BLOCK):
        start = scope[len(BLOCK) :]
        if not start.isdigit():
            return None
        return _Shape("-".join(p for p in (prefix, period) if p) + "-", int(start), block_end)
    if scope.startswith(FALLBACK):
        return _Shape("-".join(p for p in (prefix, period, scope[len(FALLBACK) :]) if p) + "-", 1, None)
    if scope == "":
        return _Shape("-".join(p for p in (prefix, period) if p) + "-", 1, None)
    return None


def _highest(conn: Connection, columns: list[ColumnElement[str]], shape: _Shape) -> int | None:
    """The highest number of ``shape`` held in any of ``columns`` (an index range per column)."""
    after = shape.head[:-1] + chr(ord(shape.head[-1]) + 1)
    top: int | None = None
    for column in columns:
        tail = func.substr(column, len(shape.head) + 1)
        number = cast(tail, Integer)
        query = select(func.max(number)).where(
            column > shape.head, column < after, tail != "", ~tail.op("GLOB")("*[^0-9]*"), number >= shape.low
        )
        if shape.high is not None:
            query = query.where(number <= shape.high)
        found = conn.execute(query).scalar()
        if found is not None and (top is None or int(found) > top):
            top = int(found)
    return top


def advance(conn: Connection) -> int:
    """Move every counter in use past the codes of its series the store holds; returns how many moved."""
    columns = code_columns()
    moved = 0
    rows = conn.execute(
        select(SEQ.c.id, SEQ.c.series, SEQ.c.period, SEQ.c.scope, SEQ.c.prefix, SEQ.c.next_value, SEQ.c.block_end)
    ).all()
    for row_id, series, period, scope, prefix, next_value, block_end in rows:
        if block_end is not None and next_value > block_end:
            continue  # used up
        shape = _shape(series, period or "", scope or "", prefix or "", block_end)
        if shape is None:
            continue
        top = _highest(conn, columns, shape)
        if top is not None and top >= next_value:
            conn.execute(update(SEQ).where(SEQ.c.id == row_id).values(next_value=top + 1))
            moved += 1
    return moved
