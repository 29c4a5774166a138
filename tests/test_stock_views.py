"""Stock on the shelf: opening stock at go-live (a batch and its ledger movement; the refusals), batches in FEFO
order with their expiry on the clinic's today, finding a medicine with its stock (name, code, barcode), the stock
of every medicine, the demo's stock, and who may see and enter it."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.inventory import StockMovement, Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.clinical_demo import DEMO_MEDICINES
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.pharmacy.catalog import MedicineInput, create_medicine, set_medicine_active, update_medicine
from hms_desktop.services.pharmacy.catalog_rules import gs1_check_digit
from hms_desktop.services.pharmacy.demo_stock import load_demo_stock, month_end
from hms_desktop.services.pharmacy.opening_stock import OpeningStockInput, opening_stock
from hms_desktop.services.pharmacy.stock_views import batches_of, find_medicines, stock_summary
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, stocked

TODAY = date(2026, 11, 30)  # the fixture clock's Monday, in Bengaluru


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def entry(pd: PharmacyDay, brand: str = "Dolo 650", **kw: object) -> OpeningStockInput:
    values: dict[str, object] = {"medicine_id": pd.medicines[brand], "batch_number": "DL2611", "units": 150,
                                 "expiry_date": date(2027, 6, 30), "mrp_paise": 3360, "cost_price_paise": 2350,
                                 "location": "Rack 2"}  # fmt: skip
    values.update(kw)
    return OpeningStockInput(**values)  # type: ignore[arg-type]


def written(ctx: Context) -> tuple[int, int, int]:
    """(batches, stock movements, audit rows)."""
    with ctx.transaction(readonly=True) as tx:
        return tuple(  # type: ignore[return-value]
            int(tx.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (MedicineBatch, StockMovement, AuditLog)
        )


# --- opening stock --------------------------------------------------------------------------------------------


def test_opening_stock_is_a_batch_and_its_ledger_movement(pd: PharmacyDay) -> None:
    rid = uuid7()
    batch = opening_stock(pd.pharmacist, entry(pd), request_id=rid)
    assert (batch.id, batch.medicine_id, batch.batch_number, batch.expiry_date) == (
        rid, pd.medicines["Dolo 650"], "DL2611", date(2027, 6, 30))  # fmt: skip
    assert (batch.on_hand, batch.mrp_paise, batch.cost_price_paise, batch.location, batch.supplier_name) == (
        150, 3360, 2350, "Rack 2", "")  # fmt: skip
    assert not batch.expired and batch.days_to_expiry == (date(2027, 6, 30) - TODAY).days
    assert on_hand(pd.system, rid) == 150
    with pd.system.transaction(readonly=True) as tx:
        move = tx.session.scalars(select(StockMovement).where(StockMovement.batch_id == rid)).one()
        assert (move.movement_type, move.quantity_delta, move.reference_type, move.reference_id) == (
            "opening", 150, "medicine_batches", rid)  # fmt: skip
        assert move.created_by_id == pd.pharmacist.actor.user_id and move.note == "Opening stock"
        row = tx.session.get(MedicineBatch, rid)
        assert row is not None and row.sale_price_paise == 3360 and row.supplier_id is None
    before = written(pd.system)
    assert opening_stock(pd.pharmacist, entry(pd, units=5), request_id=rid) == batch  # a double-click
    assert written(pd.system) == before
    # a batch expiring today is still sold today
    today = opening_stock(pd.manager, entry(pd, batch_number="DL-LAST", expiry_date=TODAY), request_id=uuid7())
    assert not today.expired and today.days_to_expiry == 0


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"units": 0}, "units", "above 0"),
        ({"units": -10}, "units", "above 0"),
        ({"units": 1.5}, "units", "whole number"),
        ({"batch_number": "  "}, "batch_number", "batch number is required"),
        ({"expiry_date": date(2026, 11, 29)}, "expiry_date", "expired on 29 Nov 2026"),
        ({"expiry_date": "2027-06"}, "expiry_date", "expiry date"),
        ({"mrp_paise": 0, "cost_price_paise": 0}, "mrp_paise", "MRP printed"),
        ({"mrp_paise": 2000}, "mrp_paise", "MRP is below its cost"),
        ({"cost_price_paise": -1}, "cost_price_paise", "Rs 0"),
    ],
)
def test_bad_opening_stock_is_refused_and_writes_nothing(pd: PharmacyDay, change: dict[str, object], field: str,
                                                         words: str) -> None:  # fmt: skip
    before = written(pd.system)
    with pytest.raises(ValidationError) as err:
        opening_stock(pd.pharmacist, entry(pd, **change), request_id=uuid7())
    assert err.value.field == field and words in err.value.message, err.value.message
    assert written(pd.system) == before


def test_a_batch_number_the_medicine_has_is_never_added_to(pd: PharmacyDay) -> None:
    opening_stock(pd.pharmacist, entry(pd), request_id=uuid7())
    before = written(pd.system)
    for number, expiry in (("DL2611", date(2027, 6, 30)), ("dl2611", date(2028, 1, 31))):
        with pytest.raises(Conflict) as err:
            opening_stock(pd.pharmacist, entry(pd, batch_number=number, expiry_date=expiry), request_id=uuid7())
        assert str(err.value) == ("Dolo 650 is already in stock as batch DL2611, expiring 30 Jun 2027 (150 tablets "
                                  "on hand); opening stock never adds to a batch.")  # fmt: skip
    with pytest.raises(NotFound):
        opening_stock(pd.pharmacist, entry(pd, medicine_id=uuid.uuid4()), request_id=uuid7())
    set_medicine_active(pd.system, pd.medicines["Pan 40"], False)
    with pytest.raises(Conflict, match="Pan 40 .* is inactive"):
        opening_stock(pd.pharmacist, entry(pd, "Pan 40"), request_id=uuid7())
    assert written(pd.system)[:2] == before[:2]
    # another medicine may use the same batch number
    other = opening_stock(pd.pharmacist, entry(pd, "Crocin Advance"), request_id=uuid7())
    assert other.batch_number == "DL2611"


# --- batches, FEFO ---------------------------------------------------------------------------------------------


def test_batches_in_fefo_order_with_expiry_on_the_clinics_today(pd: PharmacyDay) -> None:
    dolo = pd.medicines["Dolo 650"]
    with pd.system.transaction() as tx:
        supplier = Supplier(code="SUP-00001", name="Karnataka Pharma Distributors")
        tx.session.add(supplier)
        tx.commit()
    late = stocked(pd.system, dolo, "B-LATE", date(2028, 3, 31), 45)
    b2 = stocked(pd.system, dolo, "B2", date(2027, 2, 28), 30)
    b1 = stocked(pd.system, dolo, "B1", date(2027, 2, 28), 15)
    old = stocked(pd.system, dolo, "OLD", date(2026, 11, 29), 20)
    empty = stocked(pd.system, dolo, "EMPTY", date(2026, 12, 31), 0)
    with pd.system.transaction() as tx:
        row = tx.session.get(MedicineBatch, late)
        assert row is not None
        row.supplier_id, row.location = supplier.id, "Cold shelf"
        tx.commit()
    shown = batches_of(pd.pharmacist, dolo)
    assert [b.id for b in shown] == [old, b1, b2, late]
    assert [(b.batch_number, b.on_hand, b.expired, b.days_to_expiry) for b in shown] == [
        ("OLD", 20, True, -1), ("B1", 15, False, 90), ("B2", 30, False, 90), ("B-LATE", 45, False, 487)]  # fmt: skip
    assert (shown[-1].supplier_name, shown[-1].location) == ("Karnataka Pharma Distributors", "Cold shelf")
    assert [b.id for b in batches_of(pd.pharmacist, dolo, include_empty=True)] == [old, empty, b1, b2, late]
    assert batches_of(pd.pharmacist, pd.medicines["Pan 40"]) == []
    with pytest.raises(NotFound):
        batches_of(pd.pharmacist, uuid.uuid4())


# --- finding a medicine with its stock -------------------------------------------------------------------------


def test_find_by_name_code_or_barcode_with_the_stock(pd: PharmacyDay) -> None:
    dolo = pd.medicines["Dolo 650"]
    stocked(pd.system, dolo, "A", date(2027, 1, 31), 30)
    stocked(pd.system, dolo, "B", TODAY, 15)  # expires today: still on hand
    stocked(pd.system, dolo, "OLD", date(2026, 10, 31), 45)  # expired
    with pd.system.transaction() as tx:
        row = tx.session.get(Medicine, dolo)
        assert row is not None
        row.reorder_level = 50
        tx.commit()
    hit = find_medicines(pd.pharmacist, "dolo")[0]
    assert (hit.id, hit.code, hit.name, hit.generic_name, hit.strength, hit.unit, hit.pack_size) == (
        dolo, "MED-00001", "Dolo 650", "Paracetamol", "650 mg", "tablet", 15)  # fmt: skip
    assert (hit.on_hand, hit.expired, hit.reorder_level, hit.below_reorder) == (45, 45, 50, True)
    para = find_medicines(pd.pharmacist, "paracetamol")
    assert para[0].name in ("Dolo 650", "Crocin Advance", "Calpol 250 Suspension") and len(para) >= 4
    assert next(h for h in para if h.name == "Crocin Advance").on_hand == 0
    assert [h.name for h in find_medicines(pd.pharmacist, "med-00001")] == ["Dolo 650"]
    pan = next(line for line in stock_summary(pd.pharmacist) if line.name == "Pan 40")
    assert [h.name for h in find_medicines(pd.pharmacist, f" {pan.code} ")] == ["Pan 40"]
    assert len(find_medicines(pd.pharmacist, "paracetamol", limit=2)) == 2
    code = "890123450002" + gs1_check_digit("890123450002")
    made = create_medicine(pd.pharmacist, MedicineInput("Sinarest", "Paracetamol + Phenylephrine", "500 mg",
                                                        pack_size=10, hsn_code="3004", gst_rate_percent="5",
                                                        barcode=code), request_id=uuid7())  # fmt: skip
    assert [h.id for h in find_medicines(pd.pharmacist, code)] == [made.id]  # found at once, by its barcode
    assert [h.id for h in find_medicines(pd.pharmacist, "sinar")] == [made.id]
    assert find_medicines(pd.pharmacist, "zzzz") == [] and find_medicines(pd.pharmacist, "MED-99999") == []
    for query in ("", "   "):
        with pytest.raises(ValidationError) as err:
            find_medicines(pd.pharmacist, query)
        assert err.value.field == "query"
    with pytest.raises(ValidationError) as err:
        find_medicines(pd.pharmacist, "dolo", limit=0)
    assert err.value.field == "limit"


def test_a_renamed_medicine_is_found_by_its_new_name(pd: PharmacyDay) -> None:
    assert [h.name for h in find_medicines(pd.pharmacist, "okacet")] == ["Okacet"]
    okacet = pd.medicines["Okacet"]
    update_medicine(pd.pharmacist, okacet, MedicineInput("Alerid", "Cetirizine", "10 mg", pack_size=10,
                                                         hsn_code="3004", gst_rate_percent="5"))  # fmt: skip
    assert find_medicines(pd.pharmacist, "okacet") == []
    assert [h.id for h in find_medicines(pd.pharmacist, "alerid")] == [okacet]


# --- stock of every medicine -----------------------------------------------------------------------------------


def test_the_stock_of_every_active_medicine(pd: PharmacyDay) -> None:
    dolo, pan = pd.medicines["Dolo 650"], pd.medicines["Pan 40"]
    stocked(pd.system, dolo, "A", date(2027, 1, 31), 30)
    stocked(pd.system, dolo, "OLD", date(2026, 10, 31), 45)
    stocked(pd.system, pan, "P1", date(2027, 5, 31), 100)
    with pd.system.transaction() as tx:
        for mid, level in ((dolo, 10), (pan, 150)):
            row = tx.session.get(Medicine, mid)
            assert row is not None
            row.reorder_level = level
        tx.commit()
    set_medicine_active(pd.system, pd.medicines["Okacet"], False)
    lines = {line.name: line for line in stock_summary(pd.pharmacist)}
    assert len(lines) == len(DEMO_MEDICINES) - 1 and "Okacet" not in lines
    d, p, c = lines["Dolo 650"], lines["Pan 40"], lines["Crocin Advance"]
    assert (d.on_hand, d.expired, d.reorder_level, d.below_reorder, d.code) == (30, 45, 10, False, "MED-00001")
    assert (p.on_hand, p.expired, p.reorder_level, p.below_reorder) == (100, 0, 150, True)
    assert (c.on_hand, c.expired, c.below_reorder) == (0, 0, False)  # a reorder level of 0 never flags
    names = [line.name for line in stock_summary(pd.pharmacist)]
    assert names == sorted(names)


# --- the demo's stock ------------------------------------------------------------------------------------------


def test_the_demo_stock_has_a_near_and_a_later_batch_of_each_medicine_once(pd: PharmacyDay) -> None:
    added = load_demo_stock(pd.manager)
    assert added == 2 * len(DEMO_MEDICINES)
    before = written(pd.system)
    assert load_demo_stock(pd.manager) == 0 and written(pd.system) == before
    near, later = month_end(TODAY, 2), month_end(TODAY, 14)
    assert (near, later) == (date(2027, 1, 31), date(2028, 1, 31))
    for i, demo in enumerate(DEMO_MEDICINES, start=1):
        shown = batches_of(pd.pharmacist, pd.medicines[demo.name])
        assert [(b.batch_number, b.expiry_date) for b in shown] == [(f"D{i:02d}A", near), (f"D{i:02d}B", later)]
        pack = next(h for h in find_medicines(pd.pharmacist, demo.name) if h.name == demo.name).pack_size
        assert all(b.on_hand % pack == 0 and 1 <= b.on_hand // pack <= 8 for b in shown)
        assert {(b.mrp_paise, b.cost_price_paise) for b in shown} == {(demo.mrp_paise, demo.mrp_paise * 70 // 100)}
        assert all(on_hand(pd.system, b.id) == b.on_hand for b in shown)
    assert all(line.on_hand > 0 for line in stock_summary(pd.pharmacist))
    assert month_end(date(2026, 12, 15), 2) == date(2027, 2, 28) and month_end(date(2027, 11, 1), 14) == date(
        2029, 1, 31
    )


# --- who may see and enter stock -------------------------------------------------------------------------------


def test_who_may_see_and_enter_stock(pd: PharmacyDay) -> None:
    desk, doctor = pd.rx.day.receptionist_ctx, pd.rx.day.doctor_ctx
    dolo = pd.medicines["Dolo 650"]
    before = written(pd.system)[:2]
    for ctx in (desk, doctor):
        with pytest.raises(PermissionDenied):
            opening_stock(ctx, entry(pd), request_id=uuid7())
        with pytest.raises(PermissionDenied):
            load_demo_stock(ctx)
    with pytest.raises(PermissionDenied):
        find_medicines(desk, "dolo")
    with pytest.raises(PermissionDenied):
        batches_of(desk, dolo)
    with pytest.raises(PermissionDenied):
        stock_summary(desk)
    assert written(pd.system)[:2] == before
    opening_stock(pd.pharmacist, entry(pd), request_id=uuid7())  # the Pharmacist holds inventory.receive
    assert [b.on_hand for b in batches_of(pd.manager, dolo)] == [150]  # the Inventory Manager sees stock
