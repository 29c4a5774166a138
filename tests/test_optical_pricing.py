"""Optical pricing: the GST rate in force on the day of sale (frames 12% before 22 Sep 2025 and 5% from then),
the longest matching HSN prefix (sunglasses 900410 at 18% before a 9004 rule), the blank-code default, the
product's own rate when no rule covers it, rules of other kinds of goods left alone, and the tax inside an MRP."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from db.models.optical import OpticalProduct
from hms_desktop.context import Context
from hms_desktop.services.admin.taxes import TaxInput, create_tax, end_tax, list_taxes
from hms_desktop.services.optical.catalog import product
from hms_desktop.services.optical.pricing import hsn_prefixes, optical_rate_on, tax_inside
from tests.clinical_fixtures import clinical_day
from tests.optical_fixtures import PRODUCTS, add_product

OLD_RATES_FROM, LAST_OLD_DAY, GST_2 = date(2025, 4, 1), date(2025, 9, 21), date(2025, 9, 22)


@pytest.fixture
def ctx(system_ctx: Context, make_user) -> Context:  # type: ignore[no-untyped-def]
    """The clinic with no optical tax rule yet: each test writes the rules it needs."""
    return clinical_day(system_ctx, make_user).system


def rule(ctx: Context, name: str, hsn: str, rate: str, start: date = GST_2, end: date | None = None) -> None:
    create_tax(ctx, TaxInput(name=name, rate_percent=rate, applies_to="optical", hsn_sac_code=hsn,
                             effective_from=start, effective_to=end))  # fmt: skip


def rate(ctx: Context, product_id: uuid.UUID, on: date, **changes: str) -> int:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(OpticalProduct, product_id)
        assert row is not None
        for name, value in changes.items():  # not saved: the lookup reads what the row holds now
            setattr(row, name, value)
        return optical_rate_on(tx.session, row, on)


def catalogue(ctx: Context, key: str, **changes: object) -> uuid.UUID:
    values = {k: v for k, v in PRODUCTS[key].items() if k != "stock"} | changes
    return add_product(ctx, **values)


def test_a_sale_before_22_september_2025_takes_the_old_rate_and_one_after_the_new(ctx: Context) -> None:
    frame = catalogue(ctx, "frame", hsn_code="9003")
    rule(ctx, "Frames (old)", "9003", "12", OLD_RATES_FROM, LAST_OLD_DAY)
    rule(ctx, "Frames", "9003", "5")
    assert rate(ctx, frame, date(2025, 3, 31)) == 500  # before any rule: the product's own rate
    assert rate(ctx, frame, OLD_RATES_FROM) == 1200
    assert rate(ctx, frame, LAST_OLD_DAY) == 1200
    assert rate(ctx, frame, GST_2) == 500
    assert rate(ctx, frame, date(2026, 11, 30)) == 500
    assert product(ctx, frame).tax_rate_basis_points == 500  # the view shows today's


def test_the_longest_matching_hsn_code_wins(ctx: Context) -> None:
    shades = catalogue(ctx, "sunglasses")  # HSN 900410, own rate 18%
    rule(ctx, "Spectacles (chapter 9004)", "9004", "12")
    rule(ctx, "Sunglasses", "900410", "28")  # a rate no product carries: it must come from this rule
    assert rate(ctx, shades, GST_2) == 2800
    assert rate(ctx, shades, GST_2, hsn_code="90041000") == 2800  # 8 digits: its 6-digit prefix's rule
    assert rate(ctx, shades, GST_2, hsn_code="900490") == 1200  # no 900490 rule: the 9004 one
    assert rate(ctx, shades, GST_2, hsn_code="9001") == 1800  # no rule at all: the product's own rate
    assert rate(ctx, shades, date(2025, 9, 1)) == 1800  # before the rules


def test_the_blank_code_optical_rule_is_the_default_and_other_goods_rules_are_not_used(ctx: Context) -> None:
    solution = catalogue(ctx, "solution")  # HSN 3307, own rate 18%
    create_tax(ctx, TaxInput(name="Medicines", rate_percent="12", applies_to="medicine", hsn_sac_code="3307",
                             effective_from=OLD_RATES_FROM))  # fmt: skip
    assert rate(ctx, solution, GST_2) == 1800  # a medicine rule for the same code is not an optical one
    rule(ctx, "Optical goods", "", "12", OLD_RATES_FROM)
    assert rate(ctx, solution, GST_2) == 1200
    rule(ctx, "Contact lens solution", "3307", "18")
    assert rate(ctx, solution, GST_2) == 1800 and rate(ctx, solution, LAST_OLD_DAY) == 1200


def test_an_ended_rule_stops_on_its_last_day(ctx: Context) -> None:
    lens = catalogue(ctx, "single_vision")
    rule(ctx, "Lenses", "9001", "12", OLD_RATES_FROM)
    [lenses] = [t for t in list_taxes(ctx, applies_to="optical") if t.hsn_sac_code == "9001"]
    end_tax(ctx, lenses.id, LAST_OLD_DAY)
    rule(ctx, "Lenses", "9001", "5")
    assert [rate(ctx, lens, d) for d in (LAST_OLD_DAY, GST_2)] == [1200, 500]


def test_hsn_prefixes_are_most_specific_first() -> None:
    assert hsn_prefixes("90041000") == ("90041000", "900410", "9004")
    assert hsn_prefixes("900410") == ("900410", "9004")
    assert hsn_prefixes("9003") == ("9003",)
    assert hsn_prefixes("") == ()


def test_the_tax_inside_an_mrp_is_the_pharmacys_rule_35() -> None:
    assert tax_inside(250_000, 500) == 11_905  # Rs 2,500 frame: taxable 2,380.95 + GST 119.05
    assert tax_inside(899_000, 1800) == 137_136  # Rs 8,990 sunglasses: taxable 7,618.64 + 1,371.36
    assert tax_inside(0, 500) == 0 and tax_inside(45_000, 0) == 0
