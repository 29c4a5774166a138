"""Time for services: UTC instants, injectable so tests can move the clock.

This is the one module that reads the machine's clock (``utc_now``); every service, screen and job takes the
time from the ``Clock`` of its context, and shows it in the clinic's time zone. ``tests/test_clock_rule.py``
fails when ``datetime.now()``, ``date.today()``, ``QDate.currentDate()`` or the like appear anywhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db import clock as db_clock


def utc_now() -> datetime:
    """The machine's time, as an aware UTC instant (for what is not a clinic's time: tokens, file names)."""
    return datetime.now(UTC)


db_clock.set_source(utc_now)  # column defaults for rows written outside a service


class Clock:
    def now(self) -> datetime:
        return utc_now()


class FixedClock(Clock):
    """A clock that stands still until moved (tests, demos)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)
