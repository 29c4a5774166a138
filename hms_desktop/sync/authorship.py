"""Signing a transaction's changes as it commits, and sealing users' password claims (the PC side).

``sign`` runs on ``before_commit`` of a service session (``hms_desktop.hooks``), after the last flush: for
every row the transaction queued it reads the row as it will be pushed and writes the author (the transaction's
actor) and their proof (``hms_desktop.sync.signing``) onto the outbox entries. A change by the system, or by a
user whose key this process does not hold, is queued with no proof: the server accepts such a change only
where no user's right is needed (``hms_desktop.sync.server.authorize``).

Claims (``hms_desktop.security.author_keys``) are sealed to the server's key and stored in ``sync_claims`` once
the store is enrolled and knows that key; until then they wait in memory. ``sealed_claims`` hands the unsent
ones to the push, ``claims_sent`` clears them once the server has taken them.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, type_coerce, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from db.ids import uuid7
from hms_desktop.clock import utc_now
from hms_desktop.context import Transaction
from hms_desktop.security import author_keys
from hms_desktop.sync import hlc, sealing, signing
from hms_desktop.sync.policy import spec, sql_table
from hms_desktop.sync.stored import StoredRows

OUTBOX = sql_table("sync_outbox")
CLAIMS = sql_table("sync_claims")
STATE = sql_table("sync_state")
SIGNABLE = "sync_signable"  # session.info: (table, row id, outbox entry id) queued in this transaction


def note(session: Session, entries: list[tuple[str, uuid.UUID, uuid.UUID]]) -> None:
    """The outbox entries a flush wrote (``outbox.write``), to sign at commit."""
    session.info.setdefault(SIGNABLE, []).extend(entries)


def sign(session: Session) -> None:
    tx: Transaction | None = session.info.get("hms_tx")
    if tx is None:
        return
    entries: list[tuple[str, uuid.UUID, uuid.UUID]] = session.info.pop(SIGNABLE, None) or []
    stamp = session.info.get("sync_hlc")
    conn = session.connection()
    if entries and stamp and stamp != "off":
        _sign(conn, tx, str(stamp), entries)
    _store_claims(conn, tx.ctx.engine, tx.ctx.clock.now())


def _sign(conn: Connection, tx: Transaction, stamp: str, entries: list[tuple[str, uuid.UUID, uuid.UUID]]) -> None:
    author = tx.actor.user_id
    key = author_keys.key_of(author)
    ws_id = uuid.UUID(hex=hlc.parse(stamp).node)
    by_table: dict[str, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
    for name, row_id, entry_id in entries:
        by_table[name].append((row_id, entry_id))
    params: list[dict[str, Any]] = []
    for name, items in by_table.items():
        table = spec(name)
        if table is None:
            continue
        rows = StoredRows(table).read(conn, [r.hex for r, _ in items])
        if name == "users":
            for hex_id, row in rows.items():
                author_keys.claim_fresh(uuid.UUID(hex=hex_id), str(row["password_hash"]), tx.ctx.engine)
        for row_id, entry_id in items:
            found = rows.get(row_id.hex)
            proof = None
            if key is not None:
                change_stamp = (found.get("hlc") if found else None) or stamp
                proof = signing.prove(key, signing.digest(ws_id, name, str(row_id), change_stamp, found))
            params.append({"eid": entry_id.hex, "a": author, "p": proof})
    if author is None and key is None:
        return  # the entries already name nobody
    key_col = type_coerce(OUTBOX.c.id, String())
    conn.execute(
        update(OUTBOX).where(key_col == bindparam("eid")).values(author_id=bindparam("a"), proof=bindparam("p")),
        params,
    )


def _server_key(conn: Connection) -> str | None:
    row = conn.execute(select(STATE.c.server_key, STATE.c.workstation_id).limit(1)).first()
    return str(row[0]) if row is not None and row[0] and row[1] is not None else None


def _store_claims(conn: Connection, place: object, now: datetime) -> None:
    claims = author_keys.take_claims(place)
    if not claims:
        return
    server_key = _server_key(conn)
    if server_key is None:
        author_keys.put_back(claims)  # not enrolled yet, or the server's key not learnt: keep them in memory
        return
    store_sealed(conn, server_key, claims, now)


def _of_this_store(conn: Connection, claims: list[author_keys.Claim]) -> list[author_keys.Claim]:
    """The claims of users this store holds with that very password hash (another store's, or a password
    changed since, would be refused by the server anyway)."""
    users = sql_table("users")
    wanted = {c.user_id for c in claims}
    held = dict(conn.execute(select(users.c.id, users.c.password_hash).where(users.c.id.in_(wanted))).all())
    return [c for c in claims if held.get(c.user_id) == c.password_hash]


def store_sealed(conn: Connection, server_key: str, claims: list[author_keys.Claim], now: datetime) -> int:
    """Seal and store the claims of this store's users (one per user and hash; a repeat is ignored)."""
    rows = []
    for c in _of_this_store(conn, claims):
        payload = json.dumps(
            {"u": str(c.user_id), "pw": c.password, "n": c.rounds, "h": author_keys.hash_digest(c.password_hash)}
        ).encode()
        rows.append(
            {
                "id": uuid7(), "user_id": c.user_id, "hash_digest": author_keys.hash_digest(c.password_hash),
                "sealed": sealing.seal(server_key, payload), "sent_at": None, "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    if rows:
        statement = sqlite_insert(CLAIMS).on_conflict_do_nothing(index_elements=["user_id", "hash_digest"])
        conn.execute(statement, rows)
    return len(rows)


def learn_server_key(conn: Connection, place: object, server_key: str) -> None:
    """Keep the server's claim key (from a push answer) and seal the claims of this store waiting in memory."""
    bytes.fromhex(server_key)
    if len(server_key) != 64:
        raise ValueError("not a key")
    conn.execute(update(STATE).values(server_key=server_key))
    claims = author_keys.take_claims(place)
    if claims:
        store_sealed(conn, server_key, claims, utc_now())


def sealed_claims(conn: Connection) -> list[tuple[str, dict[str, str]]]:
    """The claims not yet taken by the server: (claim id as stored, the claim as sent)."""
    key = type_coerce(CLAIMS.c.id, String())
    rows = conn.execute(
        select(key, CLAIMS.c.sealed)
        .where(CLAIMS.c.sent_at.is_(None), CLAIMS.c.sealed.is_not(None))
        .order_by(CLAIMS.c.created_at.desc())  # the newest first: a push carries at most ``MAX_CLAIMS``
    )
    return [(claim_id, {"s": str(sealed)}) for claim_id, sealed in rows]


def claims_sent(conn: Connection, claim_ids: list[str], now: datetime) -> None:
    if claim_ids:
        key = type_coerce(CLAIMS.c.id, String())
        conn.execute(update(CLAIMS).where(key.in_(claim_ids)).values(sent_at=now, sealed=None, updated_at=now))
