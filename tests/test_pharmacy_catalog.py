"""The medicine catalogue: adding a medicine (codes, field rules, barcodes with their check digit, duplicates named),
a double-clicked Save, editing (unit and pack size fixed once batches exist), retiring, look-ups, permissions."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.pharmacy import Medicine
from hms_desktop.clinical_demo import DEMO_MEDICINES
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.pharmacy.catalog import (
    MedicineInput,
    create_medicine,
    get_medicine,
    medicine_by_barcode,
    set_medicine_active,
    update_medicine,
)
from hms_desktop.services.pharmacy.catalog_rules import clean_barcode, gs1_check_digit, percent_text
from hms_desktop.services.pharmacy.stock_views import find_medicines
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day, stocked

NEXT_CODE = f"MED-{len(DEMO_MEDICINES) + 1:05d}"


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def ean(body: str) -> str:
    return body + gs1_check_digit(body)


def cefix(**kw: object) -> MedicineInput:
    values: dict[str, object] = {
        "name": "Zifi 200", "generic_name": "Cefixime", "strength": "200 mg", "form": "Tablet", "unit": "tablet",
        "pack_size": 10, "manufacturer": "Alkem", "hsn_code": "3004", "gst_rate_percent": "12", "schedule": "h1",
        "reorder_level": 40, "barcode": ean("890123450001"), "category": "Antibiotic", "mrp_paise": 11_950,
    }  # fmt: skip
    values.update(kw)
    return MedicineInput(**values)  # type: ignore[arg-type]


def counts(ctx: Context) -> tuple[int, int, int]:
    """(medicines, audit rows about medicines, numbers taken from code series)."""
    with ctx.transaction(readonly=True) as tx:
        meds = tx.session.scalar(select(func.count()).select_from(Medicine))
        audits = tx.session.scalar(select(func.count()).where(AuditLog.entity_type == "medicines"))
        numbers = tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0)))
        return int(meds or 0), int(audits or 0), int(numbers or 0)


def refused(ctx: Context, data: MedicineInput, error: type[Exception] = ValidationError) -> Exception:
    before = counts(ctx)
    with pytest.raises(error) as caught:
        create_medicine(ctx, data, request_id=uuid7())
    assert counts(ctx) == before
    return caught.value


def test_a_new_medicine_gets_the_next_code_and_every_field(pd: PharmacyDay) -> None:
    rid = uuid7()
    made = create_medicine(pd.pharmacist, cefix(), request_id=rid)
    assert (made.id, made.code, made.name, made.generic_name, made.strength) == (
        rid, NEXT_CODE, "Zifi 200", "Cefixime", "200 mg")  # fmt: skip
    assert (made.form, made.unit, made.pack_size, made.manufacturer, made.category) == (
        "tablet", "tablet", 10, "Alkem", "Antibiotic")  # fmt: skip
    assert (made.hsn_code, made.gst_rate_percent, made.gst_rate_basis_points) == ("3004", "12", 1200)
    assert (made.schedule, made.is_schedule_h, made.reorder_level, made.mrp_paise) == ("H1", True, 40, 11_950)
    assert made.barcode == "8901234500019" and made.is_active
    assert get_medicine(pd.pharmacist, rid) == made
    with pd.system.transaction(readonly=True) as tx:
        row = tx.session.get(Medicine, rid)
        assert row is not None and row.is_schedule_h and row.schedule == "H1"
        audit = tx.session.scalars(select(AuditLog).where(AuditLog.entity_id == str(rid))).one()
        assert audit.action == "create" and audit.user_id == pd.pharmacist.actor.user_id
    otc = create_medicine(pd.manager, cefix(name="Vicks Action 500", schedule="", barcode=None, gst_rate_percent="5",
                                            hsn_code="3004.90"), request_id=uuid7())  # fmt: skip
    assert (otc.schedule, otc.is_schedule_h, otc.barcode, otc.hsn_code, otc.gst_rate_percent) == (
        "none", False, None, "300490", "5")  # fmt: skip


def test_a_double_clicked_save_adds_one_medicine(pd: PharmacyDay) -> None:
    rid = uuid7()
    first = create_medicine(pd.pharmacist, cefix(), request_id=rid)
    before = counts(pd.system)
    again = create_medicine(pd.pharmacist, cefix(name="Something else"), request_id=rid)
    assert again == first and counts(pd.system) == before
    with pytest.raises(ValidationError) as err:
        create_medicine(pd.pharmacist, cefix(), request_id="not-a-uuid")  # type: ignore[arg-type]
    assert err.value.field == "request_id"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "   "}, "name", "brand name is required"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"form": "lozenge"}, "form", "choose one of: tablet, capsule"),
        ({"unit": ""}, "unit", "selling unit"),
        ({"pack_size": 0}, "pack_size", "1 to 10,000"),
        ({"pack_size": 10_001}, "pack_size", "1 to 10,000"),
        ({"pack_size": "ten"}, "pack_size", "whole number"),
        ({"hsn_code": ""}, "hsn_code", "HSN code is required"),
        ({"hsn_code": "30049"}, "hsn_code", "4, 6 or 8 digits"),
        ({"gst_rate_percent": ""}, "gst_rate_percent", "GST rate is required"),
        ({"gst_rate_percent": "five"}, "gst_rate_percent", "not a rate"),
        ({"gst_rate_percent": "101"}, "gst_rate_percent", "0 to 100"),
        ({"gst_rate_percent": "5.125"}, "gst_rate_percent", "at most 2 decimals"),
        ({"schedule": "OTC"}, "schedule", "choose none, H, H1 or X"),
        ({"reorder_level": -1}, "reorder_level", "from 0 to"),
        ({"barcode": "12345"}, "barcode", "8, 12 or 13 digits"),
        ({"barcode": "8901234500012"}, "barcode", "wrong check digit: it should end in 9, not 2"),
        ({"mrp_paise": -5}, "mrp_paise", "Rs 0"),
        ({"mrp_paise": 99.5}, "mrp_paise", "whole number"),
    ],
)
def test_bad_fields_are_refused_with_a_sentence(pd: PharmacyDay, change: dict[str, object], field: str,
                                                words: str) -> None:  # fmt: skip
    err = refused(pd.pharmacist, cefix(**change))
    assert isinstance(err, ValidationError) and err.field == field
    assert words.lower() in err.message.lower(), err.message


def test_abbreviated_forms_and_schedules_read_as_their_names(pd: PharmacyDay) -> None:
    made = create_medicine(pd.pharmacist, cefix(form="TAB", unit="Tabs.", schedule="Schedule H", pack_size="15"),
                           request_id=uuid7())  # fmt: skip
    assert (made.form, made.unit, made.schedule, made.pack_size) == ("tablet", "tablet", "H", 15)
    assert percent_text(250) == "2.5" and percent_text(1234) == "12.34" and percent_text(0) == "0"


def test_the_same_medicine_twice_is_a_conflict_naming_its_code(pd: PharmacyDay) -> None:
    err = refused(pd.pharmacist, cefix(name="dolo  650", strength="650 MG", barcode=None), Conflict)
    assert str(err) == "Dolo 650 650 mg tablet is already in the catalogue as MED-00001."
    # another form of the same brand and strength is another medicine
    syrup = create_medicine(pd.pharmacist, cefix(name="Dolo 650", strength="650 mg", form="syrup", unit="bottle",
                                                 pack_size=1, barcode=None), request_id=uuid7())  # fmt: skip
    assert syrup.code == NEXT_CODE
    set_medicine_active(pd.pharmacist, syrup.id, False)
    err = refused(pd.pharmacist, cefix(name="DOLO 650", strength="650 mg", form="syrup", unit="bottle", barcode=None),
                  Conflict)  # fmt: skip
    assert "as MED-" in str(err) and "inactive: make it active again instead" in str(err)


def test_a_barcode_belongs_to_one_medicine(pd: PharmacyDay) -> None:
    upc = ean("03600029145")  # a 12-digit UPC-A
    first = create_medicine(pd.pharmacist, cefix(barcode=upc), request_id=uuid7())
    err = refused(pd.pharmacist, cefix(name="Cefix 200", barcode=upc), Conflict)
    assert str(err) == (f"The barcode {upc} is already on Zifi 200 200 mg tablet ({first.code}); "
                        "a pack barcode belongs to one medicine.")  # fmt: skip
    err = refused(pd.pharmacist, cefix(name="Cefix 200", barcode="0" + upc), Conflict)  # the same code as EAN-13
    assert first.code in str(err)
    assert medicine_by_barcode(pd.pharmacist, upc) == first
    assert medicine_by_barcode(pd.pharmacist, "0" + upc) == first
    assert medicine_by_barcode(pd.pharmacist, upc[:-1] + str((int(upc[-1]) + 1) % 10)) is None  # bad check digit
    assert medicine_by_barcode(pd.pharmacist, "not a code") is None and medicine_by_barcode(pd.pharmacist, "") is None


def test_editing_keeps_the_code_and_the_rules(pd: PharmacyDay) -> None:
    made = create_medicine(pd.pharmacist, cefix(), request_id=uuid7())
    changed = update_medicine(pd.pharmacist, made.id, cefix(reorder_level=100, gst_rate_percent="5", schedule="H1",
                                                            manufacturer="Alkem Laboratories"))  # fmt: skip
    assert changed.code == made.code and (changed.reorder_level, changed.gst_rate_basis_points) == (100, 500)
    assert changed.manufacturer == "Alkem Laboratories"
    assert update_medicine(pd.pharmacist, made.id, cefix(reorder_level=100, gst_rate_percent="5",
                                                         manufacturer="Alkem Laboratories")) == changed  # fmt: skip
    before = counts(pd.system)
    with pytest.raises(Conflict, match="already in the catalogue as MED-00001"):
        update_medicine(pd.pharmacist, made.id, cefix(name="Dolo 650", strength="650 mg"))
    with pytest.raises(ValidationError, match="check digit"):
        update_medicine(pd.pharmacist, made.id, cefix(barcode="8901234500012"))
    with pytest.raises(NotFound):
        update_medicine(pd.pharmacist, uuid.uuid4(), cefix())
    # once a batch exists, the unit and the pack size stay
    update_medicine(pd.pharmacist, made.id, cefix(pack_size=6))  # no batch yet: allowed
    stocked(pd.system, made.id, "TX01", pd.rx.day.clock.now().date().replace(year=2028), 60)
    before = counts(pd.system)
    with pytest.raises(Conflict, match="unit and pack size cannot change"):
        update_medicine(pd.pharmacist, made.id, cefix(pack_size=10))
    with pytest.raises(Conflict, match="unit and pack size cannot change"):
        update_medicine(pd.pharmacist, made.id, cefix(pack_size=6, unit="strip"))
    assert counts(pd.system) == before and get_medicine(pd.pharmacist, made.id).pack_size == 6


def test_an_inactive_medicine_leaves_the_search_and_comes_back(pd: PharmacyDay) -> None:
    made = create_medicine(pd.pharmacist, cefix(), request_id=uuid7())
    assert [m.code for m in find_medicines(pd.pharmacist, "zifi")] == [made.code]
    off = set_medicine_active(pd.pharmacist, made.id, False)
    assert not off.is_active and find_medicines(pd.pharmacist, "zifi") == []
    assert find_medicines(pd.pharmacist, made.code) == []
    before = counts(pd.system)
    assert set_medicine_active(pd.pharmacist, made.id, False) == off and counts(pd.system) == before  # no write
    assert set_medicine_active(pd.pharmacist, made.id, True).is_active
    assert made.code in [m.code for m in find_medicines(pd.pharmacist, "cefixime")]
    with pytest.raises(ValidationError):
        set_medicine_active(pd.pharmacist, made.id, "no")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        get_medicine(pd.pharmacist, uuid.uuid4())


def test_who_may_change_and_read_the_catalogue(pd: PharmacyDay) -> None:
    desk, doctor = pd.rx.day.receptionist_ctx, pd.rx.day.doctor_ctx
    dolo = pd.medicines["Dolo 650"]
    before = counts(pd.system)
    for ctx in (desk, doctor):
        with pytest.raises(PermissionDenied):
            create_medicine(ctx, cefix(), request_id=uuid7())
        with pytest.raises(PermissionDenied):
            update_medicine(ctx, dolo, cefix())
        with pytest.raises(PermissionDenied):
            set_medicine_active(ctx, dolo, False)
    with pytest.raises(PermissionDenied):
        get_medicine(desk, dolo)
    with pytest.raises(PermissionDenied):
        medicine_by_barcode(desk, ean("890123450001"))
    assert counts(pd.system)[0] == before[0]
    assert get_medicine(pd.pharmacist, dolo).name == "Dolo 650"  # pharmacy.view
    assert create_medicine(pd.manager, cefix(), request_id=uuid7()).code == NEXT_CODE  # Inventory Manager


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=7, max_size=12).filter(lambda b: len(b) in (7, 11, 12)),
       wrong=st.integers(min_value=1, max_value=9))  # fmt: skip
def test_any_gs1_code_with_its_check_digit_is_accepted_and_any_other_last_digit_refused(body: str, wrong: int) -> None:
    good = ean(body)
    assert clean_barcode(good) == good and clean_barcode(f" {good[:4]}-{good[4:]} ") == good
    bad = good[:-1] + str((int(good[-1]) + wrong) % 10)
    with pytest.raises(ValidationError, match="wrong check digit"):
        clean_barcode(bad)


def test_the_input_is_a_plain_value(pd: PharmacyDay) -> None:
    data = cefix()
    assert replace(data, name="X").name == "X" and data.name == "Zifi 200"
