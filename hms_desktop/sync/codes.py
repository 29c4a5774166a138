"""Human codes that never collide across the clinic's PCs, online or offline.

- Patient, appointment and other ``id_sequences`` codes: once a store syncs, numbers come from blocks the
  server reserved for this PC (``id_sequences`` rows with scope ``blk:<start>`` and ``block_end``), so PCs
  registering offline at the same time still issue distinct codes. Every sync tops the blocks up for today
  and the next few days (a new year's series is ready before midnight). A PC that runs out of numbers
  offline issues codes tagged with its short code (``PAT-2026-WS02-00001``), which no other PC can issue.
- GST documents (invoices, credit notes, ...) are numbered per workstation (``hms_desktop.series``).
- Every series of ``hms_desktop.series.CATALOGUE`` of kind ``blocks`` gets blocks: a new module's series
  needs no edit here.
The central database's UNIQUE constraints on the code columns are the last guard.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db.ids import uuid7
from hms_desktop.context import Transaction
from hms_desktop.series import Series, format_code, next_number, period_of, registered
from hms_desktop.sync import state
from hms_desktop.sync.policy import sql_table
from hms_desktop.sync.transport import Transport

SEQ = sql_table("id_sequences")
BLOCK_SIZE = 1000
LOW_WATER = 500
LOOK_AHEAD = timedelta(days=3)
GST_NUMBER_LENGTH = 16
BLOCK = "blk:"


def _short_code(tx: Transaction) -> str | None:
    """This PC's short code when the store syncs (cached for the transaction), else None."""
    info = tx.session.info
    if "sync_short" not in info:
        ident = state.identity(tx.session.connection())
        info["sync_short"] = ident.short_code if ident is not None else None
    value = info["sync_short"]
    return str(value) if value else None


def synced_code(tx: Transaction, series: Series, on: date) -> str | None:
    """The next code of ``series`` from this PC's blocks, or None when the store does not sync."""
    short = _short_code(tx)
    if short is None:
        return None
    conn = tx.session.connection()
    period = period_of(series, on)
    row = conn.execute(
        select(SEQ.c.id, SEQ.c.next_value)
        .where(
            SEQ.c.series == series.name,
            SEQ.c.period == period,
            SEQ.c.scope.like(BLOCK + "%"),
            SEQ.c.next_value <= SEQ.c.block_end,
        )  # fmt: skip
        .order_by(SEQ.c.next_value)
        .limit(1)
    ).first()
    if row is not None:
        conn.execute(
            update(SEQ)
            .where(SEQ.c.id == row[0], SEQ.c.next_value == row[1])
            .values(next_value=row[1] + 1, updated_at=tx.ctx.clock.now())
        )
        return format_code(series, period, int(row[1]))
    _, number = next_number(tx, series, on, scope=f"ws:{short}")
    parts = [series.prefix, period, short, f"{number:0{series.padding}d}"]
    return "-".join(p for p in parts if p)


def remaining(session: Session, series: str, period: str) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(SEQ.c.block_end - SEQ.c.next_value + 1), 0)).where(
            SEQ.c.series == series,
            SEQ.c.period == period,
            SEQ.c.scope.like(BLOCK + "%"),
            SEQ.c.next_value <= SEQ.c.block_end,
        )  # fmt: skip
    ).scalar_one()
    return int(total)


def _series_in_use(session: Session) -> list[Series]:
    """Every registered series numbered from blocks, as the clinic's settings make it."""
    from hms_desktop.settings import clinic_settings

    settings = clinic_settings(session)
    return [d.resolve(settings) for d in registered("blocks")]


def top_up(engine: Engine, transport: Transport, today: date, now: datetime) -> int:
    """Reserve blocks until each series has ``LOW_WATER`` numbers left for today and the next days."""
    from db.models.hospital import Hospital

    with Session(engine.execution_options(hms_readonly=True)) as session:
        if session.execute(select(Hospital.id).limit(1)).first() is None:
            return 0  # nothing pulled yet
        needs = []
        for series in _series_in_use(session):
            for period in sorted({period_of(series, today), period_of(series, today + LOOK_AHEAD)}):
                missing = LOW_WATER - remaining(session, series.name, period)
                if missing > 0:
                    needs.append((series, period, -(-missing // BLOCK_SIZE)))
    reserved = 0
    for series, period, count in needs:
        for _ in range(count):
            block = transport.block(series.name, period, BLOCK_SIZE)
            start, end = int(block["start"]), int(block["end"])
            with engine.begin() as conn:
                conn.execute(
                    insert(SEQ).values(
                        id=uuid7(), series=series.name, period=period, scope=f"{BLOCK}{start}", prefix=series.prefix,
                        padding=series.padding, next_value=start, block_end=end, reset=series.reset,
                        created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            reserved += 1
    return reserved
