"""The time the persistence layer stamps on rows written outside a service (a column default).

The machine's clock is read in one place only, ``hms_desktop.clock``, which installs itself here when it is
imported (every program that writes rows imports it through the service context). Services stamp rows with
their context's clock instead, so a test or a demo can move it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

_source: list[Callable[[], datetime]] = []


def set_source(now: Callable[[], datetime]) -> None:
    _source[:] = [now]


def utc_now() -> datetime:
    if not _source:
        raise RuntimeError("No clock is installed: import hms_desktop.clock first.")
    return _source[0]()
