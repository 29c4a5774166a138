"""Whether a lens can be made in a prescribed power: the sphere, cylinder and ADD ranges, a plus-cylinder
prescription transposed to minus form first (and the message saying so), ADD required or refused by lens type,
toric and sphere-only lenses, and the order form's list of makeable lenses for a real eye prescription."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as hst

from db.models.optical import OpticalProduct
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.catalog import find_products
from hms_desktop.services.optical.lens_fit import EyePower, check_makeable, makeable_lenses
from tests.optical_fixtures import PRODUCTS, optical_day


def lens(key: str, **changes: Any) -> OpticalProduct:
    """A catalogue row as the fixtures hold it (not stored: the checks are pure)."""
    values = {k: v for k, v in PRODUCTS[key].items() if k != "stock"} | changes
    return OpticalProduct(sku="OPP-00099", gst_rate_basis_points=500, **values)


HOYA = lens("progressive")  # SPH -8.00..+6.00, CYL -4.00..0, ADD +0.75..+3.50
ESSILOR = lens("single_vision")  # SPH -6.00..+4.00, CYL -2.00..0
BIFOCAL = lens("single_vision", name="Kodak bifocal 1.50", lens_type="bifocal", add_min=100, add_max=300)
TORIC = lens("contact", name="Biofinity toric (3)", lens_type="toric", cylinder_min=-225, cylinder_max=-75)
ACUVUE = lens("contact")  # spherical, SPH -12.00..+8.00, no cylinder
FRAME = lens("frame")


def refusal(product: OpticalProduct, eye: str = "right", **power: int | None) -> str:
    values: dict[str, int | None] = {"sphere": None, "cylinder": None, "axis": None, "add": None} | power
    with pytest.raises(ValidationError) as err:
        check_makeable(product, eye=eye, field="lines[1].product_id", **values)  # type: ignore[arg-type]
    assert err.value.field == "lines[1].product_id"
    return err.value.message


def fits(product: OpticalProduct, **power: int | None) -> None:
    values: dict[str, int | None] = {"sphere": None, "cylinder": None, "axis": None, "add": None} | power
    check_makeable(product, eye="left", field="lens", **values)  # type: ignore[arg-type]


def test_a_power_inside_the_range_is_makeable() -> None:
    fits(HOYA, sphere=-225, cylinder=-50, axis=180, add=150)
    fits(HOYA, sphere=-800, cylinder=-400, axis=90, add=350)  # the range's own ends
    fits(HOYA, sphere=600, add=75)
    fits(ESSILOR, sphere=0)
    fits(ACUVUE, sphere=-1200)
    fits(TORIC, sphere=-300, cylinder=-125, axis=20)


def test_a_sphere_outside_the_range_names_the_eye_the_power_and_the_lens() -> None:
    assert (
        refusal(HOYA, sphere=-900, add=150) == "Right eye: -9.00 is outside Hoya progressive 1.60 (SPH -8.00 to +6.00)."
    )
    assert refusal(ESSILOR, "left", sphere=425) == (
        "Left eye: +4.25 is outside Essilor single vision 1.50 (SPH -6.00 to +4.00).")  # fmt: skip


def test_a_plus_cylinder_prescription_is_transposed_first_and_the_message_says_so() -> None:
    fits(ESSILOR, sphere=-300, cylinder=100, axis=90)  # -2.00 / -1.00 x 180 in minus form
    fits(HOYA, sphere=-775, cylinder=400, axis=45, add=200)  # -3.75 / -4.00 x 135
    assert refusal(HOYA, sphere=550, cylinder=100, axis=90, add=200) == (
        "Right eye: +6.50 is outside Hoya progressive 1.60 (SPH -8.00 to +6.00); the prescription "
        "+5.50 / +1.00 x 90 is +6.50 / -1.00 x 180 in minus cylinder.")  # fmt: skip
    assert refusal(ESSILOR, sphere=-100, cylinder=250, axis=30) == (
        "Right eye: cylinder -2.50 is outside Essilor single vision 1.50 (CYL -2.00 to 0.00); the prescription "
        "-1.00 / +2.50 x 30 is +1.50 / -2.50 x 120 in minus cylinder.")  # fmt: skip


def test_a_cylinder_outside_the_range_or_without_its_axis_is_refused() -> None:
    assert refusal(ESSILOR, sphere=-100, cylinder=-250, axis=10) == (
        "Right eye: cylinder -2.50 is outside Essilor single vision 1.50 (CYL -2.00 to 0.00).")  # fmt: skip
    assert (
        refusal(ESSILOR, sphere=-100, cylinder=-50) == "Right eye: the cylinder -0.50 has no axis in the prescription."
    )


def test_a_sphere_only_lens_and_a_toric_lens() -> None:
    assert refusal(ACUVUE, "left", sphere=-300, cylinder=-75, axis=180) == (
        "Left eye: Acuvue Oasys monthly (6) is made in sphere only, without cylinder; the prescription has cylinder "
        "-0.75.")  # fmt: skip
    assert refusal(TORIC, sphere=-300) == (
        "Right eye: Biofinity toric (3) is made for a cylinder (CYL -2.25 to -0.75); the prescription has none for "
        "this eye.")  # fmt: skip
    assert "cylinder -2.50 is outside Biofinity toric (3) (CYL -2.25 to -0.75)" in refusal(
        TORIC, sphere=-300, cylinder=-250, axis=90)  # fmt: skip


def test_an_add_is_required_for_multifocals_and_refused_for_single_vision() -> None:
    assert refusal(HOYA, sphere=-225) == (
        "Right eye: Hoya progressive 1.60 is a progressive lens and needs the reading addition (ADD); the "
        "prescription gives none for this eye.")  # fmt: skip
    assert "Kodak bifocal 1.50 is a bifocal lens and needs the reading addition" in refusal(BIFOCAL, sphere=-225)
    assert refusal(HOYA, sphere=-225, add=375) == (
        "Right eye: ADD +3.75 is outside Hoya progressive 1.60 (ADD +0.75 to +3.50).")  # fmt: skip
    assert refusal(BIFOCAL, "left", sphere=100, add=75) == (
        "Left eye: ADD +0.75 is outside Kodak bifocal 1.50 (ADD +1.00 to +3.00).")  # fmt: skip
    assert refusal(ESSILOR, sphere=-225, add=150) == (
        "Right eye: the prescription has ADD +1.50, but Essilor single vision 1.50 is a single vision lens; choose "
        "a bifocal or progressive lens, or make a reading pair at the near power.")  # fmt: skip
    assert "is a spherical lens" in refusal(ACUVUE, sphere=-225, add=150)
    fits(ESSILOR, sphere=rx.near_power(-225, 150))  # the reading pair at the near power


def test_an_eye_without_power_and_a_product_that_is_not_a_lens() -> None:
    assert refusal(HOYA, "left") == (
        "Left eye: the prescription gives no power for this eye, so Hoya progressive 1.60 cannot be made for it."
    )
    check_makeable(FRAME, eye="both", sphere=-900, cylinder=None, axis=None, add=None, field="frame")
    with pytest.raises(ValueError, match="eye is right, left or both"):
        check_makeable(HOYA, eye="none", sphere=-225, cylinder=None, axis=None, add=150, field="lens")
    unranged = lens("progressive", sphere_min=None, sphere_max=None)
    assert refusal(unranged, sphere=-225, add=150) == (
        "Hoya progressive 1.60 has no power range in the catalogue; add it there first.")  # fmt: skip


def test_makeable_lenses_keeps_the_lenses_for_both_eyes() -> None:
    products = [FRAME, ESSILOR, HOYA, BIFOCAL, ACUVUE, TORIC]
    reading = EyePower(-225, -50, 180, 150)
    assert makeable_lenses(products, right=reading, left=EyePower(-200, add_power=150)) == [HOYA, BIFOCAL]
    distance = EyePower(-550)
    assert makeable_lenses(products, right=distance, left=EyePower(-350, -100, 90)) == [ESSILOR]
    assert makeable_lenses(products, right=EyePower(-700)) == [ACUVUE]  # beyond the Essilor's -6.00
    assert makeable_lenses(products, right=EyePower(None), left=EyePower(-100)) == [ESSILOR, ACUVUE]
    assert makeable_lenses(products) == [ESSILOR, HOYA, BIFOCAL, ACUVUE, TORIC]  # no Rx: every lens


STEPS = hst.integers(-40, 40).map(lambda n: n * 25)
CYLINDERS = hst.integers(1, 24).map(lambda n: n * 25)


@given(STEPS, CYLINDERS, hst.integers(1, 180), hst.sampled_from([None, 75, 150, 250, 375]))
def test_a_prescription_and_its_transposed_form_are_the_same_lens(sphere: int, cyl: int, axis: int,
                                                                   add: int | None) -> None:  # fmt: skip
    """Plus and minus cylinder forms of one prescription get the same answer from every lens."""
    minus = rx.transpose(sphere, cyl, axis)
    for product in (HOYA, ESSILOR, BIFOCAL, TORIC, ACUVUE):
        answers = []
        for s, c, a in ((sphere, cyl, axis), minus):
            try:
                check_makeable(product, eye="right", sphere=s, cylinder=c, axis=a, add=add, field="lens")
                answers.append(True)
            except ValidationError:
                answers.append(False)
        assert answers[0] == answers[1], product.name


def test_the_order_forms_lens_list_for_kavyas_prescription(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    od = optical_day(system_ctx, make_user)
    lenses = find_products(od.optician, category="lens")
    kept = makeable_lenses(lenses, right=od.eye_rx.right, left=od.eye_rx.left)
    assert [p.name for p in kept] == ["Hoya progressive 1.60"]  # R -2.25 / -0.50 x 180, L -2.00, add +1.50
    assert [p.name for p in makeable_lenses(find_products(od.optician), right=od.eye_rx.right)] == [
        "Hoya progressive 1.60"]  # fmt: skip
    essilor = next(p for p in lenses if p.lens_type == "single_vision")
    with pytest.raises(ValidationError, match="Right eye: the prescription has ADD \\+1.50, but Essilor single vision"):
        check_makeable(essilor, eye="right", sphere=-225, cylinder=-50, axis=180, add=150, field="lens")
