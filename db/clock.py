"""The one place in the code that reads the machine's clock.

Everything else takes its time from a ``Clock`` (``hms_desktop.clock``), which the services get from their
context, so a test, a demo or a clinic in another time zone can move it. ``tests/test_clock_rule.py`` fails
when a call such as ``datetime.now()``, ``date.today()`` or ``QDate.currentDate()`` appears anywhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The machine's time, as an aware UTC instant."""
    return datetime.now(UTC)
