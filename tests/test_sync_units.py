"""Sync building blocks without a server: the clock, the typed row encoding, the table policy."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.ledger import LEDGER_TABLES
from db.models import metadata
from hms_desktop.sync import hlc
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.policy import LOCAL_ONLY, PULL_ONLY, pushable, spec, synced

NODE_A = uuid.UUID(int=1)
NODE_B = uuid.UUID(int=2)


def test_every_table_but_the_local_ones_syncs() -> None:
    names = set(metadata.tables)
    assert set(synced()) == names - LOCAL_ONLY
    for local in ("refresh_tokens", "password_emails", "notification_queue", "id_sequences", "sync_outbox"):
        assert local not in synced()
    assert "audit_logs" in synced() and pushable("audit_logs")
    assert PULL_ONLY == {"workstations"} and not pushable("workstations")
    assert "is_local" not in spec("workstations").column_names  # type: ignore[union-attr]
    assert {n for n, s in synced().items() if s.append_only} == set(LEDGER_TABLES)
    ranks = {n: s.rank for n, s in synced().items()}
    assert ranks["patients"] < ranks["appointments"] < ranks["appointment_queue"]


def test_clock_text_sorts_as_the_clock() -> None:
    early = str(hlc.Stamp(ms=1_700_000_000_000, counter=5, node=NODE_B.hex))
    late = str(hlc.Stamp(ms=1_700_000_000_001, counter=0, node=NODE_A.hex))
    tie_a = str(hlc.Stamp(ms=1_700_000_000_001, counter=0, node=NODE_A.hex))
    tie_b = str(hlc.Stamp(ms=1_700_000_000_001, counter=0, node=NODE_B.hex))
    assert early < late and tie_a < tie_b
    assert hlc.parse(late) == hlc.Stamp(ms=1_700_000_000_001, counter=0, node=NODE_A.hex)
    assert hlc.parse(late).workstation_id == NODE_A
    assert len(late) <= 64


@given(st.integers(0, 10**14), st.integers(0, hlc.MAX_COUNTER), st.integers(0, 10**14))
def test_a_tick_is_later_than_the_last_value_and_not_behind_the_wall_clock(last: int, counter: int, now: int) -> None:
    ms, c = hlc.tick(last, counter, now)
    assert (ms, c) > (last, counter)
    assert ms >= now


def test_witnessing_a_pulled_clock_makes_the_next_tick_later() -> None:
    seen = hlc.Stamp(ms=2_000, counter=7, node=NODE_B.hex)
    ms, c = hlc.witness(1_000, 0, seen)
    next_ms, next_c = hlc.tick(ms, c, 1_500)
    nxt = hlc.Stamp(ms=next_ms, counter=next_c, node=NODE_A.hex)
    assert str(nxt) > str(seen)


@pytest.mark.parametrize("bad", ["", "1-2-3", "000000000000001-00001-XYZ", 42, None, "0" * 15 + "-00000-" + "g" * 32])
def test_bad_clock_values_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        hlc.parse(bad)


def test_rows_round_trip_through_the_typed_encoding() -> None:
    table = spec("doctor_schedules")
    assert table is not None
    codec = codec_for(table)
    row = {c.name: None for c in table.columns}
    row.update(
        id=uuid.uuid4(), doctor_id=uuid.uuid4(), day_of_week=2, start_time=time(9, 30), end_time=time(13, 0),
        slot_minutes=15, max_patients_per_slot=2, effective_from=date(2026, 4, 1), is_active=True,
        created_at=datetime(2026, 4, 1, 4, 30, tzinfo=UTC), updated_at=datetime(2026, 4, 1, 4, 30, tzinfo=UTC),
        hlc=str(hlc.Stamp(ms=1, counter=0, node=NODE_A.hex)),
    )  # fmt: skip
    row = {k: v for k, v in row.items() if k in table.column_names}
    encoded = codec.encode(row)
    assert encoded["start_time"] == "09:30:00" and encoded["created_at"] == "2026-04-01T04:30:00+00:00"
    decoded = codec.decode(encoded)
    assert decoded == row


def test_bytes_and_json_round_trip() -> None:
    table = spec("patients")
    assert table is not None
    codec = codec_for(table)
    photo = bytes(range(256))
    assert codec_for(table).encode({**{c: None for c in codec.names}, "photo": photo})["photo"] != photo
    settings = spec("hospital_settings")
    assert settings is not None
    value = {"a": [1, 2, {"b": None}], "c": "Ç"}
    enc = codec_for(settings).encode({**{c: None for c in codec_for(settings).names}, "value": value})
    assert enc["value"] == value


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("photo", "***not base64***", "is not base64"),
        ("date_of_birth", "1990-13-01", "is not a date"),
        ("created_at", "2026-01-01 10:00:00", "has no time zone"),
        ("id", "1234", "is not a uuid"),
        ("dob_is_approximate", 1, "is not true or false"),
        ("full_name", "x" * 201, "longer than 200"),
        ("full_name", "nul\x00byte", "NUL"),
    ],
)
def test_values_that_do_not_fit_their_column_are_refused(column: str, value: object, message: str) -> None:
    table = spec("patients")
    assert table is not None
    codec = codec_for(table)
    good = {c: None for c in codec.names}
    good.update(id=str(uuid.uuid4()), full_name="A", name_search="a", gender="U", blood_group="unknown",
                created_at="2026-01-01T00:00:00+00:00", updated_at="2026-01-01T00:00:00+00:00",
                dob_is_approximate=False, address_line1="", address_line2="", city="", state="", pincode="",
                emergency_contact_name="", emergency_contact_phone="", emergency_contact_relation="",
                id_type="none", notes="", code="PAT-1")  # fmt: skip
    codec.decode(dict(good))
    with pytest.raises(BadValue, match=message):
        codec.decode({**good, column: value})
