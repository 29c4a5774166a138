"""Medicine pricing: the GST rate in force on the day (the 22 Sep 2025 cut from 12% to 5% for HSN 3004), a loose
unit's price from the pack's MRP (never above the label), and the tax inside an MRP."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as hst

from db.models.pharmacy import Medicine
from hms_desktop.context import Context
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.pharmacy.pricing import gst_rate_on, tax_inside, unit_price
from tests.pharmacy_fixtures import pharmacy_day


def test_the_rate_in_force_on_the_day_of_sale(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    pd = pharmacy_day(system_ctx, make_user)
    ctx = pd.system
    dolo = pd.medicines["Dolo 650"]
    with ctx.transaction(readonly=True) as tx:
        med = tx.session.get(Medicine, dolo)
        assert med is not None
        assert gst_rate_on(tx.session, med, date(2025, 9, 1)) == 500  # no rule yet: the catalogue's own rate
    create_tax(ctx, TaxInput(name="Medicines 12%", applies_to="medicine", rate_percent="12", hsn_sac_code="3004",
                             effective_from=date(2025, 4, 1), effective_to=date(2025, 9, 21)))  # fmt: skip
    create_tax(ctx, TaxInput(name="Medicines 5%", applies_to="medicine", rate_percent="5", hsn_sac_code="3004",
                             effective_from=date(2025, 9, 22)))  # fmt: skip
    create_tax(ctx, TaxInput(name="Other goods", applies_to="medicine", rate_percent="18",
                             effective_from=date(2025, 4, 1)))  # fmt: skip
    with ctx.transaction(readonly=True) as tx:
        med = tx.session.get(Medicine, dolo)
        assert med is not None
        assert gst_rate_on(tx.session, med, date(2025, 9, 21)) == 1200
        assert gst_rate_on(tx.session, med, date(2025, 9, 22)) == 500
        med.hsn_code = "3003"  # not saved: another HSN falls back to the blank-code default
        assert gst_rate_on(tx.session, med, date(2026, 11, 30)) == 1800


def test_a_loose_unit_never_costs_more_than_the_label() -> None:
    assert unit_price(3599, 10) == 359 and unit_price(3360, 15) == 224 and unit_price(4600, 1) == 4600


@given(hst.integers(0, 10**9), hst.sampled_from([0, 500, 1200, 1800, 2800]))
def test_the_tax_inside_an_amount_leaves_a_taxable_value_that_adds_back(amount: int, rate: int) -> None:
    tax = tax_inside(amount, rate)
    taxable = amount - tax
    assert 0 <= tax <= amount
    assert abs(taxable * (10000 + rate) - amount * 10000) <= (10000 + rate) // 2 + 1  # rounded to the paisa


@given(hst.integers(0, 10**7), hst.integers(1, 500), hst.integers(1, 500))
def test_loose_units_add_up_to_at_most_the_packs_mrp(mrp: int, pack: int, units: int) -> None:
    assert unit_price(mrp, pack) * units <= mrp * units / pack
