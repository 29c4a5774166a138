"""Pulls: the rows changed since a PC's checkpoint, in the server's sequence order, a page at a time.

Each entry is served with the row as it is now. A PC's own changes are left out of its pages (it has them),
but the page still advances its checkpoint past them.

A PC restored from a backup does not have them: it asks with ``own`` and then gets the rows it originated
too (``"own": true`` in each page says so), so the changes it pushed after the backup come back to it, its
audit chain included (``hms_desktop.sync.catch_up``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec, sql_table
from hms_desktop.sync.server.store import head_seq

ROWS = sql_table("sync_rows")
MAX_PAGE = 10_000


def pull_page(conn: Connection, ws_id: uuid.UUID, since: int, limit: int, *, own: bool = False) -> dict[str, Any]:
    """The page after ``since``; with ``own`` the rows ``ws_id`` itself pushed are served too (a restored PC)."""
    limit = max(1, min(limit, MAX_PAGE))
    entries = conn.execute(
        select(ROWS.c.table_name, ROWS.c.row_id, ROWS.c.seq, ROWS.c.hlc, ROWS.c.origin_id, ROWS.c.is_delete)
        .where(ROWS.c.seq > since)
        .order_by(ROWS.c.seq)
        .limit(limit)
    ).all()
    wanted: dict[str, list[uuid.UUID]] = defaultdict(list)
    for name, row_id, _seq, _hlc, origin, is_delete in entries:
        if (own or origin != ws_id) and not is_delete:
            wanted[name].append(row_id)
    rows: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    for name, ids in wanted.items():
        table = spec(name)
        if table is None:
            continue
        codec = codec_for(table)
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            for r in conn.execute(select(*table.columns).where(table.table.c.id.in_(chunk))).mappings():
                rows[(name, r["id"])] = codec.encode(r)
    changes: list[dict[str, Any]] = []
    for name, row_id, seq, stamp, origin, is_delete in entries:
        if origin == ws_id and not own:
            continue
        if is_delete:
            changes.append({"t": name, "id": str(row_id), "h": stamp, "s": seq, "d": True})
            continue
        row = rows.get((name, row_id))
        if row is not None:  # gone since: its delete entry comes later in the feed
            changes.append({"t": name, "id": str(row_id), "h": stamp, "s": seq, "r": row})
    last = int(entries[-1][2]) if entries else since
    more = len(entries) == limit
    page = {"changes": changes, "next": last, "more": more, "head": head_seq(conn) if not more else None}
    return {**page, "own": True} if own else page
