"""Turning model rows into audit values: JSON-safe, secrets removed, Aadhaar numbers masked."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import InstanceState

from hms_desktop.validation import redact_aadhaar

# Columns whose values never enter the audit trail, whatever table they are on.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret", "api_key", "smtp_password"})
# Columns that change on every write and say nothing about what the user did.
HOUSEKEEPING = frozenset({"updated_at", "updated_by_id", "hlc"})
REDACTED = "[redacted]"


def plain(value: Any) -> Any:
    """A JSON-safe, stable form of a column value."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return redact_aadhaar(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return redact_aadhaar(str(value))


def _secret(obj: Any, column: str) -> bool:
    if column in SECRET_COLUMNS:
        return True
    # A queued message marked sensitive (a password-reset link) keeps its body out of the trail.
    return column == "payload" and bool(getattr(obj, "sensitive", False))


def _value(obj: Any, column: str, value: Any) -> Any:
    if _secret(obj, column):
        return REDACTED
    return plain(value)


def _columns(state: InstanceState[Any]) -> list[str]:
    return [c.key for c in state.mapper.column_attrs]


def snapshot(obj: Any) -> dict[str, Any]:
    """Every column of ``obj`` as audit values (for a created or deleted row)."""
    state = inspect(obj)
    return {
        key: _value(obj, key, getattr(obj, key))
        for key in _columns(state)
        if key not in HOUSEKEEPING and not (key in {"photo", "content", "blob"} and getattr(obj, key) is None)
    }


def changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(old, new) for the columns of ``obj`` changed in this flush, housekeeping columns left out."""
    state = inspect(obj)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in _columns(state):
        if key in HOUSEKEEPING:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before == after:
            continue
        old[key] = _value(obj, key, before)
        new[key] = _value(obj, key, after)
    return old, new


def _row_value(row: Mapping[str, Any], column: str, value: Any) -> Any:
    if column in SECRET_COLUMNS or (column == "payload" and bool(row.get("sensitive"))):
        return REDACTED
    return plain(value)


def row_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of a row read with Core (a captured statement) as audit values."""
    return {k: _row_value(row, k, v) for k, v in row.items() if k not in HOUSEKEEPING}


def row_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(old, new) for the columns that differ between two Core reads of a row."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key, value in after.items():
        if key in HOUSEKEEPING or before.get(key) == value:
            continue
        old[key] = _row_value(before, key, before.get(key))
        new[key] = _row_value(after, key, value)
    return old, new
