"""Suppliers: a new one with its code and the state taken from its GSTIN, a double-clicked Save, GSTIN checks and
the one-GSTIN-once rule, phone, email and payment terms, changes, deactivation (no new orders or receipts),
deletion only while nothing names it, the search, and who may do what."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.inventory.goods_receipts import GrnInput, receive_goods
from hms_desktop.services.inventory.purchase_orders import POLine, PurchaseOrderInput, create_purchase_order
from hms_desktop.services.inventory.suppliers import (
    SupplierInput,
    create_supplier,
    delete_supplier,
    set_supplier_active,
    supplier,
    suppliers,
    update_supplier,
)
from tests.clinical_fixtures import MONDAY
from tests.purchase_fixtures import MEDPLUS_GSTIN, PurchaseDay, grn_line, gstin, order, purchase_day, written

APEX = SupplierInput("Apex Medicals", gstin=gstin("29", "AAECA4321L"), phone="98450 12345", payment_terms_days=45)


@pytest.fixture
def day(system_ctx: Context, make_user) -> PurchaseDay:  # type: ignore[no-untyped-def]
    return purchase_day(system_ctx, make_user)


def new(day: PurchaseDay, data: SupplierInput = APEX, request_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    return create_supplier(day.manager, data, request_id=request_id or uuid.uuid4())


def test_a_new_supplier_has_a_code_and_the_state_of_its_gstin(day: PurchaseDay) -> None:
    m = day.medplus
    assert (m.code, m.name, m.gstin, m.state_code, m.state_name) == (
        "SUP-00001", "MedPlus Distributors", MEDPLUS_GSTIN, "29", "Karnataka")  # fmt: skip
    assert (m.contact_name, m.phone, m.email, m.payment_terms_days) == (
        "Ravi Kumar", "080 4123 4567", "orders@medplus.example.in", 30)  # fmt: skip
    assert (m.drug_licence_number, m.is_active) == ("KA-BNG-20B-12345", True)
    assert (day.zenith.code, day.zenith.state_code, day.zenith.state_name) == ("SUP-00002", "27", "Maharashtra")
    typed = new(day, replace(APEX, gstin=" " + APEX.gstin.lower() + " ", email=" Sales@Apex.Example.IN "))  # type: ignore[union-attr]
    assert (typed.gstin, typed.email, typed.code) == (APEX.gstin, "sales@apex.example.in", "SUP-00003")


def test_a_double_clicked_save_makes_one_supplier(day: PurchaseDay) -> None:
    key = uuid.uuid4()
    first = new(day, request_id=key)
    before = written(day.system)
    assert new(day, request_id=key) == first
    assert first.id == key and written(day.system) == before


def test_an_unregistered_supplier_may_give_its_state(day: PurchaseDay) -> None:
    local = new(day, SupplierInput("Corner Chemist", state_code="29"))
    assert (local.gstin, local.state_code, local.state_name) == (None, "29", "Karnataka")
    unknown = new(day, SupplierInput("Walk-in Wholesaler"))
    assert (unknown.gstin, unknown.state_code, unknown.state_name) == (None, None, "")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (replace(APEX, name="  "), "name", "The supplier's name is required."),
        (replace(APEX, gstin="29AAECA4321L1Z"), "gstin", "A GSTIN has 15 characters"),
        (replace(APEX, gstin=APEX.gstin[:14] + ("A" if APEX.gstin[14] != "A" else "B")), "gstin", "check digit"),  # type: ignore[index]
        (replace(APEX, state_code="27"), "state_code", "registered in Karnataka (state code 29), not state code 27"),
        (replace(APEX, gstin=None, state_code="99"), "state_code", "not a GST state code"),
        (replace(APEX, phone="12345"), "phone", "10 to 12 digits"),
        (replace(APEX, email="sales@"), "email", "not a valid email address"),
        (replace(APEX, payment_terms_days=-1), "payment_terms_days", "between 0 and 365"),
        (replace(APEX, payment_terms_days=366), "payment_terms_days", "between 0 and 365"),
        (replace(APEX, payment_terms_days="30"), "payment_terms_days", "whole number"),  # type: ignore[arg-type]
        (replace(APEX, drug_licence_number="X" * 65), "drug_licence_number", "at most 64 characters"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(day: PurchaseDay, data: SupplierInput, field: str,
                                                        words: str) -> None:  # fmt: skip
    before = written(day.system)
    with pytest.raises(ValidationError) as err:
        new(day, data)
    assert err.value.field == field and words in err.value.message
    assert written(day.system) == before


def test_payment_terms_of_a_year_are_fine(day: PurchaseDay) -> None:
    assert new(day, replace(APEX, payment_terms_days=365)).payment_terms_days == 365


def test_a_gstin_is_entered_once(day: PurchaseDay) -> None:
    before = written(day.system)
    with pytest.raises(Conflict, match=r"already MedPlus Distributors's \(SUP-00001\)"):
        new(day, SupplierInput("MedPlus (duplicate)", gstin=MEDPLUS_GSTIN.lower()))
    assert written(day.system) == before
    set_supplier_active(day.manager, day.medplus.id, False)
    with pytest.raises(Conflict, match=r"\(SUP-00001, inactive\)"):
        new(day, SupplierInput("MedPlus again", gstin=MEDPLUS_GSTIN))


def test_changing_a_supplier(day: PurchaseDay) -> None:
    changed = update_supplier(day.manager, day.medplus.id, replace(
        APEX, name="MedPlus Distributors Pvt Ltd", gstin=MEDPLUS_GSTIN, payment_terms_days=60))  # fmt: skip
    assert (changed.code, changed.name, changed.payment_terms_days, changed.phone) == (
        "SUP-00001", "MedPlus Distributors Pvt Ltd", 60, "98450 12345")  # fmt: skip
    assert supplier(day.pharmacist, day.medplus.id) == changed
    with pytest.raises(Conflict, match="already MedPlus Distributors Pvt Ltd's"):
        update_supplier(day.manager, day.zenith.id, SupplierInput("Zenith", gstin=MEDPLUS_GSTIN))
    with pytest.raises(NotFound):
        update_supplier(day.manager, uuid.uuid4(), APEX)


def test_an_inactive_supplier_takes_no_new_order_or_receipt(day: PurchaseDay) -> None:
    off = set_supplier_active(day.manager, day.zenith.id, False)
    assert off.is_active is False
    assert [s.name for s in suppliers(day.manager, include_inactive=False)] == ["MedPlus Distributors"]
    assert [s.name for s in suppliers(day.manager)] == ["MedPlus Distributors", "Zenith Pharma Agencies"]
    before = written(day.system)
    with pytest.raises(ValidationError, match=r"Zenith Pharma Agencies \(SUP-00002\) is inactive; the clinic does not "
                                              "order from them"):  # fmt: skip
        create_purchase_order(day.manager, PurchaseOrderInput(day.zenith.id, (POLine(day.med("Dolo 650"), 5, 2500),)),
                              request_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(ValidationError, match="does not receive goods from them"):
        receive_goods(day.pharmacist, GrnInput(day.zenith.id, "Z-1", MONDAY, (grn_line(day.med("Dolo 650")),)),
                      request_id=uuid.uuid4())  # fmt: skip
    assert written(day.system) == before
    assert set_supplier_active(day.manager, day.zenith.id, True).is_active is True


def test_a_supplier_is_deleted_only_while_nothing_names_it(day: PurchaseDay) -> None:
    apex = new(day)
    delete_supplier(day.manager, apex.id)
    assert apex.id not in {s.id for s in suppliers(day.manager)}
    with pytest.raises(NotFound):
        supplier(day.manager, apex.id)
    order(day, ("Dolo 650", 10, 2500), send=False)
    with pytest.raises(Conflict, match=r"MedPlus Distributors \(SUP-00001\) has purchase orders on record, so it "
                                       "cannot be deleted; deactivate it."):  # fmt: skip
        delete_supplier(day.manager, day.medplus.id)
    assert supplier(day.manager, day.medplus.id).is_active


def test_searching_suppliers(day: PurchaseDay) -> None:
    assert [s.name for s in suppliers(day.pharmacist, "medp")] == ["MedPlus Distributors"]
    assert [s.name for s in suppliers(day.pharmacist, "27aafc")] == ["Zenith Pharma Agencies"]
    assert [s.name for s in suppliers(day.pharmacist, "SUP-00002")] == ["Zenith Pharma Agencies"]
    assert [s.name for s in suppliers(day.pharmacist, "ravi")] == ["MedPlus Distributors"]
    assert suppliers(day.pharmacist, "nobody") == []


def test_who_may_do_what(day: PurchaseDay) -> None:
    before = written(day.system)
    with pytest.raises(PermissionDenied):
        create_supplier(day.pharmacist, APEX, request_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        set_supplier_active(day.pharmacist, day.medplus.id, False)
    desk = day.pd.rx.day.receptionist_ctx
    with pytest.raises(PermissionDenied):
        suppliers(desk)
    with pytest.raises(PermissionDenied):
        create_supplier(desk, APEX, request_id=uuid.uuid4())
    assert written(day.system) == before
    assert len(suppliers(day.pharmacist)) == 2  # a pharmacist sees them (inventory.view)
