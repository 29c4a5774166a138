"""Time for services: UTC instants, injectable so tests can move the clock.

The machine's clock is read in one place only (``db.clock.utc_now``); every service, screen and job takes
the time from the ``Clock`` of its context, and shows it in the clinic's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.clock import utc_now


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
