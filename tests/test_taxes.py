"""Tax rules: rates, HSN/SAC codes, dates in force, overlaps, the rule for a date, and the GST split."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from db.ids import uuid7
from hms_desktop.context import Actor, Context
from hms_desktop.errors import NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import DEFAULT_ROLES
from hms_desktop.services.admin.taxes import (
    TaxInput,
    create_tax,
    end_tax,
    list_taxes,
    rate_basis_points,
    split_gst,
    tax_for,
    update_tax,
)
from hms_desktop.storage.store import Store

TABLES = ("audit_logs", "tax_configurations")
APR1 = date(2026, 4, 1)
GST18 = TaxInput(name="GST 18% services", rate_percent="18", applies_to="service", effective_from=APR1)


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


@contextmanager
def nothing_written(store: Store) -> Iterator[None]:
    before = counts(store)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM tax_configurations ORDER BY id")).all()
    yield
    assert counts(store) == before
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM tax_configurations ORDER BY id")).all() == rows


def as_role(ctx: Context, role: str) -> Context:
    return ctx.as_actor(
        Actor(uuid7(), f"{role.lower()}@sunrise.example.in", (role,), frozenset(DEFAULT_ROLES[role][1]))
    )


# --- rates


@pytest.mark.parametrize(
    ("raw", "bp"),
    [("18", 1800), ("2.5", 250), ("0.25", 25), ("0", 0), ("100", 10000), (" 5 %", 500), ("12.00", 1200)]
    + [(Decimal("0.10"), 10), (Decimal("1E+1"), 1000), (28, 2800)],
)
def test_rate_percent_to_basis_points(raw: Any, bp: int) -> None:
    assert rate_basis_points(raw) == bp


BAD_RATES = ["100.01", "-1", "-0.01", "0.125", "abc", "", "NaN", "Infinity", "1e3", 18.0, True, None]


@pytest.mark.parametrize("raw", BAD_RATES)
def test_bad_rate_refused_and_nothing_written(system_ctx: Context, store: Store, raw: Any) -> None:
    with nothing_written(store), pytest.raises(ValidationError) as err:
        create_tax(system_ctx, replace(GST18, rate_percent=raw))
    assert err.value.field == "rate_percent"


# --- create, validate


def test_create_and_list(system_ctx: Context, store: Store) -> None:
    before = counts(store)
    svc = create_tax(system_ctx, GST18)
    assert (svc.rate_basis_points, svc.rate_percent, svc.hsn_sac_code, svc.kind) == (1800, Decimal("18.00"), "", "GST")
    med = create_tax(
        system_ctx,
        TaxInput(
            name="GST 12% medicines",
            rate_percent="12",
            applies_to=" Medicine ",
            hsn_sac_code="3004.90",
            kind="gst",
            intra_state_split=False,
            effective_from=APR1,
            effective_to=date(2027, 3, 31),
        ),
    )
    assert (med.applies_to, med.hsn_sac_code, med.kind, med.intra_state_split) == ("medicine", "300490", "GST", False)
    assert counts(store) == {"audit_logs": before["audit_logs"] + 2, "tax_configurations": 2}
    assert list_taxes(system_ctx) == [med, svc]
    assert list_taxes(system_ctx, applies_to="service") == [svc]
    assert list_taxes(system_ctx, on=date(2027, 4, 1)) == [svc]
    assert list_taxes(system_ctx, on=date(2026, 3, 31)) == []
    with pytest.raises(ValidationError) as err:
        list_taxes(system_ctx, applies_to="surgery")
    assert err.value.field == "applies_to"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "N" * 81}, "name"),
        ({"applies_to": "surgery"}, "applies_to"),
        ({"kind": "VATT"}, "kind"),
        ({"kind": None}, "kind"),
        ({"intra_state_split": "yes"}, "intra_state_split"),
        ({"effective_from": None}, "effective_from"),
        ({"effective_from": datetime(2026, 4, 1, tzinfo=UTC)}, "effective_from"),
        ({"effective_from": "1 April"}, "effective_from"),
        ({"effective_to": date(2026, 3, 31)}, "effective_to"),
        ({"effective_to": "someday"}, "effective_to"),
        ({"hsn_sac_code": "999"}, "hsn_sac_code"),
        ({"hsn_sac_code": "99931"}, "hsn_sac_code"),
        ({"hsn_sac_code": "9993121"}, "hsn_sac_code"),
        ({"hsn_sac_code": "999312345"}, "hsn_sac_code"),
        ({"hsn_sac_code": "99a3"}, "hsn_sac_code"),
        ({"hsn_sac_code": "٩٩٩٣"}, "hsn_sac_code"),  # Arabic-Indic digits are not digits here
        ({"hsn_sac_code": None}, "hsn_sac_code"),
        ({"hsn_sac_code": "3004"}, "hsn_sac_code"),  # a service needs a SAC code (99..)
        ({"applies_to": "lab", "hsn_sac_code": "9018"}, "hsn_sac_code"),
        ({"applies_to": "medicine", "hsn_sac_code": "9993"}, "hsn_sac_code"),  # goods never use 99..
        ({"applies_to": "optical", "hsn_sac_code": "999312"}, "hsn_sac_code"),
    ],
)
def test_bad_tax_input(system_ctx: Context, store: Store, changes: dict[str, Any], field: str) -> None:
    with nothing_written(store), pytest.raises(ValidationError) as err:
        create_tax(system_ctx, replace(GST18, **changes))
    assert err.value.field == field


def test_codes_and_dates_accepted(system_ctx: Context) -> None:
    assert create_tax(system_ctx, replace(GST18, hsn_sac_code="9993")).hsn_sac_code == "9993"
    assert create_tax(system_ctx, replace(GST18, hsn_sac_code="99931200")).hsn_sac_code == "99931200"
    lab = create_tax(system_ctx, replace(GST18, applies_to="lab", hsn_sac_code="999316", effective_from="2026-04-01"))
    assert lab.effective_from == APR1
    one_day = create_tax(system_ctx, replace(GST18, applies_to="optical", effective_to=APR1, rate_percent="5"))
    assert one_day.effective_to == APR1


# --- overlaps


def test_overlapping_rules_refused(system_ctx: Context, store: Store) -> None:
    create_tax(system_ctx, GST18)  # open-ended from 2026-04-01
    for start, end in [(date(2027, 1, 1), None), (date(2025, 1, 1), APR1), (date(2025, 1, 1), None)]:
        with nothing_written(store), pytest.raises(ValidationError, match="overlap") as err:
            create_tax(
                system_ctx, replace(GST18, name="GST 5%", rate_percent="5", effective_from=start, effective_to=end)
            )
        assert err.value.field == "effective_from"
        assert "GST 18% services from 2026-04-01" in err.value.message
    # another code, another kind of supply, or a range that ends the day before: no clash
    create_tax(system_ctx, replace(GST18, hsn_sac_code="999312"))
    create_tax(system_ctx, replace(GST18, applies_to="lab"))
    create_tax(system_ctx, replace(GST18, effective_from=date(2025, 1, 1), effective_to=date(2026, 3, 31)))


def test_end_tax_then_new_rate(system_ctx: Context, store: Store) -> None:
    old = create_tax(system_ctx, GST18)
    with nothing_written(store), pytest.raises(ValidationError) as err:
        end_tax(system_ctx, old.id, date(2026, 3, 31))
    assert err.value.field == "effective_to"
    ended = end_tax(system_ctx, old.id, date(2026, 12, 31))
    assert ended.effective_to == date(2026, 12, 31)
    new = create_tax(
        system_ctx, replace(GST18, name="GST 12% services", rate_percent="12", effective_from=date(2027, 1, 1))
    )
    with nothing_written(store), pytest.raises(ValidationError, match="GST 12% services from 2027-01-01") as err:
        end_tax(system_ctx, old.id, date(2027, 1, 1))  # would run into the new rule
    assert err.value.field == "effective_to"
    with nothing_written(store), pytest.raises(NotFound):
        end_tax(system_ctx, uuid.uuid4(), date(2027, 1, 1))
    with nothing_written(store), pytest.raises(ValidationError) as err:
        update_tax(system_ctx, new.id, replace(GST18, effective_from=date(2026, 12, 1)))
    assert err.value.field == "effective_from"
    moved = update_tax(
        system_ctx, new.id, replace(GST18, name="GST 12%", rate_percent="12.5", effective_from=date(2027, 1, 1))
    )
    assert (moved.id, moved.name, moved.rate_basis_points) == (new.id, "GST 12%", 1250)
    with nothing_written(store), pytest.raises(NotFound):
        update_tax(system_ctx, uuid.uuid4(), GST18)


# --- the rule in force


def test_tax_for_prefers_the_exact_code(system_ctx: Context) -> None:
    default = create_tax(system_ctx, replace(GST18, effective_to=date(2026, 12, 31)))
    exact = create_tax(system_ctx, replace(GST18, name="Exempt consultations", rate_percent="0", hsn_sac_code="999312"))
    cashier = as_role(system_ctx, "Cashier")  # billing.view
    assert tax_for(cashier, "service", date(2026, 6, 1), "999312") == exact
    assert tax_for(cashier, "service", date(2026, 6, 1), "999316") == default
    assert tax_for(cashier, "service", date(2026, 6, 1)) == default
    assert tax_for(cashier, "service", date(2026, 12, 31)) == default  # the end date is still in force
    assert tax_for(cashier, "service", date(2027, 1, 1)) is None
    assert tax_for(cashier, "service", date(2027, 1, 1), "999312") == exact
    assert tax_for(cashier, "service", date(2026, 3, 31), "999312") is None
    assert tax_for(cashier, "medicine", date(2026, 6, 1)) is None
    with pytest.raises(ValidationError) as err:
        tax_for(cashier, "service", date(2026, 6, 1), "3004")
    assert err.value.field == "hsn_sac_code"
    with pytest.raises(PermissionDenied):
        tax_for(as_role(system_ctx, "Receptionist"), "service", date(2026, 6, 1))


def test_receptionist_cannot_manage_taxes(system_ctx: Context, store: Store) -> None:
    before = counts(store)
    with pytest.raises(PermissionDenied):
        create_tax(as_role(system_ctx, "Receptionist"), GST18)
    assert counts(store) == {**before, "audit_logs": before["audit_logs"] + 1}


# --- the GST split


@pytest.mark.parametrize(
    ("taxable", "bp", "tax", "cgst", "sgst"),
    [
        (10000, 1800, 1800, 900, 900),
        (50, 1800, 9, 5, 4),  # odd tax: CGST takes the extra paisa
        (25, 1800, 5, 3, 2),  # 4.5 paise rounds half up to 5
        (1, 250, 0, 0, 0),
        (0, 1800, 0, 0, 0),
        (12345, 0, 0, 0, 0),
        (99999, 10000, 99999, 50000, 49999),
    ],
)
def test_split_gst_examples(taxable: int, bp: int, tax: int, cgst: int, sgst: int) -> None:
    assert split_gst(taxable, bp, True) == {"tax_paise": tax, "cgst_paise": cgst, "sgst_paise": sgst, "igst_paise": 0}
    assert split_gst(taxable, bp, False) == {"tax_paise": tax, "cgst_paise": 0, "sgst_paise": 0, "igst_paise": tax}


@pytest.mark.parametrize(
    ("taxable", "bp"), [(-1, 1800), (1.5, 1800), (True, 1800), (100, -1), (100, 10001), (100, 18.0)]
)
def test_split_gst_refuses_bad_numbers(taxable: Any, bp: Any) -> None:
    with pytest.raises(ValueError):
        split_gst(taxable, bp, True)


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10000))
def test_split_gst_intra_equals_inter(taxable: int, bp: int) -> None:
    intra, inter = split_gst(taxable, bp, True), split_gst(taxable, bp, False)
    assert intra["cgst_paise"] + intra["sgst_paise"] == inter["igst_paise"] == intra["tax_paise"]
    assert all(type(v) is int and v >= 0 for v in (*intra.values(), *inter.values()))
    assert intra["cgst_paise"] - intra["sgst_paise"] in (0, 1)
    exact = Decimal(taxable * bp) / 10000
    assert inter["igst_paise"] == exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert abs(inter["igst_paise"] - exact) <= Decimal("0.5")
