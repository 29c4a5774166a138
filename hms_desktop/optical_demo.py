"""The demo clinic's optical counter: the catalogue (``services.optical.demo_catalog``), and on each demo day an eye
prescription from the first doctor and a few orders and a repair at different steps, so the optician who signs in
sees a board that looks like a working day (a draft, one at the lab, one ready to collect, a repair waiting for
parts). Everything goes through the services, as the optician's own actions would."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from db.ids import uuid7
from db.models.optical import OpticalOrder, OpticalProduct
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context
from hms_desktop.services.optical import orders, repairs
from hms_desktop.services.optical.demo_catalog import seed_demo_catalog
from hms_desktop.services.optical.eye_prescription_input import EyeInput, EyeRxInput
from hms_desktop.services.optical.eye_prescriptions import save_eye_prescription
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput
from hms_desktop.services.optical.repairs import RepairInput
from hms_desktop.settings import clinic_settings

FRAME = "Titan TE-1021 black"
PROGRESSIVE = "Hoya progressive 1.60"
SINGLE_VISION = "Essilor single vision 1.50"
LAB = "GKB Rx Lens Lab, Peenya"


def seed_optical(ctx: Context) -> None:
    with ctx.transaction() as tx:
        seed_demo_catalog(tx)
        tx.commit()


def _product(ctx: Context, name: str) -> uuid.UUID:
    with ctx.transaction(readonly=True) as tx:
        found: uuid.UUID = tx.session.scalars(select(OpticalProduct.id).where(OpticalProduct.name == name)).one()
        return found


def _has_orders_today(ctx: Context) -> bool:
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        start = today - timedelta(days=1)
        return bool(tx.session.scalar(select(OpticalOrder.id).where(OpticalOrder.promised_date >= start).limit(1)))


def optical_for_today(ctx: Context, doctor_ctx: Context, patient_ids: list[uuid.UUID], optician: Context) -> None:
    """Eye prescriptions for three of today's patients and their orders at three steps, and a repair."""
    if len(patient_ids) < 4 or _has_orders_today(ctx):
        return
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
    frame, progressive, single = (_product(ctx, n) for n in (FRAME, PROGRESSIVE, SINGLE_VISION))
    powers = (
        (EyeInput(sphere="-2.25", cylinder="-0.50", axis="180", add="+1.50"), EyeInput(sphere="-2.00", add="+1.50")),
        (EyeInput(sphere="-1.25"), EyeInput(sphere="-1.50", cylinder="-0.75", axis="90")),
        (EyeInput(sphere="+1.00", add="+2.00"), EyeInput(sphere="+1.25", add="+2.00")),
    )
    made = []
    for pid, (right, left) in zip(patient_ids[:3], powers, strict=True):
        rx = save_eye_prescription(doctor_ctx, EyeRxInput(patient_id=pid, right=right, left=left, pd="63"))
        lens = single if right.add == "" else progressive
        fitting = "" if lens == single else "22"
        order = orders.create_order(
            optician,
            OrderInput(patient_id=pid, optical_prescription_id=rx.id,
                       lines=[OrderLineInput(product_id=frame),
                              OrderLineInput(product_id=lens, eye="both", quantity=2)],
                       right_pd="31.5", left_pd="31.5", right_fitting_height=fitting, left_fitting_height=fitting,
                       promised_date=today + timedelta(days=3), lab_name=LAB),
            request_id=uuid7(),
        )  # fmt: skip
        made.append(order.id)
    # the first stays a draft; the second is at the lab; the third came back, passed and is ready
    for order_id in made[1:]:
        orders.confirm_order(optician, order_id)
        orders.send_to_lab(optician, order_id, LAB, "GKB-55120")
    orders.receive_from_lab(optician, made[2])
    orders.quality_check(optician, made[2], passed=True)
    job = repairs.log_repair(
        optician,
        RepairInput(patient_id=patient_ids[3], item_description="Own metal frame with lenses",
                    issue_description="Left hinge screw lost; nose pads worn", parts="120", labour="150",
                    promised_date=today + timedelta(days=2)),
        request_id=uuid7(),
    )  # fmt: skip
    repairs.approve_estimate(optician, job.id, "Patient, in person")
    repairs.start_repair(optician, job.id)
    repairs.wait_for_parts(optician, job.id, "Hinge screw ordered from the distributor")
