"""Human codes from ``id_sequences``: ``PAT-2026-00001``, ``APT-2026-000001``, ...

A number is taken and the counter advanced by one UPDATE ... RETURNING inside the caller's write
transaction (which began with BEGIN IMMEDIATE), so two processes never get the same number, and a rolled
back action returns its number: no gaps. Prefix, padding and yearly reset come from the clinic's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlalchemy.dialects.sqlite import insert

from db.ids import uuid7
from db.models.hospital import IdSequence
from hms_desktop.context import Transaction


@dataclass(frozen=True)
class Series:
    name: str  # "PAT", "APT", ...
    prefix: str
    padding: int
    reset: str  # "never", "yearly", "financial_year"
    fy_start_month: int = 4


def period_of(series: Series, on: date) -> str:
    if series.reset == "yearly":
        return str(on.year)
    if series.reset == "financial_year":
        start = on.year if on.month >= series.fy_start_month else on.year - 1
        return f"{start}-{(start + 1) % 100:02d}"
    return ""


def format_code(series: Series, period: str, number: int) -> str:
    parts = (
        [series.prefix, period, f"{number:0{series.padding}d}"]
        if period
        else [series.prefix, f"{number:0{series.padding}d}"]
    )
    return "-".join(parts)


def next_number(tx: Transaction, series: Series, on: date, scope: str = "") -> tuple[str, int]:
    """(period, number) taken from the series for the local date ``on``."""
    period = period_of(series, on)
    now = tx.ctx.clock.now()
    tx.session.execute(
        insert(IdSequence)
        .values(
            id=uuid7(),
            series=series.name,
            period=period,
            scope=scope,
            prefix=series.prefix,
            padding=series.padding,
            next_value=1,
            reset=series.reset,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["series", "period", "scope"])
    )
    number = tx.session.execute(
        update(IdSequence)
        .where(IdSequence.series == series.name, IdSequence.period == period, IdSequence.scope == scope)
        .values(next_value=IdSequence.next_value + 1, updated_at=now)
        .returning(IdSequence.next_value - 1)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return period, int(number)


def next_code(tx: Transaction, series: Series, on: date, scope: str = "") -> str:
    if not scope:  # once the store syncs, numbers come from this workstation's blocks (hms_desktop.sync.codes)
        from hms_desktop.sync.codes import synced_code

        code = synced_code(tx, series, on)
        if code is not None:
            return code
    period, number = next_number(tx, series, on, scope)
    return format_code(series, period, number)
