"""Dosing arithmetic: every frequency form Indian doctors write, doses per day as a Fraction, the quantity to
dispense, the dose's units, the duration bounds, and a clear error for anything else."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hms_desktop.errors import ValidationError
from hms_desktop.services.clinical.dosing import check_duration, parse_frequency, quantity, units_per_dose


@pytest.mark.parametrize(
    ("written", "normal", "per_day"),
    [
        ("1-0-1", "1-0-1", Fraction(2)),
        ("1-1-1", "1-1-1", Fraction(3)),
        ("0-0-1", "0-0-1", Fraction(1)),
        ("1-0-0-1", "1-0-0-1", Fraction(2)),
        ("1-1-1-1", "1-1-1-1", Fraction(4)),
        ("½-0-½", "½-0-½", Fraction(1)),
        ("0.5-0-0.5", "½-0-½", Fraction(1)),
        ("1/2-0-1/2", "½-0-½", Fraction(1)),
        ("1½-0-1", "1½-0-1", Fraction(5, 2)),
        ("2-0-2", "2-0-2", Fraction(4)),
        ("1 – 0 – 1", "1-0-1", Fraction(2)),  # en dashes and spaces
        ("OD", "OD", Fraction(1)),
        ("od", "OD", Fraction(1)),
        ("BD", "BD", Fraction(2)),
        ("b.d.", "BD", Fraction(2)),
        ("TDS", "TDS", Fraction(3)),
        ("tid", "TDS", Fraction(3)),
        ("QID", "QID", Fraction(4)),
        ("HS", "HS", Fraction(1)),
        ("once a week", "once a week", Fraction(1, 7)),
        ("1/week", "once a week", Fraction(1, 7)),
        ("Weekly", "once a week", Fraction(1, 7)),
        ("twice a day", "BD", Fraction(2)),
    ],
)
def test_frequencies_and_doses_per_day(written: str, normal: str, per_day: Fraction) -> None:
    f = parse_frequency(written)
    assert (f.text, f.doses_per_day, f.as_needed, f.single_dose) == (normal, per_day, False, False)


def test_sos_and_stat_and_the_labels() -> None:
    sos, stat = parse_frequency("SOS"), parse_frequency("stat")
    assert sos.as_needed and sos.doses_per_day is None and sos.text == "SOS"
    assert stat.single_dose and stat.doses_per_day is None and stat.text == "STAT"
    assert parse_frequency("1-0-1").label == "twice a day (morning, night)"
    assert parse_frequency("0-0-1").label == "once a day (night)"
    assert parse_frequency("1-1-1-1").label == "four times a day (morning, afternoon, evening, night)"
    assert parse_frequency("HS").label == "at bedtime"


@pytest.mark.parametrize("bad", ["thrice", "1-0", "1-0-1-0-1", "x-1-1", "1-a-1", "every now and then", "1-0-1 daily"])
def test_anything_else_is_refused_with_the_forms_to_use(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_frequency(bad, "items[0].frequency")
    assert err.value.field == "items[0].frequency"
    assert "not a frequency" in err.value.message and "1-0-1" in err.value.message and "SOS" in err.value.message


def test_empty_zero_and_too_many_doses() -> None:
    with pytest.raises(ValidationError, match="Frequency is required") as err:
        parse_frequency("  ")
    assert err.value.field == "frequency"
    with pytest.raises(ValidationError, match="no dose at all"):
        parse_frequency("0-0-0")
    with pytest.raises(ValidationError, match="at most 10 doses"):
        parse_frequency("11-0-1")


@pytest.mark.parametrize(
    ("dose", "units"),
    [
        ("1 tab", Fraction(1)),
        ("½ tab", Fraction(1, 2)),
        ("1/2 tab", Fraction(1, 2)),
        ("1½ tablets", Fraction(3, 2)),
        ("2 caps", Fraction(2)),
        ("1 sachet", Fraction(1)),
        ("1", Fraction(1)),
        ("5 ml", None),
        ("2 drops", None),
        ("2 puffs", None),
        ("apply thinly", None),
        ("", None),
        ("1/0 tab", None),
    ],
)
def test_units_per_dose(dose: str, units: Fraction | None) -> None:
    assert units_per_dose(dose) == units


def test_quantity_is_the_ceiling_of_doses_units_and_days() -> None:
    assert quantity(parse_frequency("1-0-1"), Fraction(1), 5) == 10
    assert quantity(parse_frequency("1-1-1"), Fraction(1), 7) == 21
    assert quantity(parse_frequency("½-0-½"), Fraction(1), 5) == 5
    assert quantity(parse_frequency("0-0-1"), Fraction(1, 2), 5) == 3  # 2.5 half-tablets -> 3 tablets
    assert quantity(parse_frequency("1-0-0-1"), Fraction(2), 3) == 12
    assert quantity(parse_frequency("QID"), Fraction(1), 2) == 8
    assert quantity(parse_frequency("once a week"), Fraction(1), 28) == 4
    assert quantity(parse_frequency("once a week"), Fraction(1), 5) == 1
    assert quantity(parse_frequency("STAT"), Fraction(2), 5) == 2  # one dose, whatever the duration
    assert quantity(parse_frequency("SOS"), Fraction(1), 5) is None  # the doctor gives it
    assert quantity(parse_frequency("BD"), None, 5) is None  # a dose in ml is not counted in units


@pytest.mark.parametrize(("days", "ok"), [(1, True), (365, True), (0, False), (-3, False), (366, False), (400, False)])
def test_duration_is_1_to_365_days(days: int, ok: bool) -> None:
    if ok:
        assert check_duration(days) == days
        return
    with pytest.raises(ValidationError) as err:
        check_duration(days, "items[2].duration_days")
    assert err.value.field == "items[2].duration_days"
    assert ("at least 1 day" if days < 1 else "at most 365 days") in err.value.message


def test_duration_must_be_given_as_whole_days() -> None:
    with pytest.raises(ValidationError, match="Duration is required"):
        check_duration(None)
    with pytest.raises(ValidationError, match="whole number"):
        check_duration(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="whole number"):
        check_duration(True)
