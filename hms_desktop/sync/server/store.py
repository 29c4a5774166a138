"""The server's database: engine, schema, the clinic's token secret, and the change feed.

The feed (``sync_rows``) gives each changed row a sequence number. Numbers are handed out at the very end of
a write transaction, under a transaction-level advisory lock held until commit: a transaction that takes
numbers after another has committed, so numbers become visible in order and a PC that has pulled up to ``n``
can never later miss a row numbered below ``n``.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from db import migrate as db_migrate
from db.ids import uuid7
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import sql_table

ROWS = sql_table("sync_rows")
CLINIC = sql_table("sync_clinic")
FEED_LOCK = 0x484D5301
BLOCKS_LOCK = 0x484D5302


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    if not url.startswith("postgresql"):
        raise ValueError("the sync server needs a PostgreSQL URL (postgresql+psycopg://user@host/db)")
    # hide_parameters: a failed statement's error (logged by the server) never carries the pushed values
    return sa.create_engine(url, pool_size=pool_size, max_overflow=8, pool_pre_ping=True, hide_parameters=True)


def upgrade(engine: Engine) -> None:
    """Bring the central database to the schema of this program (the same migrations as every store)."""
    with engine.begin() as conn:
        db_migrate.state(conn)  # refuses a database written by a newer version
        command.upgrade(db_migrate.alembic_config(conn), "head")


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return db_migrate.current_revision(conn)


@dataclass(frozen=True)
class Clinic:
    id: uuid.UUID
    name: str
    secret: bytes = field(repr=False)


_clinics: dict[int, Clinic] = {}
_lock = threading.Lock()


def clinic(engine: Engine) -> Clinic:
    """The clinic this database serves (read once per process: it never changes)."""
    with _lock:
        found = _clinics.get(id(engine))
    if found is not None:
        return found
    with engine.connect() as conn:
        row = conn.execute(select(CLINIC.c.id, CLINIC.c.name, CLINIC.c.token_secret).limit(1)).first()
    if row is None:
        raise ApiError(503, "not_initialised", "This sync server has no clinic yet: run `hms sync-server init`.")
    found = Clinic(row[0], row[1], bytes(row[2]))
    with _lock:
        _clinics[id(engine)] = found
    return found


@dataclass(frozen=True)
class FeedEntry:
    table: str
    row_id: uuid.UUID
    hlc: str | None
    origin: uuid.UUID | None
    is_delete: bool = False


def register(conn: Connection, entries: list[FeedEntry], now: datetime) -> int:
    """Give ``entries`` the next sequence numbers (call last, just before commit). Returns the highest."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
    top = int(conn.execute(select(func.coalesce(func.max(ROWS.c.seq), 0))).scalar_one())
    if not entries:
        return top
    rows = [
        {
            "id": str(uuid7()),
            "table_name": e.table,
            "row_id": str(e.row_id),
            "seq": top + i,
            "hlc": e.hlc,
            "origin_id": str(e.origin) if e.origin else None,
            "is_delete": e.is_delete,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
        }
        for i, e in enumerate(entries, start=1)
    ]
    conn.execute(
        text(
            "INSERT INTO sync_rows (id, table_name, row_id, seq, hlc, origin_id, is_delete, created_at, updated_at) "
            "SELECT id, table_name, row_id, seq, hlc, origin_id, is_delete, created_at, updated_at "
            "FROM json_populate_recordset(NULL::sync_rows, CAST(:rows AS json)) "
            "ON CONFLICT (table_name, row_id) DO UPDATE SET seq = excluded.seq, hlc = excluded.hlc, "
            "origin_id = excluded.origin_id, is_delete = excluded.is_delete, updated_at = excluded.updated_at"
        ),
        {"rows": json.dumps(rows)},
    )
    return top + len(rows)


def head_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(ROWS.c.seq), 0))).scalar_one())
