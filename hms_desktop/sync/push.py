"""Push: send the outbox to the server in batches, each with an operation id.

The whole push reads one snapshot of the store (a read transaction held open while the batches go out), so
every row is sent as it was at one instant. Rows go parents first (tables in foreign-key order, older rows
first within a table), deletes last and children first, so each batch the server applies keeps its foreign
keys whole. A batch's outbox entries are deleted only once the server has acknowledged it; a change made
meanwhile adds a new entry and goes in a later push. A rerun after any failure simply pushes what is left:
the server recognises a version it already has, so nothing is applied twice.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, delete, select, type_coerce
from sqlalchemy.engine import Connection, Engine

from hms_desktop.clock import utc_now
from hms_desktop.sync import authorship, hlc
from hms_desktop.sync.policy import TableSpec, pushable, spec, sql_table
from hms_desktop.sync.stored import StoredRows, uuid_text
from hms_desktop.sync.transport import Transport

OUTBOX = sql_table("sync_outbox")
READ_CHUNK = 500
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_CLAIMS = 20  # as many as the server checks in one batch (each costs it a bcrypt check); the rest go next
FORGET_EVERY = 10_000  # a crash before the delete only means those rows are sent again (a no-op)


@dataclass(kw_only=True)
class _Pending:
    entry_ids: list[str] = field(default_factory=list)  # outbox ids, 32 hex digits as stored
    first: str | None = None  # the clock of the earliest pending change of the row
    base: str | None = None  # the version that change started from
    last: str | None = None
    author: str | None = None  # who made the latest change, and their proof of it (``authorship``)
    proof: str | None = None


@dataclass(kw_only=True)
class PushResult:
    changes: int = 0
    batches: int = 0
    unchanged: int = 0
    conflicts: int = 0
    dropped: int = 0
    deferred: int = 0  # changes the server keeps waiting for (their author's claim has not reached it)
    refused: int = 0  # changes the server refused (their author may not make them) and kept as conflicts
    server_key: str | None = None  # the key the server seals claims to (from its answers)


class _Batcher:
    """Builds batches on the caller's thread while one sender thread posts the previous one, in order (the
    next batch is encoded while the server applies the last; at most one waits in between)."""

    def __init__(self, engine: Engine, transport: Transport, ws_id: uuid.UUID, size: int,
                 on_batch: Callable[[PushResult], None] | None, extras: dict[str, Any]) -> None:  # fmt: skip
        self.engine, self.transport, self.ws_id, self.size, self.on_batch = engine, transport, ws_id, size, on_batch
        self.extras = extras  # claims and a founder's base clock: sent with the first batch
        self.keys: dict[str, list[str]] = {}  # "table:row id" -> its outbox entries, for what the server defers
        self.parts: list[str] = []
        self.ids: list[str] = []
        self.bytes = 0
        self.result = PushResult()
        self.error: BaseException | None = None
        self.abandoned = False
        self.queue: queue.Queue[tuple[bytes, list[str], int] | None] = queue.Queue(maxsize=1)
        self.sender = threading.Thread(target=self._send_all, name="sync-push", daemon=True)
        self.sender.start()

    def add(self, change: dict[str, Any], entry_ids: list[str]) -> None:
        self.keys[f"{change['t']}:{change['id']}"] = entry_ids
        part = json.dumps(change, separators=(",", ":"), ensure_ascii=False)
        if self.parts and (len(self.parts) >= self.size or self.bytes + len(part) > MAX_BATCH_BYTES):
            self.flush()
        self.parts.append(part)
        self.ids.extend(entry_ids)
        self.bytes += len(part)

    def drop(self, entry_ids: list[str]) -> None:
        """Entries with nothing to send (a row whose current version came from another PC)."""
        _forget(self.engine, entry_ids)
        self.result.dropped += len(entry_ids)

    def flush(self) -> None:
        if not self.parts:
            return
        head = json.dumps({"op_id": str(uuid.uuid4()), "workstation_id": str(self.ws_id), **self.extras})[:-1]
        self.extras = {}
        body = (head + ',"changes":[' + ",".join(self.parts) + "]}").encode("utf-8")
        self._put((body, self.ids, len(self.parts)))
        self.parts, self.ids, self.bytes = [], [], 0

    def _put(self, item: tuple[bytes, list[str], int] | None) -> None:
        while self.error is None:
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise self.error

    def finish(self) -> PushResult:
        """Send what is left, wait for the sender, and raise what it met."""
        try:
            self.flush()
            self._put(None)
        finally:
            self.sender.join()
        if self.error is not None:
            raise self.error
        return self.result

    def abandon(self) -> None:
        """The building thread failed: stop the sender after its current batch."""
        self.abandoned = True
        self.sender.join()

    def _send_all(self) -> None:
        acked: list[str] = []  # entries of acknowledged batches, deleted a few batches at a time
        try:
            while True:
                try:
                    item = self.queue.get(timeout=0.2)
                except queue.Empty:
                    if self.abandoned:
                        return
                    continue
                if item is None or self.abandoned:
                    return
                body, ids, count = item
                answer = self.transport.push(body)
                kept = self._deferred(answer)
                acked.extend(i for i in ids if i not in kept)
                if len(acked) >= FORGET_EVERY:
                    _forget(self.engine, acked)
                    acked = []
                self.result.batches += 1
                self.result.changes += count
                self.result.unchanged += int(answer.get("unchanged", 0))
                self.result.conflicts += int(answer.get("conflicts", 0))
                self.result.refused += int(answer.get("refused", 0))
                if isinstance(answer.get("claim_key"), str):
                    self.result.server_key = answer["claim_key"]
                if self.on_batch is not None:
                    self.on_batch(self.result)
        except BaseException as exc:  # handed to the building thread, which raises it
            self.error = exc
        finally:
            try:
                _forget(self.engine, acked)
            except BaseException as exc:
                self.error = self.error or exc

    def _deferred(self, answer: dict[str, Any]) -> set[str]:
        """The outbox entries of the changes the server left waiting (kept for the next push)."""
        kept: set[str] = set()
        for key in answer.get("deferred") or []:
            kept.update(self.keys.get(str(key), []))
        self.result.deferred += len(answer.get("deferred") or [])
        return kept


def _forget(engine: Engine, entry_ids: list[str]) -> None:
    if not entry_ids:
        return
    key = type_coerce(OUTBOX.c.id, String())
    with engine.begin() as conn:
        for start in range(0, len(entry_ids), 5000):
            conn.execute(delete(OUTBOX).where(key.in_(entry_ids[start : start + 5000])))


def _plan(snap: Connection) -> dict[str, dict[str, _Pending]]:
    """The pending rows by table and row id (32 hex digits), each with its outbox entries."""
    plan: dict[str, dict[str, _Pending]] = {}
    raw = (type_coerce(OUTBOX.c.id, String()), OUTBOX.c.table_name, type_coerce(OUTBOX.c.row_id, String()))
    author = type_coerce(OUTBOX.c.author_id, String())
    rows = snap.execute(select(*raw, OUTBOX.c.hlc, OUTBOX.c.base_hlc, author, OUTBOX.c.proof))
    for entry_id, table, row_id, stamp, base, who, proof in rows:
        item = plan.setdefault(table, {}).setdefault(row_id, _Pending())
        item.entry_ids.append(entry_id)
        if item.first is None or (stamp or "") < item.first:
            item.first, item.base = stamp or "", base
        if item.last is None or (stamp or "") > item.last:
            item.last = stamp or ""
            item.author, item.proof = (uuid_text(who) if who else None), proof
    return plan


def push_all(engine: Engine, transport: Transport, ws_id: uuid.UUID, *, batch_size: int = 2000,
             on_batch: Callable[[PushResult], None] | None = None) -> PushResult:  # fmt: skip
    with engine.connect().execution_options(hms_readonly=True) as conn:
        claims = authorship.sealed_claims(conn)[:MAX_CLAIMS]
        seed = conn.execute(select(sql_table("sync_state").c.seed_hlc)).scalar()
    extras: dict[str, Any] = {}
    if claims:
        extras["claims"] = [c for _, c in claims]
    if seed:
        extras["base"] = seed
    batcher = _Batcher(engine, transport, ws_id, batch_size, on_batch, extras)
    try:
        with engine.connect().execution_options(hms_readonly=True) as snap, snap.begin():
            plan = _plan(snap)
            tables = sorted((t for n in plan if (t := spec(n)) is not None and pushable(n)), key=lambda t: t.rank)
            for name in set(plan) - {t.name for t in tables}:  # a table that no longer syncs
                batcher.drop([i for p in plan[name].values() for i in p.entry_ids])
            deletes: list[tuple[TableSpec, str, _Pending]] = []
            for table in tables:
                deletes += _send_rows(snap, table, plan[table.name], batcher, ws_id.hex)
            for table, row_id, item in sorted(deletes, key=lambda d: -d[0].rank):  # children first
                if not item.last or _node(item.last) != ws_id.hex:
                    batcher.drop(item.entry_ids)
                    continue
                change = {"t": table.name, "id": uuid_text(row_id), "h": item.last, "b": item.base, "d": True,
                          **_signed(item)}  # fmt: skip
                batcher.add(change, item.entry_ids)
            result = batcher.finish()
    except BaseException:
        batcher.abandon()
        raise
    with engine.begin() as conn:
        if claims and result.batches:
            authorship.claims_sent(conn, [i for i, _ in claims], utc_now())
        if result.server_key:
            authorship.learn_server_key(conn, engine, result.server_key)
    return result


def _send_rows(snap: Connection, table: TableSpec, pending: dict[str, _Pending], batcher: _Batcher,
               node: str) -> list[tuple[TableSpec, str, _Pending]]:  # fmt: skip
    """Queue the pending rows of one table, older rows first; returns the rows that are gone (deletes)."""
    reader = StoredRows(table)
    ids = sorted(pending)  # uuid7 hex text sorts by creation time
    gone = []
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        found = reader.read(snap, chunk)
        for row_id in chunk:
            item, row = pending[row_id], found.get(row_id)
            if row is None:
                gone.append((table, row_id, item))
                continue
            stamp = row["hlc"] or item.last
            if not stamp or not stamp.endswith(node):  # the current version is another PC's: nothing of ours to send
                batcher.drop(item.entry_ids)
                continue
            change = {"t": table.name, "id": row["id"], "h": stamp, "b": item.base, "r": row, **_signed(item)}
            batcher.add(change, item.entry_ids)
    return gone


def _signed(item: _Pending) -> dict[str, str]:
    out = {}
    if item.author:
        out["a"] = item.author
        if item.proof:
            out["p"] = item.proof
    return out


def _node(stamp: str) -> str | None:
    try:
        return hlc.parse(stamp).node
    except ValueError:
        return None
