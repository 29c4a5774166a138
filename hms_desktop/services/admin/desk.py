"""What any signed-in screen may read of the clinic's settings (none of it is secret): the time zone, the
idle-lock minutes, the settings the code series read (prefixes, padding, numbering restart: the barcode
scanner recognises every registered series with them), and the clinic's state (a new patient's default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hms_desktop.clinic_time import DEFAULT_ZONE
from hms_desktop.context import Context
from hms_desktop.errors import NotFound
from hms_desktop.security.permissions import public
from hms_desktop.series import registered
from hms_desktop.settings_defaults import DEFAULT_SETTINGS

__all__ = ["DeskSettings", "code_setting_keys", "desk_settings"]


@dataclass(frozen=True, kw_only=True)
class DeskSettings:
    timezone: str = DEFAULT_ZONE  # every screen shows times in it
    idle_lock_minutes: int = int(DEFAULT_SETTINGS["idle_lock_minutes"])
    code_settings: dict[str, Any] = field(default_factory=dict)  # for hms_desktop.series.pattern / series_of
    state_code: str | None = None  # the clinic's GST state code, if set


def code_setting_keys() -> set[str]:
    """Every setting a registered series reads."""
    keys = {"fiscal_year_start_month"}
    for d in registered():
        keys |= {k for k in (d.prefix_setting, d.padding_setting, d.reset_setting) if k}
    return keys


@public
def desk_settings(ctx: Context) -> DeskSettings:
    """The clinic's settings every role's screens need (anyone may ask: nothing here is secret)."""
    from hms_desktop.settings import clinic_settings, current_hospital

    with ctx.transaction(readonly=True) as tx:
        settings = clinic_settings(tx.session)
        try:
            state = current_hospital(tx.session).state_code or None
        except NotFound:  # no hospital row yet: no state
            state = None
    return DeskSettings(
        timezone=str(settings.get("timezone") or DEFAULT_ZONE),
        idle_lock_minutes=int(settings.get("idle_lock_minutes", DEFAULT_SETTINGS["idle_lock_minutes"])),
        code_settings={k: settings[k] for k in code_setting_keys() if k in settings},
        state_code=state,
    )
