"""Pull: apply the server's changes since this PC's checkpoint, one local transaction per page.

Rows are written with a plain connection (no session hooks): they do not enter the outbox and are not
audited again (the other PC's audit rows arrive as rows of its own chain). Within a page, a row the server
has in a later version than this PC replaces the local one; if this PC had an edit of that row not yet
pushed, the edit lost to a later one, and it is kept in ``sync_conflicts`` (which then syncs) instead of
being dropped silently. Ledger rows are inserted once. The checkpoint moves with the page, in the same
transaction, so a pull interrupted anywhere resumes after the last whole page.

Foreign keys are not checked while a page is applied: the server's copy always satisfies them, but a row
served in its current version may name a row that comes in a later page. Once the pull has caught up the
store is whole again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from db.ids import uuid7
from hms_desktop import changes
from hms_desktop.sync import conflicts, derived, row_rules, state
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.errors import SyncError
from hms_desktop.sync.policy import TableSpec, spec, sql_table
from hms_desktop.sync.stored import StoredWriter
from hms_desktop.sync.transport import Transport

OUTBOX = sql_table("sync_outbox")
CHUNK = 500
PAGE_SIZE = 5000
APPLY_CACHE_KIB = -65536  # 64 MiB of page cache while a page is applied (then back to SQLite's 2 MB default)


def pull_all(engine: Engine, transport: Transport, ws_id: uuid.UUID, since: int, now: datetime, *,
             page_size: int = PAGE_SIZE) -> int:  # fmt: skip
    """Pull pages until caught up; the next page is fetched while this one is applied."""
    applied = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as fetcher:
        pending = fetcher.submit(transport.pull, since, page_size)
        while True:
            page = pending.result()
            following = int(page["next"])
            if page.get("more"):
                pending = fetcher.submit(transport.pull, following, page_size)
            applied += apply_page(engine, page, ws_id, since, now)
            since = following
            if not page.get("more"):
                return applied


class _Page:
    def __init__(self, conn: Connection, ws_id: uuid.UUID, now: datetime) -> None:
        self.conn, self.ws_id, self.now = conn, ws_id, now
        self.conflicts: list[dict[str, Any]] = []
        self.touched: dict[tuple[str, str], set[uuid.UUID]] = {}
        self.seen: list[str] = []
        self.applied = 0
        self.changed: dict[str, set[uuid.UUID]] = {}  # what the open screens hear about once the page commits

    def note(self, table: str, ids: Any) -> None:
        self.changed.setdefault(table, set()).update(ids)


def apply_page(engine: Engine, page: dict[str, Any], ws_id: uuid.UUID, since: int, now: datetime) -> int:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in page.get("changes", []):
        groups[str(item.get("t"))].append(item)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        raw.execute(f"PRAGMA cache_size = {APPLY_CACHE_KIB}")  # type: ignore[union-attr]
        try:
            with conn.begin():
                current = state.identity(conn)
                if current is None or current.checkpoint != since:
                    raise SyncError("The store's sync checkpoint moved during the pull; run sync again.")
                run = _Page(conn, ws_id, now)
                for name, items in groups.items():
                    table = spec(name)
                    if table is None:
                        raise SyncError(f"The server sent rows of {name[:64]!r}, which this version does not sync.")
                    _apply_guarded(run, table, items)
                derived.recompute(conn, run.touched)
                for (cache_table, _), ids in run.touched.items():
                    run.note(cache_table, ids)
                state.witness(conn, run.seen, now)
                _record_conflicts(run)
                state.set_values(conn, checkpoint=int(page["next"]))
        finally:
            raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            raw.execute("PRAGMA cache_size = -2000")  # type: ignore[union-attr]
    changes.announce(engine, run.changed, "sync")
    return run.applied


def _local(
    conn: Connection, table: TableSpec, ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, str | None], set[uuid.UUID]]:
    t = table.table
    stamps: dict[uuid.UUID, str | None] = {}
    pending: set[uuid.UUID] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stamps.update({r[0]: r[1] for r in conn.execute(select(t.c.id, t.c.hlc).where(t.c.id.in_(chunk)))})
        pending.update(
            conn.execute(
                select(OUTBOX.c.row_id).where(OUTBOX.c.table_name == table.name, OUTBOX.c.row_id.in_(chunk))
            ).scalars()
        )
    return stamps, pending


def _apply(run: _Page, table: TableSpec, items: list[dict[str, Any]]) -> None:
    codec = codec_for(table)
    decoded: list[tuple[uuid.UUID, str, dict[str, Any] | None]] = []
    for item in items:
        try:
            row_id = uuid.UUID(str(item["id"]))
            row = None if item.get("d") else codec.decode(item.get("r"))
        except (KeyError, ValueError, BadValue) as exc:
            raise SyncError(f"The server sent a row of {table.name} this PC cannot read ({exc}).") from None
        stamp = str((row or {}).get("hlc") or item.get("h") or "")
        run.seen.append(stamp)
        decoded.append((row_id, stamp, row))
    t = table.table
    writer = StoredWriter(table, run.conn.dialect.identifier_preparer.quote)
    if table.append_only:
        rows = [row for _, _, row in decoded if row is not None]
        if rows:
            run.applied += writer.insert(run.conn, rows, once=True)  # a repeat is ignored; any other clash fails
            derived.merge(run.touched, derived.affected(table.name, rows))
            run.note(table.name, (r["id"] for r in rows))
        return
    local, pending = _local(run.conn, table, [d[0] for d in decoded])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    gone: list[uuid.UUID] = []
    lost: list[tuple[uuid.UUID, str, str | None]] = []
    mine: list[uuid.UUID] = []
    for row_id, stamp, row in decoded:
        if row_id not in local:
            if row is not None:
                inserts.append(row)
            continue
        cur = local[row_id]
        if cur == stamp or (cur is not None and stamp <= cur):
            continue  # this PC has this version, or a later one it will push
        if row is not None:
            updates.append(row)
        else:
            gone.append(row_id)
        if row_id in pending and stamp.endswith(run.ws_id.hex):
            mine.append(row_id)  # this PC's own later version (a restored PC catching up): nothing was lost
        elif row_id in pending:
            lost.append((row_id, stamp, cur))
    if mine:
        run.conn.execute(delete(OUTBOX).where(OUTBOX.c.table_name == table.name, OUTBOX.c.row_id.in_(mine)))
    if lost:
        raw = {uuid.UUID(str(i["id"])): i.get("r") or {"deleted": True} for i in items}
        _keep_losers(run, table, lost, raw)
    writer.insert(run.conn, inserts)
    writer.update(run.conn, updates)
    if gone:
        run.conn.execute(delete(t).where(t.c.id.in_(gone)))
    run.applied += len(inserts) + len(updates) + len(gone)
    derived.merge(run.touched, derived.affected(table.name, inserts + updates))
    run.note(table.name, [r["id"] for r in inserts + updates] + gone)


def _apply_guarded(run: _Page, table: TableSpec, items: list[dict[str, Any]]) -> None:
    """Apply a table's rows of the page; a row this store refuses (its UNIQUE value is held here by a record
    not yet on the server) is kept as a conflict naming the clash, and the rest of the page goes on. So is a
    row that breaks the services' rules (``row_rules``), before anything is written."""
    items = _set_aside_refused(run, table, items)
    try:
        with run.conn.begin_nested():
            _apply(run, table, items)
        return
    except IntegrityError:
        pass
    for item in items:
        kept = (run.applied, len(run.seen), len(run.conflicts), {k: set(v) for k, v in run.touched.items()})
        try:
            with run.conn.begin_nested():
                _apply(run, table, [item])
        except IntegrityError as exc:
            run.applied, run.touched = kept[0], kept[3]
            del run.seen[kept[1] :], run.conflicts[kept[2] :]
            stamp = str(item.get("h") or "")
            run.seen.append(stamp)
            row_id, sent = uuid.UUID(str(item["id"])), item.get("r")
            values: dict[str, Any] = sent if isinstance(sent, dict) else {"id": str(row_id), "deleted": True}
            row = conflicts.record(table.name, row_id, "", stamp, values, str(run.ws_id), run.now, "")
            clash = str(getattr(exc, "orig", exc)).split("\n", 1)[0][:200]
            row["reason"] = f"not applied on this PC, which holds another record with the same value ({clash})"
            run.conflicts.append(row)


def _set_aside_refused(run: _Page, table: TableSpec, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that pass ``row_rules``; each other one becomes a conflict with the reason (never written)."""
    passed = []
    for item in items:
        reason = None if item.get("d") else row_rules.check_sent(table, item.get("r"))
        if reason is None:
            passed.append(item)
            continue
        values = row_rules.kept_values(table.name, item["r"])
        kept = conflicts.record(table.name, uuid.UUID(str(item["id"])), "", str(item.get("h") or ""), values,
                                str(run.ws_id), run.now, "")  # fmt: skip
        kept["reason"] = f"not applied on this PC: {reason}"
        run.conflicts.append(kept)
    return passed


def _keep_losers(run: _Page, table: TableSpec, lost: list[tuple[uuid.UUID, str, str | None]],
                 incoming: dict[uuid.UUID, dict[str, Any]]) -> None:  # fmt: skip
    """Local edits, never pushed, that a later version from the server replaces: kept as conflicts."""
    codec = codec_for(table)
    ids = [row_id for row_id, _, _ in lost]
    found = run.conn.execute(select(*table.columns).where(table.table.c.id.in_(ids))).mappings()
    mine = {r["id"]: codec.encode(r) for r in found}
    for row_id, winner, loser in lost:
        local = mine.get(row_id, {})
        if conflicts.differs(table.name, local, incoming.get(row_id, {})):
            run.conflicts.append(
                conflicts.record(table.name, row_id, winner, loser, local, str(run.ws_id), run.now, "")
            )
    run.conn.execute(delete(OUTBOX).where(OUTBOX.c.table_name == table.name, OUTBOX.c.row_id.in_(ids)))


def _record_conflicts(run: _Page) -> None:
    if not run.conflicts:
        return
    stamp = state.tick(run.conn, run.now) or ""
    for row in run.conflicts:
        row["hlc"] = stamp
    run.conn.execute(insert(sql_table("sync_conflicts")), run.conflicts)
    run.conn.execute(
        insert(OUTBOX),
        [
            {"id": uuid7(), "table_name": "sync_conflicts", "row_id": r["id"], "base_hlc": None, "hlc": stamp}
            for r in run.conflicts
        ],
    )
