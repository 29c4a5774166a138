"""Pure rules under everything: ids, UTC times, field validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from db.ids import uuid7
from db.types import UTCDateTime
from hms_desktop.errors import ValidationError
from hms_desktop.validation import (
    clean_email,
    clean_gstin,
    clean_mobile,
    gstin_check_char,
    mask_aadhaar,
    verhoeff_valid,
)


def test_uuid7_is_time_ordered_and_unique() -> None:
    ids = [uuid7() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(u.version == 7 for u in ids[:10])


def test_utc_datetime_refuses_naive_and_returns_aware() -> None:
    engine = sa.create_engine("sqlite://")
    t = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        with pytest.raises(sa.exc.StatementError, match="naive"):
            conn.execute(t.insert().values(at=datetime(2026, 1, 1, 10, 0)))
        ist = datetime.fromisoformat("2026-01-01T15:30:00+05:30")
        conn.execute(t.insert().values(at=ist))
        back = conn.execute(sa.select(t.c.at)).scalar_one()
    assert back == ist and back.tzinfo == UTC and back.hour == 10


@pytest.mark.parametrize("raw", ["9876543210", "+91 98765 43210", "098765-43210", "91 9876543210"])
def test_mobile_numbers_normalise(raw: str) -> None:
    assert clean_mobile(raw) == "9876543210"


@pytest.mark.parametrize("raw", ["12345", "5876543210", "98765432101", "99999 99999", "98765abcde"])
def test_bad_mobile_numbers_name_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as err:
        clean_mobile(raw, "phone")
    assert err.value.field == "phone"


def test_gstin_check_digit() -> None:
    assert clean_gstin("27aapfu0939f1zv") == "27AAPFU0939F1ZV"  # the GST portal's published example
    with pytest.raises(ValidationError, match="check digit"):
        clean_gstin("27AAPFU0939F1ZA")
    with pytest.raises(ValidationError, match="state code"):
        clean_gstin("99AAPFU0939F1Z" + gstin_check_char("99AAPFU0939F1Z"))


@given(st.from_regex(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z", fullmatch=True))
def test_gstin_any_single_character_change_is_caught(first14: str) -> None:
    good = first14 + gstin_check_char(first14)
    wrong = good[:14] + ("0" if good[14] != "0" else "1")
    if good[:2] in {"01", "07", "27", "29", "33"}:
        assert clean_gstin(good) == good
        with pytest.raises(ValidationError):
            clean_gstin(wrong)


def test_email() -> None:
    assert clean_email(" Asha.Rao@Example.IN ") == "asha.rao@example.in"
    for bad in ["asha", "asha@", "@x.in", "a b@x.in", "asha@x"]:
        with pytest.raises(ValidationError):
            clean_email(bad)


def test_aadhaar_is_masked_and_checked() -> None:
    digits = next(f"23456789012{d}" for d in range(10) if verhoeff_valid(f"23456789012{d}"))
    assert mask_aadhaar(digits) == (f"XXXX XXXX {digits[-4:]}", digits[-4:])
    assert mask_aadhaar("1234") == ("XXXX XXXX 1234", "1234")
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    with pytest.raises(ValidationError, match="check digit"):
        mask_aadhaar(wrong)
    with pytest.raises(ValidationError):
        mask_aadhaar("12345")
    with pytest.raises(ValidationError):
        mask_aadhaar("012345678901")
