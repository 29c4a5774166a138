"""Stock alerts on the fixture's day (Monday 30 November 2026, Bengaluru): expired batches with stock, expiry within
3, 3-6 and 6-12 calendar months, medicines under their reorder level (expired stock does not count), and the
shortfall two PCs leave by overselling one batch offline; on the clinic's local date, in a fixed number of
queries, for those who may see stock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from db.models.inventory import StockMovement
from db.models.pharmacy import Medicine
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied
from hms_desktop.services.inventory.alerts import StockAlerts, add_months, stock_alerts
from hms_desktop.storage.store import Store
from hms_desktop.sync import derived
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day, stocked
from tests.test_query_counts import statements


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def set_medicine(ctx: Context, medicine_id: uuid.UUID, **values: object) -> None:
    with ctx.transaction() as tx:
        row = tx.session.get(Medicine, medicine_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        tx.commit()


def expiry_bands(alerts: StockAlerts) -> list[list[tuple[str, str, date, int]]]:
    groups = (alerts.expired, alerts.within_3_months, alerts.within_3_to_6_months, alerts.within_6_to_12_months)
    return [[(a.medicine_name, a.batch_number, a.expiry_date, a.quantity) for a in g] for g in groups]


def oversell(store: Store, medicine_id: uuid.UUID, batch: uuid.UUID, at: datetime, *sales: int) -> None:
    """Sales made on two PCs offline arrive as a pull applies them; the balance is recomputed from the ledger."""
    with store.engine.begin() as conn:
        for units in sales:
            conn.execute(insert(StockMovement).values(
                id=uuid.uuid4(), item_kind="medicine", medicine_id=medicine_id, batch_id=batch,
                movement_type="dispense", quantity_delta=-units, moved_at=at, workstation_id=uuid.uuid4(), note="",
            ))  # fmt: skip
        derived.recompute(conn, {("medicine_batches", "quantity_on_hand"): {batch}})


def test_calendar_months_end_on_the_month_s_last_day() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 12) == date(2027, 11, 30)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_expiry_bands_on_the_fixture_day(pd: PharmacyDay) -> None:
    dolo, pan, mox = pd.medicines["Dolo 650"], pd.medicines["Pan 40"], pd.medicines["Mox 500"]
    stocked(pd.system, dolo, "EXP-OCT", date(2026, 10, 31), 12)
    stocked(pd.system, pan, "EXP-NOV29", date(2026, 11, 29), 3)
    stocked(pd.system, dolo, "EXP-EMPTY", date(2026, 9, 30), 0)  # expired but nothing left: no alert
    stocked(pd.system, pan, "TODAY", date(2026, 11, 30), 4)  # sells today: within 3 months, not expired
    stocked(pd.system, mox, "P2M", date(2027, 1, 30), 20)
    stocked(pd.system, dolo, "EDGE-3M", date(2027, 2, 28), 6)
    stocked(pd.system, pan, "P5M", date(2027, 4, 30), 30)
    stocked(pd.system, dolo, "P11M", date(2027, 10, 30), 40)
    stocked(pd.system, mox, "EDGE-12M", date(2027, 11, 30), 7)
    stocked(pd.system, mox, "P12M1D", date(2027, 12, 1), 8)
    stocked(pd.system, pan, "P2Y", date(2028, 11, 30), 50)
    alerts = stock_alerts(pd.pharmacist)
    assert alerts.today == date(2026, 11, 30)
    assert expiry_bands(alerts) == [
        [("Dolo 650", "EXP-OCT", date(2026, 10, 31), 12), ("Pan 40", "EXP-NOV29", date(2026, 11, 29), 3)],
        [("Pan 40", "TODAY", date(2026, 11, 30), 4), ("Mox 500", "P2M", date(2027, 1, 30), 20),
         ("Dolo 650", "EDGE-3M", date(2027, 2, 28), 6)],
        [("Pan 40", "P5M", date(2027, 4, 30), 30)],
        [("Dolo 650", "P11M", date(2027, 10, 30), 40), ("Mox 500", "EDGE-12M", date(2027, 11, 30), 7)],
    ]  # fmt: skip
    first = alerts.expired[0]
    assert (first.days_to_expiry, first.medicine_id) == (-30, dolo) and alerts.within_3_months[0].days_to_expiry == 0
    assert alerts.below_reorder == () and alerts.shortfalls == ()
    assert alerts.total == 8


def test_the_clinic_s_today_decides_what_is_expired(pd: PharmacyDay) -> None:
    stocked(pd.system, pd.medicines["Pan 40"], "TODAY", date(2026, 11, 30), 4)
    pd.system.clock.set(datetime(2026, 11, 30, 19, 0, tzinfo=UTC))  # type: ignore[attr-defined]  # 00:30 IST 1 Dec
    alerts = stock_alerts(pd.pharmacist)
    assert alerts.today == date(2026, 12, 1)
    assert [a.batch_number for a in alerts.expired] == ["TODAY"] and alerts.within_3_months == ()


def test_medicines_under_their_reorder_level(pd: PharmacyDay) -> None:
    dolo, pan, mox = pd.medicines["Dolo 650"], pd.medicines["Pan 40"], pd.medicines["Mox 500"]
    aug = pd.medicines["Augmentin 625 Duo"]
    set_medicine(pd.system, pan, reorder_level=100)
    stocked(pd.system, pan, "PN-OLD", date(2026, 10, 31), 500)  # expired stock does not count
    stocked(pd.system, pan, "PN-NEW", date(2028, 5, 31), 30)
    set_medicine(pd.system, dolo, reorder_level=10)
    stocked(pd.system, dolo, "DL-A", date(2028, 5, 31), 10)  # at its level: fine
    set_medicine(pd.system, mox, reorder_level=5)  # no batch at all
    set_medicine(pd.system, aug, reorder_level=50, is_active=False)  # withdrawn: no reorder alert
    alerts = stock_alerts(pd.manager)
    got = [(a.medicine_name, a.on_hand, a.reorder_level, a.short_by, a.unit) for a in alerts.below_reorder]
    assert got == [("Pan 40", 30, 100, 70, "tablet"), ("Mox 500", 0, 5, 5, "capsule")]
    assert [a.batch_number for a in alerts.expired] == ["PN-OLD"]


def test_a_shortfall_from_two_pcs_overselling_offline(pd: PharmacyDay, store: Store) -> None:
    pan = pd.medicines["Pan 40"]
    batch = stocked(pd.system, pan, "PN-77", date(2027, 8, 31), 5)
    oversell(store, pan, batch, pd.system.clock.now(), 4, 4)  # each PC sold 4 of the 5
    alerts = stock_alerts(pd.pharmacist)
    assert [(s.item_kind, s.item_id, s.label, s.short) for s in alerts.shortfalls] == [
        ("medicine", batch, "Pan 40, batch PN-77", 3)
    ]
    shortfall = alerts.shortfalls[0]
    assert (shortfall.medicine_id, shortfall.medicine_name, shortfall.batch_number, shortfall.expiry_date) == (
        pan, "Pan 40", "PN-77", date(2027, 8, 31))  # fmt: skip
    assert alerts.within_3_to_6_months == (), "no stock left on the books: no expiry alert"


def test_the_alerts_cost_the_same_queries_for_many_batches(pd: PharmacyDay) -> None:
    dolo = pd.medicines["Dolo 650"]
    set_medicine(pd.system, dolo, reorder_level=10_000)
    for n in range(3):
        stocked(pd.system, dolo, f"A{n}", date(2027, 1, 31), 5)
    stock_alerts(pd.pharmacist)
    with statements(pd.system) as few:
        stock_alerts(pd.pharmacist)
    for n in range(12):
        stocked(pd.system, dolo, f"B{n}", date(2027, 5, 30 - n), 5)  # up to 30 May: 6 months
    with statements(pd.system) as many:
        alerts = stock_alerts(pd.pharmacist)
    assert len(alerts.within_3_months) == 3 and len(alerts.within_3_to_6_months) == 12
    assert [a.expiry_date for a in alerts.within_3_to_6_months] == sorted(a.expiry_date for a in
                                                                          alerts.within_3_to_6_months)  # fmt: skip
    assert len(many) == len(few)


def test_who_sees_the_alerts(pd: PharmacyDay) -> None:
    stocked(pd.system, pd.medicines["Dolo 650"], "EXP", date(2026, 10, 31), 1)
    for ctx in (pd.pharmacist, pd.manager):
        assert [a.batch_number for a in stock_alerts(ctx).expired] == ["EXP"]
    for ctx in (pd.rx.day.receptionist_ctx, pd.rx.day.nurse_ctx):
        with pytest.raises(PermissionDenied):
            stock_alerts(ctx)
