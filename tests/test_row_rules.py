"""The one set of rules for the clinic's settings (services, sync server, pull) and the bounded JSON reader
(issue 11, findings 2 and 4): units, and a store that already holds a bad value."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PIL import Image

from hms_desktop import settings_rules
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.services.admin import hospital as hosp
from hms_desktop.services.admin.clinic_time import clinic_today
from hms_desktop.services.admin.desk import desk_settings
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.storage.store import Store
from hms_desktop.sync import row_rules, strict_json
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec


def nested(levels: int, inner: Any = "Asia/Kolkata") -> Any:
    value = inner
    for _ in range(levels - 1):
        value = [value]
    return value


def png(size: tuple[int, int] = (60, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


# --- strict_json


@pytest.mark.parametrize(
    ("text", "depth"),
    [(b"1", 0), (b"[]", 1), (b'{"a":[1,{"b":2}]}', 3), (b'["[[[[", "\\"[["]', 1), (b'"\\\\"', 0), (b"[[],[[]]]", 3)],
)
def test_the_depth_scan_counts_brackets_outside_strings(text: bytes, depth: int) -> None:
    assert strict_json.depth(text) == depth
    json.loads(text)  # each is JSON


def test_a_body_100k_deep_is_refused_with_a_sentence_not_a_recursion_error() -> None:
    with pytest.raises(strict_json.Refused, match="more than 64 levels deep"):
        strict_json.loads(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(strict_json.Refused):
        strict_json.loads(b'{"a":' * 65 + b"1" + b"}" * 65)
    assert strict_json.loads(b'{"a":' * 63 + b"1" + b"}" * 63) is not None
    assert strict_json.loads(b'["' + b"[" * 100_000 + b'"]') == ["[" * 100_000]  # inside a string: text


@pytest.mark.parametrize(
    "text", [b"1e400", b"[-1e400]", b'{"a": NaN}', b"[Infinity]", b"-Infinity", b"[" + b"9" * 5000 + b"]"]
)
def test_numbers_beyond_what_is_stored_are_refused(text: bytes) -> None:
    with pytest.raises(strict_json.Refused) as info:
        strict_json.loads(text)
    assert str(info.value).endswith(".") and "\n" not in str(info.value)


@pytest.mark.parametrize("text", [b"\xff\xfe", b"{", b'"unterminated', b'"\\'])
def test_what_is_not_json_is_a_plain_value_error(text: bytes) -> None:
    with pytest.raises(ValueError) as info:
        strict_json.loads(text)
    assert not isinstance(info.value, strict_json.Refused)


# --- settings rules


def test_the_services_use_the_same_rules() -> None:
    assert hosp.SETTING_VALIDATORS is settings_rules.SETTING_VALIDATORS
    assert hosp.clean_settings is settings_rules.clean_settings
    assert all(settings_rules.check_setting(k, v) is None for k, v in DEFAULT_SETTINGS.items())


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("timezone", nested(900), "nested more than 8 levels deep"),
        ("timezone", "Not/AZone", "Not/AZone is not a time zone name"),
        ("timezone", " Asia/Dubai ", "not in the form the app stores it in"),
        ("smtp_port", "587", "not in the form the app stores it in"),
        ("smtp_port", 70000, "from 1 to 65535"),
        ("currency", "USD", "must be one of: INR"),
        ("queue_priority_groups", ["vip"], "vip is not a priority group"),
        ("smtp_host", "x" * 5000, "larger than 4096"),
        ("timezone", "Z" * 3000, "The clinic setting timezone is not valid."),  # too long to quote
        ("a_later_setting", nested(20, 1), "nested more than 8 levels deep"),
        ("a_later_setting", {"n": float("nan")}, "not a finite number"),
        ("a_later_setting", {1: "x"}, "not plain JSON"),
        ("smtp_password", "hunter2", "kept in the key store"),
        ("smtp-password", "hunter2", "kept in the key store"),
        ("", 1, "has no name"),
    ],
)
def test_a_bad_setting_is_refused_with_one_sentence(key: str, value: Any, says: str) -> None:
    message = settings_rules.check_setting(key, value)
    assert message is not None and says in message
    assert message.endswith(".") and len(message) <= settings_rules.MAX_MESSAGE
    assert "hunter2" not in message


def test_good_settings_and_later_versions_settings_pass() -> None:
    assert settings_rules.check_setting("timezone", "Asia/Dubai") is None
    assert settings_rules.check_setting("queue_priority_groups", ["pregnant", "child"]) is None
    assert settings_rules.check_setting("a_later_setting", {"rows": [1, 2, {"x": "y"}]}) is None
    assert settings_rules.check_setting("timezone", None) is None  # no value: the default is read


def test_only_a_real_image_matching_its_description_is_a_logo() -> None:
    data = png()
    meta = settings_rules.logo_description(data)
    assert settings_rules.check_setting("logo", meta, data) is None
    assert settings_rules.check_setting("logo", None, None) is None
    assert "does not match" in str(settings_rules.check_setting("logo", {**meta, "width": 9999}, data))
    assert "not a PNG or JPEG" in str(settings_rules.check_setting("logo", meta, b"GIF89a not really"))
    assert "file is missing" in str(settings_rules.check_setting("logo", meta, None))
    assert "only the logo" in str(settings_rules.check_setting("timezone", "Asia/Kolkata", data))
    with pytest.raises(ValidationError):
        settings_rules.check_logo(png((2001, 10)))


# --- row rules: the same rules for a synced row, a no-op for tables without rules


def setting_row(key: str, value: Any, blob: bytes | None = None) -> dict[str, Any]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return {"id": uuid.uuid4(), "hospital_id": uuid.uuid4(), "key": key, "value": value, "blob": blob,
            "created_at": now, "created_by_id": None, "updated_at": now, "updated_by_id": None,
            "deleted_at": None, "hlc": None}  # fmt: skip


def test_check_row_applies_the_settings_rules_to_hospital_settings_only() -> None:
    assert row_rules.check_row("hospital_settings", setting_row("timezone", "Asia/Kolkata")) is None
    assert "Not/AZone" in str(row_rules.check_row("hospital_settings", setting_row("timezone", "Not/AZone")))
    assert row_rules.check_row("patients", {"full_name": nested(900)}) is None  # no rules: the codec's check only
    assert not row_rules.has_rules("patients") and row_rules.has_rules("hospital_settings")


def test_a_row_as_it_travels_is_checked_and_kept_redacted() -> None:
    table = spec("hospital_settings")
    assert table is not None
    codec = codec_for(table)
    data = png()
    good = codec.encode(setting_row("logo", settings_rules.logo_description(data), data))
    assert row_rules.check_sent(table, good) is None
    bad = codec.encode(setting_row("timezone", nested(900)))
    assert "nested more than 8" in str(row_rules.check_sent(table, bad))
    kept = row_rules.kept_values("hospital_settings", bad)
    assert kept["value"] == "[redacted]" and kept["key"] == "timezone" and kept["blob"] is None
    assert row_rules.check_sent(table, {"not": "a row"}) is None  # left to the decoder, which reports it


# --- a store that already holds a bad value (before the sync checked settings): readers take the default


@pytest.mark.parametrize("value", ["Not/AZone", nested(40)])
def test_readers_take_the_default_for_a_stored_value_that_breaks_its_rule(
    system_ctx: Context, store: Store, value: Any
) -> None:
    with store.engine.begin() as conn:  # a plain connection: what a pull wrote before this fix
        conn.exec_driver_sql("UPDATE hospital_settings SET value = ? WHERE key = 'timezone'", (json.dumps(value),))
    assert hosp.get_settings(system_ctx)["timezone"] == "Asia/Kolkata"
    assert desk_settings(system_ctx).timezone == "Asia/Kolkata"
    assert isinstance(clinic_today(system_ctx), date)
    view = register_patient(system_ctx, PatientInput("Meera Nair", "F", date(1990, 1, 1)))
    assert view.code.startswith("PAT-")
