"""Caches of a ledger (stock on hand) recomputed from the ledger after synced rows are applied.

Two PCs that each dispense from one batch both change its cached quantity; neither copy is right after a
merge, the ledger is. So whoever applies synced rows (the server after a push, a PC after a pull page)
recomputes the cache of every row the page touched, and never trusts the pushed cache value. A cache that
would go below zero (stock sold on two PCs that was not there) stays at zero and ``hms check`` shows the
difference with the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from hms_desktop.sync.policy import DERIVED, spec


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
    for d in DERIVED:
        ids = touched.get((d.table, d.column))
        if not ids:
            continue
        cache, ledger = spec(d.table), spec(d.ledger)
        assert cache is not None and ledger is not None
        t, lg = cache.table, ledger.table
        total = select(func.coalesce(func.sum(lg.c[d.amount]), 0)).where(lg.c[d.key] == t.c.id).scalar_subquery()
        clamp = func.greatest if conn.dialect.name == "postgresql" else func.max
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            conn.execute(
                update(t).where(t.c.id.in_(chunk)).values({d.column: clamp(total, 0), "updated_at": t.c.updated_at})
            )
