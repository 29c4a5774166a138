"""Caches of a ledger (stock on hand, an invoice's paid and refunded amounts) recomputed from the ledger after
synced rows are applied.

Two PCs that each dispense from one batch both change its cached quantity; neither copy is right after a
merge, the ledger is. So whoever applies synced rows (the server after a push, a PC after a pull page)
recomputes the cache of every row the page touched, and never trusts the pushed cache value. A cache that
would go below zero (stock sold on two PCs that was not there) stays at zero; the ledger keeps both sales, and
the shortfall is listed by ``hms_desktop.stock.shortfalls`` and reported by ``hms check`` as a warning.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Connection

from hms_desktop.sync.policy import DERIVED, Derived, spec


def affected(table: str, rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], set[uuid.UUID]]:
    """The cache rows touched by ``rows`` of ``table`` (ledger rows name theirs; cache rows are their own)."""
    out: dict[tuple[str, str], set[uuid.UUID]] = {}
    for d in DERIVED:
        if table == d.ledger:
            keys = {r[d.key] for r in rows if r.get(d.key) is not None}
        elif table == d.table:
            keys = {r["id"] for r in rows}
        else:
            continue
        if keys:
            out.setdefault((d.table, d.column), set()).update(keys)
    return out


def merge(into: dict[tuple[str, str], set[uuid.UUID]], more: dict[tuple[str, str], set[uuid.UUID]]) -> None:
    for key, ids in more.items():
        into.setdefault(key, set()).update(ids)


def recompute(conn: Connection, touched: dict[tuple[str, str], set[uuid.UUID]]) -> None:
    """Set every cache of the touched rows from its ledger: one UPDATE per table (an invoice's paid and refunded
    amounts change together, so a CHECK between them sees both), a stock balance never below zero."""
    by_table: dict[str, list[Derived]] = {}
    for d in DERIVED:
        by_table.setdefault(d.table, []).append(d)
    clamp = func.greatest if conn.dialect.name == "postgresql" else func.max
    for name, caches in by_table.items():
        ids: set[uuid.UUID] = set()
        for d in caches:
            ids |= touched.get((d.table, d.column), set())
        if not ids:
            continue
        cache = spec(name)
        assert cache is not None
        t = cache.table
        values: dict[str, Any] = {d.column: clamp(_total(t, d), 0) for d in caches}
        values["updated_at"] = t.c.updated_at  # a recomputed cache is no edit
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            conn.execute(update(t).where(t.c.id.in_(chunk)).values(values))


def _total(t: Table, d: Derived) -> Any:
    ledger = spec(d.ledger)
    assert ledger is not None
    lg = ledger.table
    return select(func.coalesce(func.sum(lg.c[d.amount]), 0)).where(lg.c[d.key] == t.c.id).scalar_subquery()
