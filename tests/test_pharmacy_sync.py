"""Two pharmacy counters offline, through a real sync server over PostgreSQL: each pharmacist dispenses from one
batch through the dispensing service; after syncing both sales are kept (the dispensings, their lines, charges
and movements on both PCs and the server), every copy's cached on-hand is recomputed from the ledger (zero, never
below), the oversell is a shortfall alert on both PCs, the server accepted every change as the pharmacist's own,
and a count on one PC resolves it everywhere. The pharmacist is created, signs in and enters the opening stock
before the PC's first sync: the server judges her role before her stock, so her rows are hers, not refused."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from db.models.clinical import Charge
from db.models.pharmacy import Medicine, PharmacyDispensing
from db.models.sync import SyncConflict
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.inventory.alerts import stock_alerts
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine
from hms_desktop.services.pharmacy.opening_stock import OpeningStockInput, opening_stock
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.test_stock_ledger import balances, failed

PHARMACIST = ("farida@sunrise.example.in", "Marigold-Ledger-2026")
FAR_EXPIRY = date(2099, 12, 31)  # unexpired whatever day the test runs


def _pharmacist(store: Store) -> Context:
    return signed_in_admin(store, email=PHARMACIST[0], password=PHARMACIST[1])


def _medicine(ctx: Context) -> uuid.UUID:
    with ctx.transaction() as tx:
        med = Medicine(code="MED-90001", name="Dolo 650", generic_name="Paracetamol", strength="650 mg",
                       form="tablet", unit="tablet", pack_size=15, hsn_code="3004",
                       gst_rate_basis_points=500)  # fmt: skip
        tx.session.add(med)
        tx.commit()
        return med.id


def _sale(ctx: Context, patient_id: uuid.UUID, medicine_id: uuid.UUID, units: int) -> None:
    data = DispenseInput(patient_id=patient_id, lines=[DispenseLine(medicine_id=medicine_id, quantity=units)])
    dispense(ctx, data, request_id=uuid.uuid4())


def _count(store: Store, model: type, **where: object) -> int:
    with store.engine.connect() as conn:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(conn.execute(query).scalar_one())


def test_two_counters_oversell_one_batch_offline_and_the_alert_shows_on_both(lab: Lab) -> None:
    a = lab.founder
    admin = signed_in_admin(a)
    create_user(admin, UserInput(PHARMACIST[0], "Farida Khan", PHARMACIST[1], ["Pharmacist"],
                                 must_change_password=False))  # fmt: skip
    medicine = _medicine(admin)
    kavya = register_patient(admin, PatientInput(full_name="Kavya Nair", gender="F", phone="9846012345"))
    opening = OpeningStockInput(medicine_id=medicine, batch_number="D1", expiry_date=FAR_EXPIRY, units=15,
                                mrp_paise=3360, cost_price_paise=2400)  # fmt: skip
    batch = opening_stock(_pharmacist(a), opening, request_id=uuid.uuid4()).id
    lab.sync(a)  # she was made and put stock in before this PC ever synced: all of it is accepted as hers
    b = lab.new_pc("Pharmacy counter 2")
    lab.sync(b)
    assert balances(b, batch) == (15, 15, 1)
    farida_a, farida_b = _pharmacist(a), _pharmacist(b)
    _sale(farida_a, kavya.id, medicine, 10)  # both offline, each sees 15 on the shelf
    _sale(farida_b, kavya.id, medicine, 9)
    for store in (a, b, a):
        lab.sync(store)
    for store in (a, b):
        assert balances(store, batch) == (0, -4, 3)  # the ledger keeps both sales; the cache never goes below 0
        assert _count(store, PharmacyDispensing) == 2
        assert _count(store, Charge, source_type="dispensing") == 2
        assert _count(store, SyncConflict) == 0
        assert failed(store) == []
        alerts = stock_alerts(_pharmacist(store))
        assert [(s.batch_number, s.short) for s in alerts.shortfalls] == [("D1", 4)]
    assert lab.central(f"SELECT quantity_on_hand FROM medicine_batches WHERE id = '{batch}'") == [(0,)]
    assert lab.central("SELECT count(*) FROM pharmacy_dispensing") == [(2,)]
    assert lab.central("SELECT count(*) FROM sync_conflicts") == [(0,)]
    with farida_b.transaction() as tx:  # the shelf is counted on B: the shortfall is resolved on both PCs
        stock.count(tx, batch_id=batch, counted=0, reason="counted after the offline oversell")
        tx.commit()
    for store in (b, a):
        lab.sync(store)
    for store in (a, b):
        assert balances(store, batch) == (0, 0, 4)
        assert stock_alerts(_pharmacist(store)).shortfalls == ()
