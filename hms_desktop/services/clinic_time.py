"""The clinic's local time: instants are UTC in the store, dates and wall-clock times are the clinic's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hms_desktop.clock import Clock
from hms_desktop.context import Context
from hms_desktop.security.permissions import public

DEFAULT_ZONE = "Asia/Kolkata"


def zone_of(settings: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(settings.get("timezone") or DEFAULT_ZONE))


def local_now(settings: dict[str, Any], clock: Clock) -> datetime:
    return clock.now().astimezone(zone_of(settings))


def local_today(settings: dict[str, Any], clock: Clock) -> date:
    return local_now(settings, clock).date()


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@public
def clinic_today(ctx: Context) -> date:
    """Today in the clinic's time zone (anyone signed in may ask)."""
    from hms_desktop.services.hospital import clinic_settings

    with ctx.transaction(readonly=True) as tx:
        return local_today(clinic_settings(tx.session), ctx.clock)


@public
def clinic_zone(ctx: Context) -> str:
    """The clinic's time zone name (anyone may ask: every screen shows times in it)."""
    from hms_desktop.services.hospital import clinic_settings

    with ctx.transaction(readonly=True) as tx:
        return str(clinic_settings(tx.session).get("timezone") or DEFAULT_ZONE)
