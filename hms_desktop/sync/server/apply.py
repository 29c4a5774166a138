"""Applying a checked batch on the server, in one transaction.

Per row: a new row is inserted; the same version again changes nothing (a re-pushed batch); otherwise the
later clock wins (workstation id breaks a tie, as the clock text sorts). When the push did not start from
the server's current version, the two edits were concurrent and the losing one goes to ``sync_conflicts``.
Ledger rows are inserted once (a repeat is ignored). Tables are applied parents first, deletes children
first, so the central foreign keys hold. A row that breaks a central UNIQUE (or foreign-key) constraint is set
aside as a conflict naming the constraint (the batch is then applied row by row, each in a savepoint), so the
rest of the batch goes on and the PC keeps syncing; an admin settles the row in Admin > Sync.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from db.ids import uuid7
from hms_desktop.sync import conflicts, derived, hlc
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import TableSpec, sql_table, synced
from hms_desktop.sync.server import authorize, bulk
from hms_desktop.sync.server.store import FeedEntry, register
from hms_desktop.sync.server.validate import Batch, Change

BATCHES = sql_table("sync_batches")
CONFLICTS = sql_table("sync_conflicts")
ROWS = sql_table("sync_rows")


class _Run:
    def __init__(self, conn: Connection, ws_id: uuid.UUID, now: datetime) -> None:
        self.conn, self.ws_id, self.now = conn, ws_id, now
        self.feed: list[FeedEntry] = []
        self.conflicts: list[dict[str, Any]] = []
        self.touched: dict[tuple[str, str], set[uuid.UUID]] = {}
        self.unchanged = 0
        self.set_aside_count = 0
        self.stamp = hlc.server_stamp(int(now.timestamp() * 1000))

    def lose(self, table: str, row_id: uuid.UUID, winner: str, loser: str | None, values: dict[str, Any]) -> None:
        self.conflicts.append(conflicts.record(table, row_id, winner, loser, values, "server", self.now, self.stamp))

    def set_aside(self, table: str, change: Change, constraint: str, *, why: str | None = None) -> None:
        """A row the central database refused: kept as a conflict (with its values) for an admin."""
        values = change.raw or {"id": str(change.row_id), "deleted": True}
        row = conflicts.record(table, change.row_id, self.stamp, change.hlc, values, "server", self.now, self.stamp)
        row["reason"] = (why or f"refused by the central database: {constraint}")[:300]
        self.conflicts.append(row)
        self.set_aside_count += 1


def apply_batch(conn: Connection, ws_id: uuid.UUID, batch: Batch, now: datetime, secret: bytes) -> dict[str, Any]:
    """Apply what the batch's authors may do (``authorize``), in one transaction; answers what happened."""
    op_id = batch.op_id
    first = conn.execute(
        pg_insert(BATCHES)
        .values(
            id=uuid7(),
            op_id=op_id,
            workstation_id=ws_id,
            received_at=now,
            change_count=len(batch.changes),
            result={},
            created_at=now,
            updated_at=now,
        )  # fmt: skip
        .on_conflict_do_nothing(index_elements=[BATCHES.c.op_id])
        .returning(BATCHES.c.id)
    ).first()
    if first is None:
        prev = conn.execute(select(BATCHES.c.workstation_id, BATCHES.c.result).where(BATCHES.c.op_id == op_id)).one()
        if prev[0] != ws_id:
            raise ApiError(409, "op_id_taken", "This operation id belongs to another workstation's batch.")
        return {**prev[1], "duplicate": True}
    verdict = authorize.screen(conn, ws_id, batch, secret)
    changes = verdict.accepted
    groups: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        groups[change.table.name].append(change)
    tables = sorted((synced()[name] for name in groups), key=lambda s: s.rank)
    run = _Run(conn, ws_id, now)
    try:
        with conn.begin_nested():  # the whole batch at once: the usual case
            _apply_all(run, tables, groups)
    except IntegrityError:
        # Some row breaks a central constraint (a UNIQUE value another PC took offline, or a child of such a
        # row): apply the batch row by row, set each refused row aside as a conflict, and go on.
        run = _Run(conn, ws_id, now)
        _apply_each(run, tables, groups)
    _refuse(run, verdict.refused)
    authorize.save_keys(conn, verdict.keys, now)
    try:
        derived.recompute(conn, run.touched)
        _conflicts(run)
    except IntegrityError as exc:
        raise _refusal(exc) from None
    conn.execute(
        update(sql_table("workstations")).where(sql_table("workstations").c.id == ws_id).values(last_seen_at=now)
    )
    seq = register(conn, run.feed, now)
    applied = sum(1 for e in run.feed if e.origin == ws_id)
    result = {
        "applied": applied,
        "unchanged": run.unchanged,
        "conflicts": len(run.conflicts),
        "set_aside": run.set_aside_count,
        "refused": len(verdict.refused),
        "deferred": [f"{c.table.name}:{c.row_id}" for c in verdict.deferred],
        "claim_key": authorize.claim_key(secret),
        "seq": seq,
    }
    conn.execute(update(BATCHES).where(BATCHES.c.op_id == op_id).values(result=result))
    return {**result, "duplicate": False}


def _apply_all(run: _Run, tables: list[TableSpec], groups: dict[str, list[Change]]) -> None:
    for table in tables:
        puts = [c for c in groups[table.name] if c.row is not None]
        if puts:
            (_ledger if table.append_only else _mutable)(run, table, puts)
    for table in reversed(tables):
        dels = [c for c in groups[table.name] if c.row is None]
        if dels:
            _delete(run, table, dels)


def _apply_each(run: _Run, tables: list[TableSpec], groups: dict[str, list[Change]]) -> None:
    """One savepoint per row; a refused row becomes a conflict naming the constraint (``set_aside``)."""
    steps = [(t, c, False) for t in tables for c in groups[t.name] if c.row is not None]
    steps += [(t, c, True) for t in reversed(tables) for c in groups[t.name] if c.row is None]
    for table, change, is_delete in steps:
        kept = (len(run.feed), len(run.conflicts), run.unchanged, {k: set(v) for k, v in run.touched.items()})
        try:
            with run.conn.begin_nested():
                if is_delete:
                    _delete(run, table, [change])
                else:
                    (_ledger if table.append_only else _mutable)(run, table, [change])
        except IntegrityError as exc:
            del run.feed[kept[0] :], run.conflicts[kept[1] :]
            run.unchanged, run.touched = kept[2], kept[3]
            run.set_aside(table.name, change, _constraint_of(exc))


def _constraint_of(exc: IntegrityError) -> str:
    diag = getattr(exc.orig, "diag", None)
    return str(getattr(diag, "constraint_name", None) or "a constraint of the central database")


def _refusal(exc: IntegrityError) -> ApiError:
    diag = getattr(exc.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or "a constraint"
    table = getattr(diag, "table_name", None) or "a table"
    return ApiError(409, "constraint", f"The central database refused the batch: a row of {table} breaks {constraint}.")


def _ledger(run: _Run, table: TableSpec, puts: list[Change]) -> None:
    inserted = bulk.upsert(run.conn, table, [c.raw for c in puts if c.raw is not None])
    run.unchanged += len(puts) - len(inserted)
    new_rows = []
    for c in puts:
        if c.row_id in inserted and c.row is not None:
            run.feed.append(FeedEntry(table.name, c.row_id, c.hlc, run.ws_id))
            new_rows.append(c.row)
    derived.merge(run.touched, derived.affected(table.name, new_rows))


def _current(run: _Run, table: TableSpec, ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    t = table.table
    found: dict[uuid.UUID, str | None] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for row_id, stamp in run.conn.execute(select(t.c.id, t.c.hlc).where(t.c.id.in_(chunk)).with_for_update()):
            found[row_id] = stamp
    return found


def _server_rows(run: _Run, table: TableSpec, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    codec = codec_for(table)
    rows = run.conn.execute(select(*table.columns).where(table.table.c.id.in_(ids))).mappings()
    return {r["id"]: codec.encode(r) for r in rows}


def _deleted_at(run: _Run, table: TableSpec, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The clocks of the deletes among ``ids`` (the feed keeps a tombstone of each deleted row)."""
    found: dict[uuid.UUID, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(ROWS.c.row_id, ROWS.c.hlc).where(
            ROWS.c.table_name == table.name, ROWS.c.row_id.in_(chunk), ROWS.c.is_delete.is_(True)
        )
        found.update({row_id: stamp for row_id, stamp in run.conn.execute(query)})
    return found


def _mutable(run: _Run, table: TableSpec, puts: list[Change]) -> None:
    current = _current(run, table, [c.row_id for c in puts])
    # only an edit (it has a base version) can meet a tombstone: a row created on the PC was never deleted here
    deleted = _deleted_at(run, table, [c.row_id for c in puts if c.row_id not in current and c.base is not None])
    winners: list[Change] = []
    clashes: list[tuple[Change, bool]] = []  # (change, whether the pushed version wins)
    for c in puts:
        if c.row_id not in current:
            tombstone = deleted.get(c.row_id)
            if tombstone is not None and tombstone > c.hlc:  # edited before a later delete: no resurrection
                run.lose(table.name, c.row_id, tombstone, c.hlc, c.raw or {})
            else:
                winners.append(c)
            continue
        cur = current[c.row_id]
        if cur == c.hlc:
            run.unchanged += 1
        elif cur is None or c.hlc > cur:
            winners.append(c)
            if cur is not None and c.base != cur and not cur.endswith(run.ws_id.hex):
                clashes.append((c, True))  # concurrent: the push did not start from the server's version
        else:
            clashes.append((c, False))
    theirs = _server_rows(run, table, [c.row_id for c, _ in clashes])
    for c, pushed_wins in clashes:
        mine, server = c.raw or {}, theirs.get(c.row_id, {})
        if not conflicts.differs(table.name, mine, server):
            continue  # the same content (or only a stock cache differs): nothing was lost
        cur = current[c.row_id]
        if pushed_wins:
            run.lose(table.name, c.row_id, c.hlc, cur, server)
        else:
            run.lose(table.name, c.row_id, cur or "", c.hlc, mine)
    if not winners:
        return
    bulk.upsert(run.conn, table, [c.raw for c in winners if c.raw is not None])
    for c in winners:
        run.feed.append(FeedEntry(table.name, c.row_id, c.hlc, run.ws_id))
    derived.merge(run.touched, derived.affected(table.name, [c.row for c in winners if c.row is not None]))


def _delete(run: _Run, table: TableSpec, dels: list[Change]) -> None:
    current = _current(run, table, [c.row_id for c in dels])
    gone = []
    for c in dels:
        if c.row_id not in current:
            continue
        cur = current[c.row_id]
        if cur is None or c.hlc > cur:
            gone.append(c.row_id)
            run.feed.append(FeedEntry(table.name, c.row_id, c.hlc, run.ws_id, is_delete=True))
        else:
            run.lose(table.name, c.row_id, cur, c.hlc, {"id": str(c.row_id), "deleted": True})
    if gone:
        run.conn.execute(table.table.delete().where(table.table.c.id.in_(gone)))


def _refuse(run: _Run, refused: list[tuple[Change, str]]) -> None:
    """Refused changes: kept as conflicts with the reason, and the server's own version of each row sent out
    again with a clock above the refused one (a row the server never had goes out as deleted), so the PC that
    pushed it takes the server's version back."""
    for change, reason in refused:
        table = change.table
        run.set_aside(table.name, change, "", why=f"refused: {reason}")
        stamp = hlc.server_stamp(max(int(run.now.timestamp() * 1000), hlc.parse(change.hlc).ms + 1))
        t = table.table
        if table.append_only:
            continue  # a ledger row the server refused was never written; the PC's copy stays its own
        found = run.conn.execute(update(t).where(t.c.id == change.row_id).values(hlc=stamp)).rowcount
        run.feed.append(FeedEntry(table.name, change.row_id, stamp, None, is_delete=not found))
    run.set_aside_count -= len(refused)


def _conflicts(run: _Run) -> None:
    fresh = []
    for row in run.conflicts:
        exists = run.conn.execute(
            select(CONFLICTS.c.id).where(
                CONFLICTS.c.table_name == row["table_name"],
                CONFLICTS.c.row_id == row["row_id"],
                CONFLICTS.c.loser_hlc == row["loser_hlc"],
            )
        ).first()
        if exists is None:
            fresh.append(row)
    if fresh:
        run.conn.execute(CONFLICTS.insert(), fresh)
        run.feed.extend(FeedEntry("sync_conflicts", r["id"], r["hlc"], None) for r in fresh)
