"""An optical order's whole life over a real encrypted store: Dr Iyer's eye prescription made up as progressives
in a Titan frame; draft -> confirmed -> sent to lab -> back from lab -> quality check failed (a remake) -> back
again -> passed (ready: the patient's SMS queued) -> delivered, with the status history, the stock ledger, the
charges billing sees, the day's board (overdue orders), the job card and the order slip checked at each point."""

from __future__ import annotations

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.inventory import StockMovement
from db.models.notifications import NotificationQueueItem
from hms_desktop.context import Context
from hms_desktop.errors import Conflict
from hms_desktop.services.clinical.charges import unbilled_charges
from hms_desktop.services.optical import order_print, orders
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput
from hms_desktop.services.optical.order_views import latest_eye_rx_for_order, order, order_board, orders_of_patient
from tests.clinical_fixtures import MONDAY
from tests.optical_fixtures import OpticalDay, optical_day, optical_on_hand

REMAKE = "Left lens axis off by 10 degrees"


@pytest.fixture
def od(system_ctx: Context, make_user) -> OpticalDay:  # type: ignore[no-untyped-def]
    return optical_day(system_ctx, make_user)


def order_moves(ctx: Context) -> list[tuple[str, int]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.execute(
            select(StockMovement.movement_type, StockMovement.quantity_delta)
            .where(StockMovement.reference_type == "optical_order_items")
            .order_by(StockMovement.moved_at, StockMovement.id)
        )
        return [(t, int(q)) for t, q in rows]


def queued(ctx: Context) -> list[NotificationQueueItem]:
    with ctx.transaction(readonly=True) as tx:
        rows = list(tx.session.scalars(select(NotificationQueueItem).where(
            NotificationQueueItem.event_type == "optical_ready")))  # fmt: skip
        tx.session.expunge_all()
        return rows


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def the_order(od: OpticalDay) -> OrderInput:
    return OrderInput(
        patient_id=od.patient_id,
        optical_prescription_id=od.eye_rx.id,
        lines=[
            OrderLineInput(product_id=od.products["frame"], discount="250"),
            OrderLineInput(product_id=od.products["progressive"], eye="both", options={"coating": "Blue cut"}),
        ],
        right_pd="31.0", left_pd="31.5", right_fitting_height="22", left_fitting_height="22",
        promised_date=MONDAY + timedelta(days=3), lab_name="Essilor Rx lab, Peenya", notes="Patient drives at night.",
    )  # fmt: skip


def test_an_order_from_prescription_to_delivery(od: OpticalDay) -> None:
    ctx, clock = od.optician, od.day.clock
    assert latest_eye_rx_for_order(ctx, od.patient_id).id == od.eye_rx.id  # what the new-order form starts from
    draft = orders.create_order(ctx, the_order(od), uuid7())
    assert (draft.subtotal_paise, draft.discount_paise, draft.total_paise) == (1_450_000, 25_000, 1_425_000)

    # the job card the lab receives: Rx per eye, measurements, frame, lens, options
    card = order_print.job_card_data(ctx, draft.id)
    assert (card.order_code, card.patient_name, card.ordered_on) == (draft.code, "Kavya Nair", MONDAY)
    assert (card.right.sphere, card.right.cylinder, card.right.axis, card.right.add) == (
        "-2.25",
        "-0.50",
        "180",
        "+1.50",
    )
    assert (card.left.sphere, card.left.cylinder, card.left.axis, card.left.add) == ("-2.00", "", "", "+1.50")
    assert (card.right_pd, card.left_pd, card.right_fitting_height) == ("31.0 mm", "31.5 mm", "22.0 mm")
    assert card.box_size == "A 52 / B 38 / DBL 18 mm" and card.frame == "Titan TE-1021, black, full rim, 52-18-140"
    assert card.lens == "Progressive 1.60 (Hoya progressive 1.60), Resin" and card.lens_options == "coating: Blue cut"
    assert card.prescription == f"{od.eye_rx.code} by Dr Meera Iyer, 30 Nov 2026" and card.remake == ""

    # confirmed: the frame off the shelf, a charge per line for billing (the frame at its discounted price)
    clock.advance(minutes=10)
    confirmed = orders.confirm_order(ctx, draft.id)
    assert confirmed.status == "confirmed" and confirmed.confirmed_at == clock.now()
    assert optical_on_hand(od.system, od.products["frame"]) == 2 and order_moves(od.system) == [("dispense", -1)]
    charges = [c for c in unbilled_charges(ctx, od.patient_id) if c.source_type == "optical_order"]
    assert [(c.line_no, c.unit_price_paise, c.quantity, c.amount_paise, c.hsn_sac_code, c.gst_rate_basis_points)
            for c in charges] == [(1, 225_000, 1, 225_000, "9003", 500),
                                  (2, 600_000, 2, 1_200_000, "9001", 500)]  # fmt: skip
    assert all(c.price_includes_tax and c.item_type == "optical" and c.source_id == draft.id for c in charges)
    assert charges[0].description == f"Optical order {draft.code}: Titan TE-1021 black, less Rs 250.00 discount"
    assert sum(c.amount_paise for c in charges) == confirmed.total_paise
    assert orders.confirm_order(ctx, draft.id) == confirmed  # a double click: nothing more taken or charged
    assert order_moves(od.system) == [("dispense", -1)] and unbilled_charges(ctx, od.patient_id) == charges

    clock.advance(hours=1)
    at_lab = orders.send_to_lab(ctx, draft.id, lab_reference="J-4471")
    assert (at_lab.status, at_lab.lab_name, at_lab.lab_reference) == ("in_lab", "Essilor Rx lab, Peenya", "J-4471")
    assert orders.send_to_lab(ctx, draft.id, lab_reference="J-4471") == at_lab
    with pytest.raises(Conflict, match="cannot be quality checked"):
        orders.quality_check(ctx, draft.id, True)

    # back from the lab, the axis is off: a remake, with its reason on the job card
    clock.advance(days=1)
    orders.receive_from_lab(ctx, draft.id)
    remade = orders.quality_check(od.optician2, draft.id, False, REMAKE)
    assert (remade.status, remade.remake_count, remade.received_at) == ("in_lab", 1, None)
    assert order_print.job_card_data(ctx, draft.id).remake == f"Remake 1: {REMAKE}"
    assert orders.quality_check(od.optician2, draft.id, False, REMAKE) == remade
    assert queued(od.system) == []

    clock.advance(days=1)
    back = orders.receive_from_lab(ctx, draft.id)
    assert back.history[-1].note == "Remake 1 back from Essilor Rx lab, Peenya."
    ready = orders.quality_check(od.optician2, draft.id, True)
    assert (ready.status, ready.ready_at) == ("ready", clock.now())
    [sms] = queued(od.system)
    assert (sms.channel, sms.recipient, sms.patient_id, sms.status) == ("sms", "9846012345", od.patient_id, "pending")
    assert ready.history[-1].note == "Quality check passed. SMS queued to 98460 12345."
    assert orders.quality_check(od.optician2, draft.id, True) == ready and len(queued(od.system)) == 1
    assert [s.code for s in order_board(ctx)["ready"]] == [draft.code]

    clock.advance(hours=3)
    delivered = orders.deliver_order(ctx, draft.id)
    assert (delivered.status, delivered.delivered_at, delivered.overdue) == ("delivered", clock.now(), False)
    assert orders.deliver_order(ctx, draft.id) == delivered
    with pytest.raises(Conflict, match="was delivered; a return is a credit note"):
        orders.cancel_order(ctx, draft.id, "Changed her mind")

    # the life as the detail pane shows it, each step by whom
    steps = [(s.from_status, s.to_status, s.by_name) for s in order(ctx, draft.id).history]
    assert steps == [
        (None, "draft", "Omkar Patil"), ("draft", "confirmed", "Omkar Patil"), ("confirmed", "in_lab", "Omkar Patil"),
        ("in_lab", "received", "Omkar Patil"), ("received", "in_lab", "Nisha Gupta"),
        ("in_lab", "received", "Omkar Patil"), ("received", "ready", "Nisha Gupta"),
        ("ready", "delivered", "Omkar Patil"),
    ]  # fmt: skip
    assert delivered.history[2].note == "To Essilor Rx lab, Peenya, job J-4471."
    assert delivered.history[4].note == f"Quality check failed; remake 1: {REMAKE}"
    # the ledger and the charges at the end: one frame out, both charges waiting for the invoice
    assert optical_on_hand(od.system, od.products["frame"]) == 2 and order_moves(od.system) == [("dispense", -1)]
    assert unbilled_charges(ctx, od.patient_id) == charges
    with od.system.transaction(readonly=True) as tx:
        audited = tx.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.entity_type == "optical_orders", AuditLog.entity_id == str(draft.id)))  # fmt: skip
    assert audited and audited >= 8  # created, and each step changed the row

    # the day's board: delivered today is on it; tomorrow it is gone
    assert [s.code for s in order_board(ctx)["delivered"]] == [draft.code]
    assert order_board(ctx, on=MONDAY + timedelta(days=5))["delivered"] == []


def test_an_order_past_its_promised_date_is_overdue_and_the_slip_and_card_print(od: OpticalDay) -> None:
    ctx, clock = od.optician, od.day.clock
    data = the_order(od)
    made = orders.create_order(ctx, OrderInput(**{**vars(data), "promised_date": MONDAY}), uuid7())
    assert not made.overdue
    slip = order_print.order_slip_data(ctx, made.id)
    assert [(x.description, x.quantity, x.amount) for x in slip.lines] == [
        ("Titan TE-1021 black", "1", "Rs 2,250.00"),
        ("Hoya progressive 1.60, both eyes", "2 lenses", "Rs 12,000.00"),
    ]
    assert (slip.subtotal, slip.discount, slip.total, slip.advance, slip.balance, slip.status) == (
        "Rs 14,500.00", "Rs 250.00", "Rs 14,250.00", "", "Rs 14,250.00", "Draft")  # fmt: skip
    card_pdf = order_print.job_card_pdf(ctx, made.id)
    slip_pdf = order_print.order_slip_pdf(ctx, made.id)
    assert card_pdf.startswith(b"%PDF") and slip_pdf.startswith(b"%PDF")
    card_text, slip_text = pdf_text(card_pdf), pdf_text(slip_pdf)
    assert made.code in card_text and "-2.25" in card_text and "Essilor Rx lab, Peenya" in card_text
    assert "Rs 14,250.00" in slip_text and "Kavya Nair" in slip_text
    with od.system.transaction(readonly=True) as tx:
        prints = tx.session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "print", AuditLog.entity_id == str(made.id))
        ).all()
    assert sorted(prints) == [f"Job card {made.code}", f"Order slip {made.code}"]

    clock.advance(days=1)
    [summary] = order_board(ctx)["draft"]
    assert summary.overdue and summary.code == made.code
    assert summary.items_text == "Titan TE-1021 black; Hoya progressive 1.60, both eyes"
    assert order(ctx, made.id).overdue and orders_of_patient(ctx, od.patient_id)[0].overdue
