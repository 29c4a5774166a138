"""The clinic's local time: instants are UTC in the store, dates and wall-clock times are the clinic's zone's
(a setting, default Asia/Kolkata). Shared by every domain; ``services.admin.clinic_time`` answers the screens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hms_desktop.clock import Clock

DEFAULT_ZONE = "Asia/Kolkata"


def zone_of(settings: Mapping[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(settings.get("timezone") or DEFAULT_ZONE))


def local_now(settings: Mapping[str, Any], clock: Clock) -> datetime:
    return clock.now().astimezone(zone_of(settings))


def local_today(settings: Mapping[str, Any], clock: Clock) -> date:
    return local_now(settings, clock).date()


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
