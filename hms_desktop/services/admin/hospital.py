"""The clinic itself: its hospital record, its settings, its logo and the SMTP password.

One store serves one clinic, so there is one ``hospitals`` row (``current_hospital``). Settings are
``hospital_settings`` rows (key -> JSON value); a key never stored falls back to ``DEFAULT_SETTINGS``. The logo
is the blob of the ``logo`` row. The SMTP password never enters the store: it lives in the key store
(``ctx.keys``, name ``smtp-password``), and the audit trail only says that it was set.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import re
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from PIL import Image

from db.ids import stable_id
from db.models.hospital import Hospital, HospitalSetting
from db.models.patients import PRIORITY_GROUPS
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
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.validation import clean_email

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
SMTP_TLS_MODES = ("none", "starttls", "ssl")
CODE_RESETS = ("never", "yearly", "financial_year")

Validator = Callable[[str, Any], Any]


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


# --- settings: one validator per known key; each returns the normalised value or raises ValidationError(key)


def _int_in(lo: int, hi: int, label: str) -> Validator:
    def check(key: str, value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValidationError(key, f"{label} must be a whole number from {lo} to {hi}.")
        return value

    return check


def _one_of(choices: tuple[str, ...], label: str) -> Validator:
    def check(key: str, value: Any) -> str:
        text = value.strip().casefold() if isinstance(value, str) else None
        for choice in choices:
            if text == choice.casefold():
                return choice
        raise ValidationError(key, f"{label} must be one of: {', '.join(choices)}.")

    return check


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def _timezone(key: str, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text in _time_zones():
        try:
            zoneinfo.ZoneInfo(text)
            return text
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ValidationError(key, f"{value} is not a time zone name; use one such as Asia/Kolkata.")


def _prefix(key: str, value: Any) -> str:
    """2 to 6 letters A-Z; lower case is accepted and upper-cased (``pat`` -> ``PAT``)."""
    text = value.strip().upper() if isinstance(value, str) and value.isascii() else ""
    if not re.fullmatch(r"[A-Z]{2,6}", text):
        raise ValidationError(key, "A code prefix has 2 to 6 letters A-Z, for example PAT.")
    return text


def _priority_groups(key: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValidationError(key, "Choose the priority groups from the list.")
    chosen: list[str] = []
    for item in value:
        if item not in PRIORITY_GROUPS:
            raise ValidationError(key, f"{item} is not a priority group (choose from {', '.join(PRIORITY_GROUPS)}).")
        if item not in chosen:
            chosen.append(item)
    return chosen


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _hostname(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(key, "Enter the mail server's name, for example smtp.gmail.com.")
    text = value.strip().lower()
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    labels = text.removesuffix(".").split(".")
    if len(text) > 253 or not all(_HOST_LABEL.fullmatch(p) for p in labels) or labels[-1].isdigit():
        raise ValidationError(key, f"{value} is not a mail server name; enter one such as smtp.gmail.com.")
    return text.removesuffix(".")


def _smtp_user(key: str, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None or len(text) > 254 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError(key, "The mail login can have at most 254 characters and no line breaks.")
    return text


def _smtp_from(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(key, "Enter the sender's email address, or leave it blank.")
    return clean_email(value, key, required=False)


SETTING_VALIDATORS: dict[str, Validator] = {
    "timezone": _timezone,
    "currency": _one_of(("INR",), "The currency"),
    "fiscal_year_start_month": _int_in(1, 12, "The financial year's first month"),
    "idle_lock_minutes": _int_in(1, 240, "The idle lock time (minutes)"),
    **{key: _prefix for key in DEFAULT_SETTINGS if key.endswith("_prefix")},
    "patient_code_padding": _int_in(3, 9, "The number of digits in patient codes"),
    "patient_code_reset": _one_of(CODE_RESETS, "Patient numbering restart"),
    "senior_citizen_age": _int_in(50, 90, "The senior citizen age"),
    "queue_priority_groups": _priority_groups,
    "smtp_host": _hostname,
    "smtp_port": _int_in(1, 65535, "The mail server port"),
    "smtp_tls": _one_of(SMTP_TLS_MODES, "Mail encryption"),
    "smtp_user": _smtp_user,
    "smtp_from": _smtp_from,
}


def clean_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Every change validated and normalised; an unknown key raises ``ValidationError(key, ...)``."""
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "smtp_password":
            raise ValidationError(key, "The mail password is set on its own (it is kept in the key store).")
        if key == LOGO_KEY:
            raise ValidationError(key, "Upload the logo as an image file instead.")
        validator = SETTING_VALIDATORS.get(key) if isinstance(key, str) else None
        if validator is None:
            raise ValidationError(str(key), f"{key} is not a clinic setting.")
        cleaned[key] = validator(key, value)
    return cleaned


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


def _check_logo(data: Any) -> tuple[str, int, int]:
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationError("logo", "Choose a PNG or JPEG image for the logo.")
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError("logo", "The logo file can be at most 1 MB; please choose a smaller image.")
    refused = ValidationError("logo", "That file is not a PNG or JPEG image (or it is damaged).")
    try:
        with Image.open(io.BytesIO(data), formats=tuple(LOGO_FORMATS)) as img:
            fmt, (width, height) = img.format or "", img.size
            img.verify()
        if fmt not in LOGO_FORMATS:
            raise refused
        if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
            raise ValidationError("logo", f"The logo can be at most {LOGO_MAX_SIDE} x {LOGO_MAX_SIDE} pixels.")
        with Image.open(io.BytesIO(data), formats=(fmt,)) as img:
            img.load()  # verify() does not decode the pixels of a JPEG; a full decode finds truncated files
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, struct.error, ...) on bad files
        raise refused from exc
    return fmt, width, height


@requires("settings.manage")
def set_logo(ctx: Context, data: bytes) -> None:
    """Store the clinic's logo: a PNG or JPEG (checked by content), at most 1 MB and 2000 x 2000 pixels."""
    fmt, width, height = _check_logo(data)
    meta = {"mime": LOGO_FORMATS[fmt], "width": width, "height": height, "size": len(data)}
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
