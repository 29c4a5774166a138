"""What any signed-in screen may ask about the clinic's time (the rules are in ``hms_desktop.clinic_time``)."""

from __future__ import annotations

from datetime import date

from hms_desktop.clinic_time import DEFAULT_ZONE, age_on, local_now, local_today, zone_of
from hms_desktop.context import Context
from hms_desktop.security.permissions import public

__all__ = ["DEFAULT_ZONE", "age_on", "clinic_today", "local_now", "local_today", "zone_of"]


@public
def clinic_today(ctx: Context) -> date:
    """Today in the clinic's time zone (anyone signed in may ask)."""
    from hms_desktop.settings import clinic_settings

    with ctx.transaction(readonly=True) as tx:
        return local_today(clinic_settings(tx.session), ctx.clock)
