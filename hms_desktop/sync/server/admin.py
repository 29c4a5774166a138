"""Administration of the central server (``hms sync-server init | codes | list | revoke``).

These work on the database directly (whoever holds its URL administers the server), not over HTTP.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from db.ids import uuid7
from hms_desktop.clock import utc_now
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.sync import hlc
from hms_desktop.sync.policy import sql_table
from hms_desktop.sync.server import auth, store
from hms_desktop.sync.server.store import FeedEntry

WORKSTATIONS = sql_table("workstations")
CODE_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class InitResult:
    clinic_id: uuid.UUID
    clinic_name: str
    codes: list[str]


@dataclass(frozen=True)
class WorkstationRow:
    id: uuid.UUID
    name: str
    short_code: str
    enrolled_at: datetime | None
    last_seen_at: datetime | None
    revoked_at: datetime | None


def _now() -> datetime:
    return utc_now()


def init_server(engine: Engine, clinic_name: str, *, codes: int = 3, valid_days: int = 7) -> InitResult:
    """Create the schema and the clinic record and mint the first one-time enrolment codes."""
    name = (clinic_name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationError("clinic_name", "Give the clinic's name (1 to 200 characters).")
    if not 1 <= codes <= 100:
        raise ValidationError("codes", "Mint between 1 and 100 codes.")
    store.upgrade(engine)
    now = _now()
    with engine.begin() as conn:
        if conn.execute(select(sql_table("sync_clinic").c.id).limit(1)).first() is not None:
            raise Conflict("This server already serves a clinic; mint more codes with `hms sync-server codes`.")
        clinic_id = uuid7()
        conn.execute(
            sql_table("sync_clinic")
            .insert()
            .values(id=clinic_id, name=name, token_secret=os.urandom(32), created_at=now, updated_at=now)
        )
        minted = auth.mint_codes(conn, codes, now, timedelta(days=valid_days))
    return InitResult(clinic_id, name, minted)


def mint_codes(engine: Engine, count: int, *, valid_days: int = 7) -> list[str]:
    if not 1 <= count <= 100:
        raise ValidationError("count", "Mint between 1 and 100 codes.")
    store.clinic(engine)
    with engine.begin() as conn:
        return auth.mint_codes(conn, count, _now(), timedelta(days=valid_days))


def list_workstations(engine: Engine) -> list[WorkstationRow]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                WORKSTATIONS.c.id, WORKSTATIONS.c.name, WORKSTATIONS.c.short_code, WORKSTATIONS.c.enrolled_at,
                WORKSTATIONS.c.last_seen_at, WORKSTATIONS.c.revoked_at,
            ).order_by(WORKSTATIONS.c.short_code)
        ).all()  # fmt: skip
    return [WorkstationRow(*r) for r in rows]


def revoke(engine: Engine, which: str) -> WorkstationRow:
    """Revoke a workstation (by id or short code): its tokens die now and every PC learns it at next pull."""
    now = _now()
    condition = WORKSTATIONS.c.short_code == which.strip().upper()
    try:
        condition = or_(condition, WORKSTATIONS.c.id == uuid.UUID(which))
    except ValueError:
        pass
    with engine.begin() as conn:
        row = conn.execute(select(WORKSTATIONS.c.id).where(condition)).first()
        if row is None:
            raise NotFound(f"No workstation {which!r} on this server.")
        ws_id = row[0]
        stamp = hlc.server_stamp(int(now.timestamp() * 1000))
        conn.execute(
            update(WORKSTATIONS).where(WORKSTATIONS.c.id == ws_id).values(revoked_at=now, updated_at=now, hlc=stamp)
        )
        auth.revoke_workstation_tokens(conn, ws_id, now)
        store.register(conn, [FeedEntry("workstations", ws_id, stamp, None)], now)
    return next(w for w in list_workstations(engine) if w.id == ws_id)
