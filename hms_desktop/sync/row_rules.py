"""What a synced row must satisfy beyond its column types: the rules the services apply when they write it.

The codec checks that a row fits its table (types, lengths, ranges); a value can fit and still break every
PC that reads it (a setting nested 900 deep, a time zone that does not exist). ``check_row`` applies the
services' own rules to such rows, in both directions: the server refuses a push holding a row that breaks
them (``server.validate``: the whole batch, nothing written), and a PC sets a pulled one aside as a conflict
with the reason (``pull``) instead of writing it to its store. Tables without rules pass unchecked.

- ``hospital_settings``: ``hms_desktop.settings_rules.check_setting`` (known keys by their validators, a
  time zone a real IANA zone, the logo an image, bounded depth and size of any value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hms_desktop.settings_rules import check_setting
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.conflicts import REDACTED
from hms_desktop.sync.policy import TableSpec

RowRule = Callable[[dict[str, Any]], str | None]


def _setting(row: dict[str, Any]) -> str | None:
    return check_setting(row.get("key"), row.get("value"), row.get("blob"))


RULES: dict[str, RowRule] = {"hospital_settings": _setting}
# The columns whose values a rule judges: left out (redacted) of a refused row kept as a conflict.
JUDGED: dict[str, tuple[str, ...]] = {"hospital_settings": ("value", "blob")}


def has_rules(table_name: str) -> bool:
    return table_name in RULES


def check_row(table_name: str, row: dict[str, Any]) -> str | None:
    """None when ``row`` (typed values, as the codec decodes them) is valid; else one sentence saying why not."""
    rule = RULES.get(table_name)
    return None if rule is None else rule(row)


def check_sent(table: TableSpec, sent: Any) -> str | None:
    """``check_row`` for a row as it travels (JSON); None too when it does not decode (the caller's decoding
    reports that)."""
    if table.name not in RULES or not isinstance(sent, dict):
        return None
    try:
        row = codec_for(table).decode(sent)
    except BadValue:
        return None
    return check_row(table.name, row)


def kept_values(table_name: str, sent: dict[str, Any]) -> dict[str, Any]:
    """A refused row as a conflict keeps it: the judged values redacted (they may be what breaks a reader, and
    a redacted version cannot be restored)."""
    judged = JUDGED.get(table_name, ())
    return {k: REDACTED if k in judged and v is not None else v for k, v in sent.items()}
