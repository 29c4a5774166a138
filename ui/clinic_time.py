"""The clinic's time on screen: every date or time a screen shows, defaults to or compares with comes from here.

The time is the signed-in session's clock (the services' clock, which a test or a demo can move) in the
clinic's time zone (a setting, default Asia/Kolkata); never the machine's own date. The main window follows
its session; before any window exists the machine's clock and the default zone are used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from hms_desktop.clock import Clock
from hms_desktop.services.admin.clinic_time import DEFAULT_ZONE
from ui.qt import QDate


class _Source(Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def zone(self) -> ZoneInfo: ...


class _Default:
    clock = Clock()
    zone = ZoneInfo(DEFAULT_ZONE)


_source: _Source = _Default()


def follow(source: _Source) -> None:
    """Take the time from ``source`` (the signed-in session) from now on."""
    global _source
    _source = source


def zone() -> ZoneInfo:
    return _source.zone


def now() -> datetime:
    """Now, in the clinic's time zone."""
    return _source.clock.now().astimezone(_source.zone)


def today() -> date:
    return now().date()


def qtoday() -> QDate:
    d = today()
    return QDate(d.year, d.month, d.day)


def day_of(value: QDate) -> date:
    """A Qt date as a Python one (what ``QDate.toPython`` returns; its stub says only ``object``)."""
    return date(value.year(), value.month(), value.day())


def local(value: datetime) -> datetime:
    """An instant of the store (UTC) as the clinic's wall-clock time (a naive one is taken as UTC, never as the
    machine's local time, which is what ``astimezone`` would assume)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_source.zone)


def show_time(value: datetime | None, never: str = "never") -> str:
    return local(value).strftime("%d %b %Y %H:%M") if value is not None else never
