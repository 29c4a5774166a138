"""This PC's sync state (the one ``sync_state`` row): identity, clock, checkpoint, and the status bar's view.

Everything here works on a plain SQLAlchemy connection inside the caller's transaction, so the clock tick
of a change commits (or rolls back) with the change itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from hms_desktop.sync import hlc
from hms_desktop.sync.policy import sql_table

STATE = sql_table("sync_state")
OUTBOX = sql_table("sync_outbox")
ERROR_LENGTH = 500


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Who this PC is to the central server (only once enrolled)."""

    workstation_id: uuid.UUID
    short_code: str
    server_url: str
    clinic_id: uuid.UUID | None
    checkpoint: int


def identity(conn: Connection) -> Identity | None:
    row = conn.execute(
        select(STATE.c.workstation_id, STATE.c.short_code, STATE.c.server_url, STATE.c.clinic_id, STATE.c.checkpoint)
        .where(STATE.c.workstation_id.is_not(None))
        .limit(1)
    ).first()
    if row is None:
        return None
    return Identity(
        workstation_id=row[0], short_code=row[1] or "", server_url=row[2], clinic_id=row[3], checkpoint=int(row[4])
    )


def tick(conn: Connection, now: datetime) -> str | None:
    """The next clock value of this PC (persisted), or None when the store does not sync."""
    row = conn.execute(
        select(STATE.c.id, STATE.c.workstation_id, STATE.c.hlc_ms, STATE.c.hlc_counter)
        .where(STATE.c.workstation_id.is_not(None))
        .limit(1)
    ).first()
    if row is None:
        return None
    ms, counter = hlc.tick(int(row[2]), int(row[3]), int(now.timestamp() * 1000))
    conn.execute(update(STATE).where(STATE.c.id == row[0]).values(hlc_ms=ms, hlc_counter=counter))
    return str(hlc.Stamp(ms=ms, counter=counter, node=hlc.node_of(row[1])))


def witness(conn: Connection, seen: list[str], now: datetime) -> None:
    """Move this PC's clock past every pulled clock value in ``seen``, except one too far ahead of ``now``
    (``hlc.check_ahead``): that one is ignored, so a forged or wrong clock never drags this PC's along."""
    now_ms = int(now.timestamp() * 1000)
    stamps = []
    for text in seen:
        try:
            stamp = hlc.parse(text)
        except ValueError:
            continue
        if hlc.check_ahead(stamp, now_ms) is None:
            stamps.append(stamp)
    if not stamps:
        return
    top = max(stamps)
    row = conn.execute(select(STATE.c.id, STATE.c.hlc_ms, STATE.c.hlc_counter).limit(1)).first()
    if row is None:
        return
    ms, counter = hlc.witness(int(row[1]), int(row[2]), top)
    conn.execute(update(STATE).where(STATE.c.id == row[0]).values(hlc_ms=ms, hlc_counter=counter))


def clock(conn: Connection) -> tuple[int, int]:
    """This PC's clock as persisted: (ms, counter); (0, 0) when the store has no sync state."""
    row = conn.execute(select(STATE.c.hlc_ms, STATE.c.hlc_counter).limit(1)).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def keep_clock_at_least(conn: Connection, ms: int, counter: int) -> None:
    """Move this PC's clock up to (``ms``, ``counter``) if it is behind: a store restored from a backup never
    ticks behind the clock of the store it replaced (whose changes the server may already hold)."""
    row = conn.execute(select(STATE.c.id, STATE.c.hlc_ms, STATE.c.hlc_counter).limit(1)).first()
    if row is None or (int(row[1]), int(row[2])) >= (ms, counter):
        return
    conn.execute(update(STATE).where(STATE.c.id == row[0]).values(hlc_ms=ms, hlc_counter=counter))


def set_values(conn: Connection, **values: object) -> None:
    conn.execute(update(STATE).values(**values))


@dataclass(frozen=True, kw_only=True)
class SyncStatus:
    """What the status bar shows."""

    enrolled: bool
    server_url: str | None
    workstation_name: str | None
    short_code: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    pending_changes: int
    checkpoint: int
    last_pushed: int
    last_pulled: int

    @property
    def healthy(self) -> bool:
        return self.enrolled and self.last_error is None

    def summary(self, now: datetime) -> str:
        """One line for the status bar, e.g. ``Sync: 2 min ago, 3 waiting`` (times relative: no time zone)."""
        if not self.enrolled:
            return "Sync: not set up"
        waiting = f", {self.pending_changes} waiting" if self.pending_changes else ""
        if self.last_error is not None:
            return f"Sync failed{waiting}: {self.last_error}"
        if self.last_success_at is None:
            return f"Sync: not yet run{waiting}"
        return f"Sync: {_ago(now, self.last_success_at)}{waiting}"


def _ago(now: datetime, then: datetime) -> str:
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def sync_status(engine: Engine) -> SyncStatus:
    """The sync status of the store behind ``engine`` (a cheap read; safe to poll from a timer)."""
    with engine.connect().execution_options(hms_readonly=True) as conn:
        row = conn.execute(select(STATE).limit(1)).mappings().first()
        pending = conn.execute(
            select(func.count()).select_from(select(OUTBOX.c.table_name, OUTBOX.c.row_id).distinct().subquery())
        ).scalar_one()
        name = None
        if row is not None and row["workstation_id"] is not None:
            name = conn.execute(
                select(sql_table("workstations").c.name).where(sql_table("workstations").c.id == row["workstation_id"])
            ).scalar_one_or_none()
    if row is None or row["workstation_id"] is None:
        return SyncStatus(
            enrolled=False,
            server_url=None,
            workstation_name=None,
            short_code=None,
            last_success_at=None,
            last_attempt_at=None,
            last_error=None,
            pending_changes=int(pending),
            checkpoint=0,
            last_pushed=0,
            last_pulled=0,
        )
    return SyncStatus(
        enrolled=True,
        server_url=row["server_url"],
        workstation_name=name,
        short_code=row["short_code"],
        last_success_at=row["last_success_at"],
        last_attempt_at=row["last_attempt_at"],
        last_error=row["last_error"],
        pending_changes=int(pending),
        checkpoint=int(row["checkpoint"]),
        last_pushed=int(row["last_pushed"]),
        last_pulled=int(row["last_pulled"]),
    )
