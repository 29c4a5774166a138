"""The rules of the clinic's settings: one validator per known key, the logo, and bounds on any stored value.

One set of rules for everyone who writes or receives a setting: the services that edit settings
(``services.admin.hospital``) clean what an admin typed with ``clean_settings``; the sync server checks a
pushed ``hospital_settings`` row, and a PC a pulled one, with ``check_setting`` (through
``hms_desktop.sync.row_rules``); ``hms_desktop.settings`` reads a stored value only when it passes. So a value
nested 900 deep, a time zone that does not exist or a logo that is not an image never reaches a store.

- Any value: JSON (objects with text keys, arrays, text, finite numbers, true/false, null), at most
  ``MAX_VALUE_DEPTH`` levels and ``MAX_VALUE_SIZE`` items and characters in all; checked without recursion.
- A known key: its validator accepts the value, and the value is already in the form the validator gives
  (``"INR"``, not ``" inr "``): what a service stores.
- The logo: a PNG or JPEG of at most 1 MB and 2000 x 2000 pixels, its description matching the file.
- The mail password is never a setting (it lives in the key store); no other setting holds a file.
- A key this version does not know (a later version's): only the bounds.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import math
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from PIL import Image

from db.models.patients import PRIORITY_GROUPS
from hms_desktop.errors import ValidationError
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.validation import clean_email

LOGO_KEY = "logo"
SMTP_PASSWORD_KEY = "smtp-password"
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
SMTP_TLS_MODES = ("none", "starttls", "ssl")
CODE_RESETS = ("never", "yearly", "financial_year")
MAX_VALUE_DEPTH = 8
MAX_VALUE_SIZE = 4096
MAX_MESSAGE = 300  # a refusal quotes the value; a long one is not quoted

Validator = Callable[[str, Any], Any]


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
    "pharmacy_return_days": _int_in(0, 90, "The pharmacy's return window (days)"),
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


def check_logo(data: Any) -> tuple[str, int, int]:
    """(format, width, height) of a logo file; ``ValidationError("logo", ...)`` when it is not one."""
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


def logo_description(data: bytes) -> dict[str, Any]:
    """The value stored beside the logo file (checked with ``check_logo``)."""
    fmt, width, height = check_logo(data)
    return {"mime": LOGO_FORMATS[fmt], "width": width, "height": height, "size": len(data)}


def value_problem(value: Any, *, max_depth: int = MAX_VALUE_DEPTH, max_size: int = MAX_VALUE_SIZE) -> str | None:
    """None when ``value`` is plain JSON within the bounds; else what is wrong ("is nested more than 8 levels
    deep"). Walks the value with a list, never by recursion, and stops as soon as a bound is passed."""
    size = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"is nested more than {max_depth} levels deep"
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                return "is not plain JSON"
            size += len(item) + sum(map(len, item))
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            size += len(item)
            pending.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            size += len(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return "is not a finite number"
        elif item is None or isinstance(item, bool | int | float):
            size += 1
        else:
            return "is not plain JSON"
        if size > max_size:
            return f"is larger than {max_size} items and characters"
    return None


def check_setting(key: object, value: Any, blob: bytes | None = None) -> str | None:
    """None when a stored setting (a ``hospital_settings`` row's key, value and file) is one the services could
    have written; else one sentence saying what is wrong (see the module's rules)."""
    if not isinstance(key, str) or not key:
        return "A clinic setting has no name."
    if key in ("smtp_password", SMTP_PASSWORD_KEY):
        return "The mail password is kept in the key store, never in the clinic's settings."
    problem = value_problem(value)
    if problem is not None:
        return f"The value of the clinic setting {key[:64]} {problem}."
    if key == LOGO_KEY:
        return _logo_problem(value, blob)
    if blob is not None:
        return f"The clinic setting {key[:64]} holds a file, and only the logo may."
    validator = SETTING_VALIDATORS.get(key)
    if validator is None or value is None:  # a later version's setting; no value means the default
        return None
    try:
        cleaned = validator(key, value)
    except ValidationError as exc:
        message = f"The clinic setting {key} is not valid: {exc.message}"
        return message if len(message) <= MAX_MESSAGE else f"The clinic setting {key} is not valid."
    if cleaned != value or type(cleaned) is not type(value):
        return f"The clinic setting {key} is not in the form the app stores it in."
    return None


def readable_value(key: str, value: Any) -> Any:
    """What a reader takes from a stored setting: the value as its rule cleans it, or None (read the default)
    when it breaks the rule, as a value stored before the sync checked settings may."""
    if value is None or value_problem(value) is not None:
        return None
    validator = SETTING_VALIDATORS.get(key)
    if validator is None:
        return value
    try:
        return validator(key, value)
    except ValidationError:
        return None


def _logo_problem(value: Any, blob: bytes | None) -> str | None:
    if blob is None:
        return None if value is None else "The clinic's logo is described but its file is missing."
    try:
        expected = logo_description(blob)
    except ValidationError as exc:
        return f"The clinic's logo is not valid: {exc.message}"
    if value != expected:
        return "The description of the clinic's logo does not match its file."
    return None
