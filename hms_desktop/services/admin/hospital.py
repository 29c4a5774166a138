"""The clinic itself: its hospital record, its settings, its logo and the SMTP password.

One store serves one clinic, so there is one ``hospitals`` row (``current_hospital``). Settings are
``hospital_settings`` rows (key -> JSON value); a key never stored falls back to ``DEFAULT_SETTINGS``. The logo
is the blob of the ``logo`` row. The SMTP password never enters the store: it lives in the key store
(``ctx.keys``, name ``smtp-password``), and the audit trail only says that it was set.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any

from db.ids import stable_id
from db.models.hospital import Hospital, HospitalSetting
from hms_desktop.audit.trail import record
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.admin.setup import HospitalInput, hospital_values
from hms_desktop.settings import (
    LOGO_KEY,
    SMTP_PASSWORD_KEY,
    _merged,
    _setting_rows,
    clinic_settings,
    current_hospital,
    setting_blob,
)
from hms_desktop.settings_rules import (
    CODE_RESETS,
    LOGO_FORMATS,
    LOGO_MAX_BYTES,
    LOGO_MAX_SIDE,
    SETTING_VALIDATORS,
    SMTP_TLS_MODES,
    Validator,
    check_logo,
    clean_settings,
    logo_description,
)

__all__ = [
    "CODE_RESETS",
    "LOGO_FORMATS",
    "LOGO_MAX_BYTES",
    "LOGO_MAX_SIDE",
    "SETTING_VALIDATORS",
    "SMTP_TLS_MODES",
    "HospitalView",
    "Validator",
    "check_logo",
    "clean_settings",
    "get_hospital",
    "get_logo",
    "get_settings",
    "set_logo",
    "set_smtp_password",
    "update_hospital",
    "update_settings",
]


@dataclass(frozen=True, kw_only=True)
class HospitalView(HospitalInput):
    """The stored hospital: its id and the ``HospitalInput`` fields (edit with ``dataclasses.replace``)."""

    id: uuid.UUID


def _hospital_view(h: Hospital) -> HospitalView:
    return HospitalView(id=h.id, **{f.name: getattr(h, f.name) for f in fields(HospitalInput)})


@requires("settings.view")
def get_hospital(ctx: Context) -> HospitalView:
    with ctx.transaction(readonly=True) as tx:
        return _hospital_view(current_hospital(tx.session))


@requires("settings.manage")
def update_hospital(ctx: Context, data: HospitalInput) -> HospitalView:
    values = hospital_values(data)
    with ctx.transaction() as tx:
        h = current_hospital(tx.session)
        for key, value in values.items():
            if getattr(h, key) != value:
                setattr(h, key, value)
        tx.flush()
        view = _hospital_view(h)
        tx.commit()
    return view


# --- settings: the rules are ``hms_desktop.settings_rules`` (the sync server and the pull apply the same)


def _read_settings(ctx: Context) -> dict[str, Any]:
    with ctx.transaction(readonly=True) as tx:
        return clinic_settings(tx.session)


@requires("settings.view")
def get_settings(ctx: Context) -> dict[str, Any]:
    """All settings: the defaults with the stored values over them (the logo and secrets are not here)."""
    return _read_settings(ctx)


@requires("settings.manage")
def update_settings(ctx: Context, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some settings (all validated first; one bad value writes nothing). Returns all settings."""
    cleaned = clean_settings(changes)
    with ctx.transaction() as tx:
        s = tx.session
        hospital_id = current_hospital(s).id
        rows = _setting_rows(s, hospital_id)
        for key, value in cleaned.items():
            row = rows.get(key)
            if row is None:
                same_everywhere = stable_id("hospital_settings", hospital_id, key)  # two PCs: one row
                rows[key] = HospitalSetting(id=same_everywhere, hospital_id=hospital_id, key=key, value=value)
                s.add(rows[key])
            elif row.value != value:
                row.value = value
        tx.flush()
        result = _merged(rows)
        tx.commit()
    return result


# --- logo


@requires("settings.manage")
def set_logo(ctx: Context, data: bytes) -> None:
    """Store the clinic's logo: a PNG or JPEG (checked by content), at most 1 MB and 2000 x 2000 pixels."""
    meta = logo_description(data)
    with ctx.transaction() as tx:
        s = tx.session
        hospital_id = current_hospital(s).id
        row = _setting_rows(s, hospital_id).get(LOGO_KEY)
        if row is None:
            s.add(HospitalSetting(id=stable_id("hospital_settings", hospital_id, LOGO_KEY), hospital_id=hospital_id,
                                  key=LOGO_KEY, value=meta, blob=bytes(data)))  # fmt: skip
        else:
            row.value, row.blob = meta, bytes(data)
        tx.commit()


@requires("settings.view")
def get_logo(ctx: Context) -> bytes | None:
    with ctx.transaction(readonly=True) as tx:
        return setting_blob(tx.session, current_hospital(tx.session).id, LOGO_KEY)


# --- SMTP


@requires("settings.manage")
def set_smtp_password(ctx: Context, password: str) -> None:
    """Keep the mail server password in the key store (never in the store); the audit trail says "[set]"."""
    if not isinstance(password, str) or not password:
        raise ValidationError("password", "Enter the mail server password.")
    if len(password) > 256 or any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValidationError("password", "The mail password can have at most 256 characters and no line breaks.")
    keys = ctx.keys
    if keys is None:
        raise Conflict("The key store is not open, so the mail password cannot be saved. Open the clinic's store.")
    with ctx.transaction() as tx:
        current_hospital(tx.session)
        record(tx, "update", entity_type="hospital_settings", entity_id="smtp_password", new={"smtp_password": "[set]"})
        tx.flush()  # the audit row is in place before the secret changes
        previous = keys.get(SMTP_PASSWORD_KEY)
        keys.set(SMTP_PASSWORD_KEY, password.encode("utf-8"))
        try:
            tx.commit()
        except BaseException:
            if previous is None:
                keys.delete(SMTP_PASSWORD_KEY)
            else:
                keys.set(SMTP_PASSWORD_KEY, previous)
            raise
