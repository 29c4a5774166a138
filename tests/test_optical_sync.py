"""Two optical counters through a real sync server over PostgreSQL: an order taken and confirmed on one PC (the
frame off the shelf, the charges left, each step in the history) is on the other after syncing, with the same
stock and the same history; a step taken there (sent to the lab) comes back; the server accepted every row as the
optician's own and nothing conflicts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from db.ids import uuid7
from db.models.clinical import Charge
from db.models.optical import OpticalOrder, OpticalProduct, OpticalStatusEvent
from db.models.sync import SyncConflict
from hms_desktop.context import Context
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.optical import orders
from hms_desktop.services.optical.eye_prescription_input import EyeInput, EyeRxInput
from hms_desktop.services.optical.eye_prescriptions import save_eye_prescription
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput
from hms_desktop.services.optical.order_views import order
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from tests.helpers import signed_in_admin
from tests.optical_fixtures import PRODUCTS, add_product
from tests.pg import Lab
from tests.test_stock_ledger import failed

OPTICIAN = ("omkar@sunrise.example.in", "Marigold-Ledger-2026")


def _optician(store: Store) -> Context:
    return signed_in_admin(store, email=OPTICIAN[0], password=OPTICIAN[1])


def _count(store: Store, model: type, **where: object) -> int:
    with store.engine.connect() as conn:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(conn.execute(query).scalar_one())


def _frame_stock(store: Store, product_id: uuid.UUID) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(select(OpticalProduct.stock_quantity).where(OpticalProduct.id == product_id)).scalar_one()
        )


def test_an_order_taken_on_one_counter_moves_on_at_the_other(lab: Lab) -> None:
    a = lab.founder
    admin = signed_in_admin(a)
    create_user(admin, UserInput(OPTICIAN[0], "Omkar Patil", OPTICIAN[1], ["Optical Staff"],
                                 must_change_password=False))  # fmt: skip
    frame_spec = {k: v for k, v in PRODUCTS["frame"].items() if k != "stock"}
    lens_spec = dict(PRODUCTS["single_vision"])
    frame = add_product(admin, stock_quantity=2, **frame_spec)
    lens = add_product(admin, **lens_spec)
    kavya = register_patient(admin, PatientInput(full_name="Kavya Nair", gender="F", phone="9846012345"))
    rx = save_eye_prescription(_optician(a), EyeRxInput(patient_id=kavya.id, right=EyeInput(sphere="-1.25"),
                                                        left=EyeInput(sphere="-1.50"), pd="62"))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Optical counter")
    lab.sync(b)
    assert _frame_stock(b, frame) == 2

    at_b = _optician(b)
    made = orders.create_order(
        at_b,
        OrderInput(patient_id=kavya.id, optical_prescription_id=rx.id, right_pd="31", left_pd="31",
                   lines=[OrderLineInput(product_id=frame), OrderLineInput(product_id=lens, eye="both", quantity=2)]),
        request_id=uuid7(),
    )  # fmt: skip
    orders.confirm_order(at_b, made.id)
    for store in (b, a):
        lab.sync(store)
    seen = order(_optician(a), made.id)
    assert (seen.code, seen.status) == (made.code, "confirmed")
    assert [s.to_status for s in seen.history] == ["draft", "confirmed"]
    assert [s.by_name for s in seen.history] == ["Omkar Patil", "Omkar Patil"]
    assert _frame_stock(a, frame) == 1 and _count(a, Charge, source_type="optical_order") == 2

    orders.send_to_lab(_optician(a), made.id, "GKB Rx Lens Lab", "GKB-1")
    for store in (a, b):
        lab.sync(store)
    for store in (a, b):
        assert _count(store, OpticalOrder, status="in_lab") == 1
        assert _count(store, OpticalStatusEvent, order_id=made.id) == 3
        assert _frame_stock(store, frame) == 1
        assert _count(store, SyncConflict) == 0
        assert failed(store) == []
    assert lab.central("SELECT count(*) FROM optical_status_events") == [(3,)]
    assert lab.central("SELECT count(*) FROM sync_conflicts") == [(0,)]
