"""A stable, typed JSON encoding of rows, decoded (and checked) with the column types.

uuid -> canonical text; instant -> ISO 8601 in UTC with offset; date, time -> ISO 8601; bytes -> base64;
JSON columns -> the JSON value itself; integers, booleans, text as JSON has them. Decoding refuses anything
that does not fit the column: wrong type, too long, out of range, missing where required. The server decodes
a whole batch before it writes anything.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Integer, LargeBinary, String, Time, Uuid
from sqlalchemy.types import TypeDecorator, TypeEngine

from hms_desktop.sync.policy import TableSpec

Codec = Callable[[Any], Any]
# The extended ISO forms only (what ``encode`` writes, and what PostgreSQL reads back the same way).
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
INSTANT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class BadValue(ValueError):
    """A value that does not fit its column (the message names the column, never echoes the value)."""


def _enc_uuid(v: uuid.UUID) -> str:
    return str(v)


def _enc_datetime(v: datetime) -> str:
    return v.astimezone(UTC).isoformat()


def _enc_iso(v: date | time) -> str:
    return v.isoformat()


def _enc_bytes(v: bytes) -> str:
    return base64.b64encode(bytes(v)).decode("ascii")


def _same(v: Any) -> Any:
    return v


def _base(column: Column[Any]) -> TypeEngine[Any]:
    t = column.type
    return t.impl_instance if isinstance(t, TypeDecorator) else t


def encoder(column: Column[Any]) -> Codec:
    t = _base(column)
    if isinstance(t, Uuid):
        return _enc_uuid
    if isinstance(t, DateTime):
        return _enc_datetime
    if isinstance(t, Date | Time):
        return _enc_iso
    if isinstance(t, LargeBinary):
        return _enc_bytes
    return _same


def _dec_uuid(v: Any) -> uuid.UUID:
    if not isinstance(v, str) or not UUID_RE.match(v):
        raise BadValue("is not a uuid")
    try:
        return uuid.UUID(v)
    except ValueError as exc:
        raise BadValue("is not a uuid") from exc


def _dec_datetime(v: Any) -> datetime:
    if not isinstance(v, str):
        raise BadValue("is not a date and time")
    if not INSTANT_RE.match(v):
        raise BadValue("is not an ISO date and time with its UTC offset" if "T" in v else "has no time zone")
    try:
        parsed = datetime.fromisoformat(v)
    except ValueError as exc:
        raise BadValue("is not a date and time") from exc
    if parsed.tzinfo is None:
        raise BadValue("has no time zone (UTC instants only)")
    return parsed.astimezone(UTC)


def _dec_date(v: Any) -> date:
    if not isinstance(v, str) or not DATE_RE.match(v):
        raise BadValue("is not a date")
    try:
        return date.fromisoformat(v)
    except ValueError as exc:
        raise BadValue("is not a date") from exc


def _dec_time(v: Any) -> time:
    if not isinstance(v, str) or not TIME_RE.match(v):
        raise BadValue("is not a time")
    try:
        parsed = time.fromisoformat(v)
    except ValueError as exc:
        raise BadValue("is not a time") from exc
    if parsed.tzinfo is not None:
        raise BadValue("is not a wall-clock time")
    return parsed


def _dec_bytes(v: Any) -> bytes:
    if not isinstance(v, str):
        raise BadValue("is not base64")
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadValue("is not base64") from exc


def _dec_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise BadValue("is not true or false")
    return v


def _dec_int(bounds: tuple[int, int]) -> Codec:
    low, high = bounds

    def dec(v: Any) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise BadValue("is not an integer")
        if not low <= v <= high:
            raise BadValue("is out of range")
        return v

    return dec


def _dec_str(length: int | None) -> Codec:
    def dec(v: Any) -> str:
        if not isinstance(v, str):
            raise BadValue("is not text")
        if length is not None and len(v) > length:
            raise BadValue(f"is longer than {length} characters")
        if "\x00" in v:
            raise BadValue("holds a NUL character")
        return v

    return dec


def decoder(column: Column[Any]) -> Codec:
    t = _base(column)
    if isinstance(t, Uuid):
        return _dec_uuid
    if isinstance(t, DateTime):
        return _dec_datetime
    if isinstance(t, Date):
        return _dec_date
    if isinstance(t, Time):
        return _dec_time
    if isinstance(t, LargeBinary):
        return _dec_bytes
    if isinstance(t, Boolean):
        return _dec_bool
    if isinstance(t, BigInteger):
        return _dec_int(INT64)
    if isinstance(t, Integer):
        return _dec_int(INT32)
    if isinstance(t, String):
        return _dec_str(t.length)
    if isinstance(t, JSON):
        return _same
    raise TypeError(f"no sync codec for {column.table.name}.{column.name} ({t!r})")


class RowCodec:
    """Encode and decode the synced columns of one table."""

    def __init__(self, table: TableSpec) -> None:
        self.table = table
        self.names = tuple(c.name for c in table.columns)
        self._enc = tuple((c.name, encoder(c)) for c in table.columns)
        self._dec = tuple((c.name, decoder(c), c.nullable and not c.primary_key) for c in table.columns)

    def encode(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, enc in self._enc:
            value = row[name]
            out[name] = None if value is None else enc(value)
        return out

    def decode(self, data: Any) -> dict[str, Any]:
        """The typed row; ``BadValue`` naming the first bad column (unknown, missing, wrong type)."""
        if not isinstance(data, dict):
            raise BadValue(f"a row of {self.table.name} is not an object")
        if len(data) != len(self.names) or data.keys() != set(self.names):
            unknown = sorted(set(data) - set(self.names))
            if unknown:
                raise BadValue(f"{self.table.name} has no column {str(unknown[0])[:64]!r}")
            missing = sorted(set(self.names) - set(data))
            raise BadValue(f"{self.table.name}.{missing[0]} is missing")
        out: dict[str, Any] = {}
        for name, dec, nullable in self._dec:
            value = data[name]
            if value is None:
                if not nullable:
                    raise BadValue(f"{self.table.name}.{name} may not be empty")
                out[name] = None
                continue
            try:
                out[name] = dec(value)
            except BadValue as exc:
                raise BadValue(f"{self.table.name}.{name} {exc}") from None
        return out


_CODECS: dict[str, RowCodec] = {}


def codec_for(table: TableSpec) -> RowCodec:
    found = _CODECS.get(table.name)
    if found is None:
        found = _CODECS[table.name] = RowCodec(table)
    return found
