"""The lab test catalog: adding, editing, deactivating and searching tests; the parameter shape with its
reference ranges by sex and age, and every bad input; the demo catalog loaded once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.lab import LabTest
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.lab_demo import DEMO_LAB_TESTS
from hms_desktop.services.clinical import lab_catalog as cat
from hms_desktop.services.clinical.lab_catalog import LabTestInput
from hms_desktop.services.clinical.lab_parameters import assess_number, assess_text, parse_parameters, range_for
from tests.conftest import actor_with_role

HB: dict[str, Any] = {
    "name": "Haemoglobin",
    "unit": "g/dL",
    "ranges": [
        {"sex": "male", "age_min": 18, "low": "13", "high": "17"},
        {"sex": "female", "age_min": 18, "low": "12", "high": "15"},
        {"sex": "any", "age_min": 6, "age_max": 18, "low": "11.5", "high": "15.5"},
    ],
    "critical_low": "7",
    "critical_high": "20",
}


def cbc(**changes: Any) -> LabTestInput:
    data = LabTestInput(code="cbc", name="Complete Blood Count", category="haematology", sample_type="blood",
                        price_rupees="350", tat_hours=4, parameters=[HB])  # fmt: skip
    return replace(data, **changes)


def stored_tests(ctx: Context) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(LabTest)) or 0)


def test_add_a_test_with_its_parameters(system_ctx: Context) -> None:
    view = cat.add_lab_test(system_ctx, cbc())
    assert (view.code, view.name, view.category, view.sample_type) == ("CBC", "Complete Blood Count", "haematology",
                                                                        "blood")  # fmt: skip
    assert (view.price_paise, view.price_rupees, view.tat_hours) == (35000, "350.00", 4)
    assert (view.sac_code, view.gst_rate_basis_points, view.is_active) == ("999316", 0, True)  # exempt lab service
    (hb,) = view.parameters
    assert (hb.name, hb.unit, hb.kind, hb.critical_low, hb.critical_high) == ("Haemoglobin", "g/dL", "numeric", "7",
                                                                              "20")  # fmt: skip
    assert [(r.sex, r.age_min, r.age_max, r.low, r.high) for r in hb.ranges] == [
        ("male", 18, None, "13", "17"), ("female", 18, None, "12", "15"), ("any", 6, 18, "11.5", "15.5"),
    ]  # fmt: skip
    with system_ctx.transaction(readonly=True) as tx:
        row = tx.session.get(LabTest, view.id)
        assert row is not None and row.parameters[0]["ranges"][0] == {"sex": "male", "age_min": 18, "low": "13",
                                                                       "high": "17"}  # fmt: skip
    assert cat.get_lab_test(system_ctx, view.id) == view


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "CBC 2"}, "code"),
        ({"code": "A" * 17}, "code"),
        ({"name": "  "}, "name"),
        ({"category": "astrology"}, "category"),
        ({"sample_type": "hair"}, "sample_type"),
        ({"price_rupees": "-5"}, "price_rupees"),
        ({"price_rupees": "12.345"}, "price_rupees"),
        ({"price_rupees": 350.0}, "price_rupees"),  # a float is never money
        ({"tat_hours": 0}, "tat_hours"),
        ({"tat_hours": 1000}, "tat_hours"),
        ({"sac_code": "9993"}, "sac_code"),
        ({"sac_code": "300490"}, "sac_code"),
        ({"gst_rate_basis_points": 10001}, "gst_rate_basis_points"),
        ({"gst_rate_basis_points": -1}, "gst_rate_basis_points"),
    ],
)
def test_bad_test_details_are_refused(system_ctx: Context, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        cat.add_lab_test(system_ctx, cbc(**changes))
    assert err.value.field == field
    assert stored_tests(system_ctx) == 0


def _param(**changes: Any) -> dict[str, Any]:
    return {**HB, **changes}


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ([{"unit": "g/dL"}], "needs a name"),
        ([_param(ranges=[{"sex": "male", "low": 13.0, "high": "17"}])], "number written as text"),  # a float
        ([_param(ranges=[{"low": "13,5"}])], "number written as text"),
        ([_param(ranges=[{"low": "17", "high": "13"}])], "above the high end"),
        ([_param(ranges=[{"sex": "woman", "low": "12"}])], "male, female or any"),
        ([_param(ranges=[{"sex": "any"}])], "low end, a high end or both"),
        ([_param(ranges=[{"low": "1", "age_min": 18, "age_max": 18}])], "must be above the lower age"),
        ([_param(ranges=[{"low": "1", "age_min": -1}])], "whole number of years"),
        ([_param(ranges=[{"low": "1", "colour": "red"}])], "cannot have colour"),
        ([_param(critical_low="20", critical_high="7")], "critical low limit must be below"),
        ([_param(kind="graph")], "numeric or text"),
        ([_param(flavour="sweet")], "unknown setting flavour"),
        ([HB, {"name": "haemoglobin", "unit": "g/dL"}], "same name"),
        ([{"name": "NS1", "kind": "text", "ranges": [{"low": "1"}]}], "no numeric ranges"),
        ([{"name": "NS1", "kind": "text", "choices": ["Positive", "Negative"], "normal_values": ["Nil"]}],
         "one of the choices"),
        ([{"name": "Hb", "choices": ["High"]}], "belong to text parameters"),
        ("Haemoglobin", "must be a list"),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused(system_ctx: Context, parameters: Any, says: str) -> None:
    with pytest.raises(ValidationError, match=says) as err:
        cat.add_lab_test(system_ctx, cbc(parameters=parameters))
    assert err.value.field == "parameters"
    assert stored_tests(system_ctx) == 0


def test_codes_are_unique_and_updates_keep_them_so(system_ctx: Context) -> None:
    first = cat.add_lab_test(system_ctx, cbc())
    with pytest.raises(ValidationError, match="already used by Complete Blood Count") as err:
        cat.add_lab_test(system_ctx, cbc(code="Cbc", name="Another CBC"))
    assert err.value.field == "code"
    esr = cat.add_lab_test(system_ctx, cbc(code="ESR", name="ESR", parameters=[]))
    with pytest.raises(ValidationError) as err:
        cat.update_lab_test(system_ctx, esr.id, cbc(code="CBC", name="ESR"))
    assert err.value.field == "code"
    changed = cat.update_lab_test(system_ctx, first.id, cbc(price_rupees="400", name="CBC with ESR"))
    assert (changed.code, changed.name, changed.price_paise) == ("CBC", "CBC with ESR", 40000)
    assert stored_tests(system_ctx) == 2


def test_deactivated_tests_leave_the_search_but_stay_in_the_catalog(system_ctx: Context) -> None:
    view = cat.add_lab_test(system_ctx, cbc())
    assert [t.code for t in cat.search_lab_tests(system_ctx, "blood")] == ["CBC"]
    off = cat.deactivate_lab_test(system_ctx, view.id)
    assert off.is_active is False
    assert cat.search_lab_tests(system_ctx, "blood") == []
    assert cat.list_lab_tests(system_ctx) == []
    assert [t.code for t in cat.list_lab_tests(system_ctx, include_inactive=True)] == ["CBC"]
    assert cat.activate_lab_test(system_ctx, view.id).is_active is True


def test_the_demo_catalog_loads_once_and_keeps_edits(system_ctx: Context) -> None:
    assert cat.load_demo_lab_tests(system_ctx) == len(DEMO_LAB_TESTS) == 25
    tests = cat.list_lab_tests(system_ctx)
    assert len(tests) == 25
    assert all(t.sac_code == "999316" and t.gst_rate_basis_points == 0 for t in tests)
    assert all(t.price_paise > 0 and t.tat_hours for t in tests)
    codes = {t.code for t in tests}
    assert {"CBC", "FBS", "PPBS", "HBA1C", "LIPID", "LFT", "KFT", "CREAT", "UREA", "TSH", "URINE-RE", "WIDAL",
            "NS1", "MP-AG", "CRP", "ESR", "VITD", "B12", "BGRH"} <= codes  # fmt: skip
    cbc_test = next(t for t in tests if t.code == "CBC")
    assert {"Haemoglobin", "Total WBC count", "Platelet count"} <= {p.name for p in cbc_test.parameters}
    cat.update_lab_test(system_ctx, cbc_test.id, cbc(code="CBC", price_rupees="275"))
    assert cat.load_demo_lab_tests(system_ctx) == 0
    assert stored_tests(system_ctx) == 25
    assert cat.get_lab_test(system_ctx, cbc_test.id).price_paise == 27500


def test_search_as_you_type(system_ctx: Context) -> None:
    cat.load_demo_lab_tests(system_ctx)
    assert {t.code for t in cat.search_lab_tests(system_ctx, "sugar")} == {"FBS", "PPBS", "RBS"}
    assert [t.code for t in cat.search_lab_tests(system_ctx, "tsh")][0] == "TSH"  # the exact code first
    assert [t.code for t in cat.search_lab_tests(system_ctx, "  LIP  ")] == ["LIPID"]
    assert [t.code for t in cat.search_lab_tests(system_ctx, "vitamin b12")] == ["B12"]
    assert cat.search_lab_tests(system_ctx, "100%") == []
    assert cat.search_lab_tests(system_ctx, "_") == []
    assert len(cat.search_lab_tests(system_ctx, "")) == 25


def test_who_may_edit_and_read_the_catalog(system_ctx: Context) -> None:
    tech = replace(system_ctx, actor=actor_with_role("Lab Technician"))
    doctor = replace(system_ctx, actor=actor_with_role("Doctor"))
    with pytest.raises(PermissionDenied):
        cat.add_lab_test(tech, cbc())
    with pytest.raises(PermissionDenied):
        cat.load_demo_lab_tests(doctor)
    with system_ctx.transaction(readonly=True) as tx:
        denied = tx.session.scalars(select(AuditLog.entity_id).where(AuditLog.action == "permission_denied")).all()
    assert denied == ["lab.catalog", "lab.catalog"]
    assert stored_tests(system_ctx) == 0
    cat.load_demo_lab_tests(system_ctx)
    assert len(cat.search_lab_tests(doctor, "cbc")) == 1
    assert len(cat.search_lab_tests(tech, "cbc")) == 1


def test_ranges_by_sex_and_age() -> None:
    (hb,) = parse_parameters([HB])
    assert range_for(hb, "female", 40).low == "12"  # type: ignore[union-attr]
    assert range_for(hb, "male", 40).low == "13"  # type: ignore[union-attr]
    assert range_for(hb, "male", 17).low == "11.5"  # type: ignore[union-attr]  # a child's range
    assert range_for(hb, None, 40) is None  # sex not recorded: no sex-specific range applies
    assert range_for(hb, "male", None) is None  # age unknown: no age-bound range applies
    assert range_for(hb, "female", 3) is None
    at = {v: assess_number(hb, Decimal(v), v, "female", 40) for v in ("12", "15", "11.9", "15.1", "6.9", "20.5")}
    assert [(a.flag, a.direction) for a in at.values()] == [
        ("normal", None), ("normal", None), ("abnormal", "low"), ("abnormal", "high"), ("critical", "low"),
        ("critical", "high"),
    ]  # fmt: skip
    assert at["12"].ref_text == "12 - 15"
    assert assess_number(hb, Decimal("6"), "6", None, None).flag == "critical"  # critical limits hold for all
    assert assess_number(hb, Decimal("12"), "12", None, None).flag is None  # nothing to compare with
    (ns1,) = parse_parameters([{"name": "NS1", "kind": "text", "choices": ["Positive", "Negative"],
                                "normal_values": ["Negative"]}])  # fmt: skip
    assert (assess_text(ns1, "Positive").flag, assess_text(ns1, "Negative").flag) == ("abnormal", "normal")
    (flat,) = parse_parameters([{"name": "Hb", "unit": "g/dL", "ref_low": "13", "ref_high": "17"}])  # the model's form
    assert [(r.sex, r.age_min, r.low, r.high) for r in flat.ranges] == [("any", 0, "13", "17")]
    (one_sided,) = parse_parameters([{"name": "HbA1c", "unit": "%", "ranges": [{"high": "5.6"}]}])
    assert assess_number(one_sided, Decimal("5.7"), "5.7", "male", 50).ref_text == "\u2264 5.6"
