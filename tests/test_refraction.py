"""Refraction values: parsing what is typed into hundredths, the 0.25 D steps, ranges, formatting, and
transposition (property tests: twice is the identity, the spherical equivalent never changes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx


@pytest.mark.parametrize(
    ("typed", "hundredths"),
    [("-2.25", -225), ("+1.5", 150), ("2", 200), ("-0.25", -25), ("plano", 0), ("PL", 0), ("0", 0), ("0.00", 0),
     (".75", 75), ("-.5", -50), ("-2.25 DS", -225), ("+1.00 D", 100), ("\u22121.75", -175), (" +30 ", 3000),
     ("-30.00", -3000), ("", None), ("   ", None), (None, None)],
)  # fmt: skip
def test_sphere_as_typed(typed: str | None, hundredths: int | None) -> None:
    assert rx.parse_sphere(typed, "right_sphere") == hundredths


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3.10", "3.10 is not in 0.25 D steps; nearest are +3.00 and +3.25"),
        ("-3.10", "-3.10 is not in 0.25 D steps; nearest are -3.00 and -3.25"),
        ("2.125", "2.125 is not in 0.25 D steps; nearest are +2.00 and +2.25"),
        ("0.1", "0.1 is not in 0.25 D steps; nearest are 0.00 and +0.25"),
        ("30.25", "Sphere runs from -30.00 to +30.00 D."),
        ("-31", "Sphere runs from -30.00 to +30.00 D."),
        ("abc", "abc is not a sphere power"),
        ("--1", "is not a sphere power"),
        ("1e2", "is not a sphere power"),
    ],
)
def test_sphere_refusals(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        rx.parse_sphere(typed, "left_sphere")
    assert err.value.field == "left_sphere"
    assert message in err.value.message


def test_cylinder_range_and_zero_is_none() -> None:
    assert rx.parse_cylinder("-0.50 DC", "c") == -50
    assert rx.parse_cylinder("+10", "c") == 1000
    assert rx.parse_cylinder("0", "c") is None
    assert rx.parse_cylinder("plano", "c") is None
    for bad, text in (("-10.25", "Cylinder runs from -10.00 to +10.00 D."), ("-0.30", "nearest are -0.25 and -0.50")):
        with pytest.raises(ValidationError) as err:
            rx.parse_cylinder(bad, "right_cylinder")
        assert err.value.field == "right_cylinder" and text in err.value.message


def test_add_range() -> None:
    assert rx.parse_add("+0.75", "a") == 75
    assert rx.parse_add("4", "a") == 400
    assert rx.parse_add("2.5", "a") == 250
    assert rx.parse_add("0", "a") is None and rx.parse_add("", "a") is None
    for bad in ("0.50", "+4.25", "-1.00"):
        with pytest.raises(ValidationError, match=r"Add runs from \+0\.75 to \+4\.00 D") as err:
            rx.parse_add(bad, "left_add")
        assert err.value.field == "left_add"
    with pytest.raises(ValidationError, match="nearest are"):
        rx.parse_add("2.10", "left_add")


def test_axis() -> None:
    assert [rx.parse_axis(t, "a") for t in ("90", "090", "x 90", "180\u00b0", "1", "")] == [90, 90, 90, 180, 1, None]
    for bad, text in (("0", "write 180 for 0"), ("181", "1 to 180"), ("90.5", "whole degrees"), ("-5", "whole")):
        with pytest.raises(ValidationError) as err:
            rx.parse_axis(bad, "left_axis")
        assert err.value.field == "left_axis" and text in err.value.message


def test_prism_and_base() -> None:
    assert rx.parse_prism("1.5", "p") == 150
    assert rx.parse_prism("20", "p") == 2000
    assert rx.parse_prism("0", "p") is None
    for bad, text in (("20.25", "20.00"), ("-1", "no sign"), ("1.1", "nearest are 1.00 and 1.25")):
        with pytest.raises(ValidationError) as err:
            rx.parse_prism(bad, "right_prism")
        assert err.value.field == "right_prism" and text in err.value.message
    assert [rx.parse_prism_base(t, "b") for t in ("in", "BO", "base up", "B.D.", "")] == [
        "in",
        "out",
        "up",
        "down",
        None,
    ]
    with pytest.raises(ValidationError) as err:
        rx.parse_prism_base("sideways", "right_prism_base")
    assert err.value.field == "right_prism_base"


def test_visual_acuity_lists() -> None:
    assert rx.parse_distance_acuity("6/9", "v") == "6/9"
    assert rx.parse_distance_acuity(" 6 / 60 ", "v") == "6/60"
    assert [rx.parse_distance_acuity(t, "v") for t in ("cf", "H.M.", "pl", "npl")] == ["CF", "HM", "PL", "NPL"]
    assert rx.parse_near_acuity("n6", "n") == "N6" and rx.parse_near_acuity("N 36", "n") == "N36"
    for bad in ("6/7", "20/20", "6", "good"):
        with pytest.raises(ValidationError) as err:
            rx.parse_distance_acuity(bad, "right_distance_va")
        assert err.value.field == "right_distance_va"
    for bad in ("N7", "6", "J1"):
        with pytest.raises(ValidationError) as err:
            rx.parse_near_acuity(bad, "left_near_va")
        assert err.value.field == "left_near_va"


def test_pupillary_distance() -> None:
    assert rx.parse_pd("62.5", "pd", monocular=False) == 625
    assert rx.parse_pd("62 mm", "pd", monocular=False) == 620
    assert rx.parse_pd("50", "pd", monocular=False) == 500 and rx.parse_pd("80", "pd", monocular=False) == 800
    assert rx.parse_pd("31.5", "right_pd", monocular=True) == 315
    cases = [("49.5", False, "50 to 80 mm"), ("80.5", False, "50 to 80 mm"), ("62.3", False, "nearest are 62.0 mm"),
             ("24.5", True, "25 to 40 mm"), ("41", True, "25 to 40 mm"), ("62", True, "25 to 40 mm")]  # fmt: skip
    for typed, mono, text in cases:
        with pytest.raises(ValidationError) as err:
            rx.parse_pd(typed, "pd", monocular=mono)
        assert err.value.field == "pd" and text in err.value.message


def test_formatting() -> None:
    assert [rx.format_power(h) for h in (125, -50, 0, 1000, -3000)] == ["+1.25", "-0.50", "0.00", "+10.00", "-30.00"]
    assert rx.format_sphere(0) == "PLANO" and rx.format_sphere(None) == "" and rx.format_sphere(-225) == "-2.25"
    assert rx.format_rx(-225, None, None) == "-2.25 DS"
    assert rx.format_rx(0, None, None) == "PLANO"
    assert rx.format_rx(-225, -50, 180) == "-2.25 / -0.50 x 180"
    assert rx.format_rx(0, 100, 90) == "PLANO / +1.00 x 90"
    assert rx.format_prism(150, "in") == "1.50 BI" and rx.format_prism(None, None) == ""
    assert rx.format_pd(625) == "62.5 mm" and rx.format_pd(310) == "31.0 mm"


def test_transpose_examples() -> None:
    assert rx.transpose(-225, -50, 180) == rx.Power(-275, 50, 90)
    assert rx.transpose(100, -200, 45) == rx.Power(-100, 200, 135)
    assert rx.transpose(-100, 200, 135) == rx.Power(100, -200, 45)
    assert rx.turn_axis(90) == 180 and rx.turn_axis(91) == 1
    with pytest.raises(ValueError, match="outside"):
        rx.transpose(0, -50, 0)
    assert rx.spherical_equivalent(-225, -75) == Decimal("-2.625")
    assert rx.format_spherical_equivalent(Decimal("-2.625")) == "-2.625"
    assert rx.format_spherical_equivalent(rx.spherical_equivalent(100, 50)) == "+1.25"
    assert rx.format_spherical_equivalent(rx.spherical_equivalent(-50, 100)) == "0.00"
    assert rx.near_power(-225, 200) == -25


powers = st.integers(min_value=-120, max_value=120).map(lambda n: n * rx.STEP)
cylinders = st.integers(min_value=-40, max_value=40).filter(bool).map(lambda n: n * rx.STEP)
axes = st.integers(min_value=1, max_value=180)


@given(sphere=powers, cylinder=cylinders, axis=axes)
def test_transposing_twice_gives_back_the_original(sphere: int, cylinder: int, axis: int) -> None:
    once = rx.transpose(sphere, cylinder, axis)
    assert once.cylinder == -cylinder and 1 <= once.axis <= 180 and abs(once.axis - axis) == 90
    assert rx.transpose(once.sphere, once.cylinder, once.axis) == (sphere, cylinder, axis)


@given(sphere=powers, cylinder=cylinders, axis=axes)
def test_the_spherical_equivalent_does_not_change(sphere: int, cylinder: int, axis: int) -> None:
    once = rx.transpose(sphere, cylinder, axis)
    assert rx.spherical_equivalent(once.sphere, once.cylinder) == rx.spherical_equivalent(sphere, cylinder)


@given(powers)
def test_formatting_parses_back(hundredths: int) -> None:
    assert rx.parse_sphere(rx.format_power(hundredths), "s") == hundredths
    assert rx.parse_sphere(rx.format_sphere(hundredths), "s") == hundredths


@given(st.decimals(min_value=-30, max_value=30, places=2))
def test_every_typed_power_is_stored_exactly_or_refused_with_its_neighbours(value: Decimal) -> None:
    hundredths = int(value * 100)
    if hundredths % rx.STEP == 0:
        assert rx.parse_sphere(str(value), "s") == hundredths
    else:
        with pytest.raises(ValidationError, match="is not in 0.25 D steps; nearest are") as err:
            rx.parse_sphere(str(value), "s")
        low, high = err.value.message.split("nearest are ")[1].split(" and ")
        neighbours = sorted(int(Decimal(x) * 100) for x in (low, high))
        assert neighbours[1] - neighbours[0] == rx.STEP and neighbours[0] < hundredths < neighbours[1]
