"""Optical orders' rules over a real encrypted store: a draft priced from the catalogue, and every refusal (a lens
outside its power range, a PD of 20 or 90 mm, a frame out of stock at creation and at confirmation, a discount
above the optician's 10%, an outside prescription without its prescriber, editing a confirmed order, delivering
before quality check, a remake without a reason, a receptionist or a doctor creating an order) with one clear
sentence and NOTHING written after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.clinical import Charge
from db.models.inventory import StockMovement
from db.models.notifications import NotificationQueueItem
from db.models.optical import OpticalOrder, OpticalOrderItem, OpticalPrescription, OpticalStatusEvent
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, HmsError, PermissionDenied, ValidationError
from hms_desktop.services.optical import orders
from hms_desktop.services.optical.eye_prescription_input import EyeInput
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput, OutsideRxInput
from hms_desktop.services.optical.order_views import order, order_board
from hms_desktop.services.optical.pricing import tax_inside
from tests.clinical_fixtures import MONDAY
from tests.optical_fixtures import OpticalDay, optical_day, optical_on_hand

TABLES = (OpticalOrder, OpticalOrderItem, OpticalPrescription, OpticalStatusEvent, StockMovement, Charge,
          NotificationQueueItem)  # fmt: skip


@pytest.fixture
def od(system_ctx: Context, make_user) -> OpticalDay:  # type: ignore[no-untyped-def]
    return optical_day(system_ctx, make_user)


def counts(ctx: Context) -> dict[str, int]:
    with ctx.transaction(readonly=True) as tx:
        return {t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES}


def spectacles(od: OpticalDay, **changes: object) -> OrderInput:
    """Dr Iyer's prescription made up as progressives in the Titan frame, with the fitting measurements."""
    data = OrderInput(
        patient_id=od.patient_id,
        optical_prescription_id=od.eye_rx.id,
        lines=[
            OrderLineInput(product_id=od.products["frame"]),
            OrderLineInput(product_id=od.products["progressive"], eye="both", options={"coating": "Blue cut"}),
        ],
        right_pd="31.0", left_pd="31.5", right_fitting_height="22", left_fitting_height="22.5",
        promised_date=MONDAY + timedelta(days=5), lab_name="Essilor Rx lab, Peenya",
    )  # fmt: skip
    return replace(data, **changes)  # type: ignore[arg-type]


def refused(od: OpticalDay, error: type[HmsError], call, ctx: Context | None = None) -> HmsError:  # type: ignore[no-untyped-def]
    """Run ``call``: it raises ``error`` and leaves every order, stock and charge table as it was."""
    before = counts(od.system)
    with pytest.raises(error) as caught:
        call()
    assert counts(od.system) == before
    return caught.value


def outside(prescriber: str = "Dr R Rao, Vasan Eye Care", **eyes: EyeInput) -> OutsideRxInput:
    return OutsideRxInput(prescriber=prescriber, right=eyes.get("right", EyeInput(sphere="-1.00")),
                          left=eyes.get("left", EyeInput(sphere="-1.25")), pd="62")  # fmt: skip


def test_a_draft_takes_catalogue_prices_tax_and_the_frames_box_and_a_retry_makes_nothing_more(od: OpticalDay) -> None:
    rid = uuid7()
    view = orders.create_order(od.optician, spectacles(od), rid)
    assert view.id == rid and view.code.startswith("OPT-") and view.status == "draft" and view.editable
    frame, lens = view.lines
    assert (frame.description, frame.quantity, frame.unit_price_paise, frame.tax_basis_points) == (
        "Titan TE-1021 black", 1, 250_000, 500)  # fmt: skip
    assert (lens.description, lens.eye, lens.quantity, lens.line_total_paise) == (
        "Hoya progressive 1.60, both eyes", "both", 2, 1_200_000)  # fmt: skip
    assert lens.options == {"coating": "Blue cut"} and lens.hsn_code == "9001"
    assert (view.subtotal_paise, view.discount_paise, view.total_paise) == (1_450_000, 0, 1_450_000)
    assert view.tax_paise == tax_inside(250_000, 500) + tax_inside(1_200_000, 500) == 69_048
    assert view.box_text == "A 52 / B 38 / DBL 18 mm"  # from the frame's catalogue box
    assert view.pd_text == "R 31.0 mm / L 31.5 mm" and view.fitting_height_text == "R 22.0 mm / L 22.5 mm"
    assert view.prescription_text == f"{od.eye_rx.code} by Dr Meera Iyer, 30 Nov 2026"
    assert [s.to_status for s in view.history] == ["draft"] and view.history[0].by_name == "Omkar Patil"
    before = counts(od.system)
    assert before["stock_movements"] == 4 and before["charges"] == 0  # the fixture's opening stock only
    again = orders.create_order(od.optician, spectacles(od), rid)
    assert again == view and counts(od.system) == before
    assert optical_on_hand(od.system, od.products["frame"]) == 3  # a draft takes nothing off the shelf


def test_a_lens_outside_its_power_range_is_refused_naming_the_eye_and_the_range(od: OpticalDay) -> None:
    strong = outside(right=EyeInput(sphere="-9.00", add="+1.50"), left=EyeInput(sphere="-2.00", add="+1.50"))
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, optical_prescription_id=None, outside_rx=strong), uuid7()))  # fmt: skip
    assert isinstance(error, ValidationError) and error.field == "lines[1].product_id"
    assert error.message == "Right eye: -9.00 is outside Hoya progressive 1.60 (SPH -8.00 to +6.00)."
    toric = outside(right=EyeInput(sphere="-1.00"), left=EyeInput(sphere="-1.00", cylinder="-2.50", axis="90"))
    lines = [OrderLineInput(product_id=od.products["single_vision"], eye="left")]
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, optical_prescription_id=None, outside_rx=toric, lines=lines), uuid7()))  # fmt: skip
    assert "Left eye: cylinder -2.50 is outside Essilor single vision 1.50 (CYL -2.00 to 0.00)" in error.message


MEASUREMENTS = (
    ({"right_pd": "20"}, "right_pd", "A monocular PD (one eye) runs from 25 to 40 mm."),
    ({"left_pd": "90"}, "left_pd", "A monocular PD (one eye) runs from 25 to 40 mm."),
    ({"left_pd": "31.2"}, "left_pd", "PD is measured to 0.5 mm; nearest are 31.0 mm and 31.5 mm."),
    ({"right_fitting_height": "60"}, "right_fitting_height", "Right eye: the fitting height runs from 5 to 45 mm."),
    ({"dbl": "40"}, "dbl", "The DBL (bridge) runs from 8 to 30 mm."),
    ({"box_a": "wide"}, "box_a", "The box A (lens width) is a length in mm, like 22 or 22.5."),
)


def test_a_pd_of_20_or_90_mm_and_other_measurements_out_of_range_are_refused(od: OpticalDay) -> None:
    for changes, field, words in MEASUREMENTS:
        error = refused(od, ValidationError, lambda c=changes: orders.create_order(
            od.optician, spectacles(od, **c), uuid7()))  # fmt: skip
        assert isinstance(error, ValidationError) and (error.field, error.message) == (field, words)
    rx = replace(outside(), pd="90")  # an outside prescription's binocular PD
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, optical_prescription_id=None, outside_rx=rx), uuid7()))  # fmt: skip
    assert isinstance(error, ValidationError) and error.field == "pd"
    assert error.message == "The binocular PD runs from 50 to 80 mm."


def test_what_a_lens_needs_pd_fitting_height_a_prescription_an_eye(od: OpticalDay) -> None:
    error = refused(od, ValidationError, lambda: orders.create_order(od.optician, spectacles(od, left_pd=""), uuid7()))
    assert isinstance(error, ValidationError) and error.field == "left_pd"
    assert error.message == "Left eye: measure the monocular PD for the lab (25 to 40 mm)."  # the Rx has 62.5 only
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, right_fitting_height=""), uuid7()))  # fmt: skip
    assert error.message == "Right eye: a progressive lens needs the fitting height."
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, optical_prescription_id=None), uuid7()))  # fmt: skip
    assert "Hoya progressive 1.60 is made to a prescription" in error.message
    lens_for_none = [OrderLineInput(product_id=od.products["progressive"])]
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, lines=lens_for_none), uuid7()))  # fmt: skip
    assert isinstance(error, ValidationError) and error.field == "lines[0].eye"
    frame_for_eye = [OrderLineInput(product_id=od.products["frame"], eye="right")]
    error = refused(od, ValidationError, lambda: orders.create_order(
        od.optician, spectacles(od, lines=frame_for_eye), uuid7()))  # fmt: skip
    assert error.message == "Titan TE-1021 black is not for one eye: choose none."
    three = [OrderLineInput(product_id=od.products["progressive"], eye="both", quantity=3)]
    error = refused(od, ValidationError, lambda: orders.create_order(od.optician, spectacles(od, lines=three), uuid7()))
    assert error.message == "Hoya progressive 1.60 is one lens per eye: the quantity is 2."


def test_a_frame_out_of_stock_is_refused_at_creation(od: OpticalDay) -> None:
    lines = [OrderLineInput(product_id=od.products["frame_out"])]
    error = refused(od, Conflict, lambda: orders.create_order(od.optician, spectacles(od, lines=lines), uuid7()))
    assert error.message.startswith("Vogue VO-2210 tortoise (OPP-")
    assert "is out of stock (the order needs 1)" in error.message and error.message.endswith("Nothing was saved.")


def test_a_frame_sold_out_after_the_draft_is_refused_at_confirmation(od: OpticalDay) -> None:
    draft = orders.create_order(od.optician, spectacles(od), uuid7())
    with od.system.transaction() as tx:  # the last three sold at the counter meanwhile: the shelf counted empty
        stock.count(tx, optical_product_id=od.products["frame"], counted=0, reason="Sold at the counter")
        tx.commit()
    error = refused(od, Conflict, lambda: orders.confirm_order(od.optician, draft.id))
    assert error.message.startswith(f"Order {draft.code} cannot be confirmed: Titan TE-1021 black (OPP-")
    assert error.message.endswith("Nothing was confirmed.")
    assert order(od.optician, draft.id).status == "draft"


def test_discounts_within_the_opticians_ten_percent_are_accepted_above_refused(od: OpticalDay) -> None:
    frame = od.products["frame"]
    over = [OrderLineInput(product_id=frame, discount="300")]
    error = refused(od, ValidationError, lambda: orders.create_order(od.optician, spectacles(od, lines=over), uuid7()))
    assert isinstance(error, ValidationError) and error.field == "lines[0].discount"
    assert error.message == "A discount of 12.00% is above your limit of 10.00%; ask a manager."
    just_over = [OrderLineInput(product_id=frame, discount="250.01")]  # one paisa above 10% of Rs 2,500
    refused(od, ValidationError, lambda: orders.create_order(od.optician, spectacles(od, lines=just_over), uuid7()))
    bad = [OrderLineInput(product_id=frame, discount="two hundred")]
    refused(od, ValidationError, lambda: orders.create_order(od.optician, spectacles(od, lines=bad), uuid7()))
    lines = [OrderLineInput(product_id=frame, discount="250"),
             OrderLineInput(product_id=od.products["progressive"], eye="both", discount="1,200")]  # fmt: skip
    view = orders.create_order(od.optician, spectacles(od, lines=lines), uuid7())
    assert [(x.discount_paise, x.line_total_paise) for x in view.lines] == [(25_000, 225_000), (120_000, 1_080_000)]
    assert (view.subtotal_paise, view.discount_paise, view.total_paise) == (1_450_000, 145_000, 1_305_000)
    assert view.lines[0].tax_paise == tax_inside(225_000, 500)  # GST is inside the price after the discount


def test_an_outside_prescription_needs_its_prescriber_and_is_kept_with_the_order(od: OpticalDay) -> None:
    data = spectacles(od, optical_prescription_id=None, outside_rx=outside(prescriber="  "),
                      lines=[OrderLineInput(product_id=od.products["single_vision"], eye="both")])  # fmt: skip
    error = refused(od, ValidationError, lambda: orders.create_order(od.optician, data, uuid7()))
    assert isinstance(error, ValidationError) and error.field == "outside_rx.prescriber"
    assert error.message == "Give the name of the doctor or optometrist who wrote the outside prescription."
    both = replace(data, outside_rx=outside(), optical_prescription_id=od.eye_rx.id)
    refused(od, ValidationError, lambda: orders.create_order(od.optician, both, uuid7()))
    view = orders.create_order(od.optician, replace(data, outside_rx=outside()), uuid7())
    assert view.prescription is not None and view.prescription.doctor_id is None
    assert view.outside_prescriber == "Dr R Rao, Vasan Eye Care"
    assert view.prescription_text == f"Outside prescription ({view.prescription.code}): Dr R Rao, Vasan Eye Care"
    assert view.prescription.right.rx_text == "-1.00 DS" and view.prescription.pd_mm_tenths == 620


def test_a_receptionist_or_a_doctor_cannot_create_an_order(od: OpticalDay) -> None:
    for ctx in (od.day.receptionist_ctx, od.day.doctor_ctx):
        error = refused(od, PermissionDenied, lambda c=ctx: orders.create_order(c, spectacles(od), uuid7()))
        assert isinstance(error, PermissionDenied) and error.code == "optical.orders"
    assert order_board(od.day.doctor_ctx)["draft"] == []  # a doctor may look (optical.view)


def test_a_draft_is_edited_but_a_confirmed_order_is_not(od: OpticalDay) -> None:
    draft = orders.create_order(od.optician, spectacles(od), uuid7())
    sunglasses = [OrderLineInput(product_id=od.products["sunglasses"])]
    edited = orders.update_order(od.optician, draft.id, spectacles(od, lines=sunglasses, lab_name=""))
    assert [x.description for x in edited.lines] == ["Ray-Ban RB2140 Wayfarer"] and edited.code == draft.code
    assert edited.lines[0].tax_basis_points == 1800 and edited.total_paise == 899_000
    assert edited.box_text == "A 50 / B 40 / DBL 22 mm"
    before = counts(od.system)
    assert orders.update_order(od.optician, draft.id, spectacles(od, lines=sunglasses, lab_name="")) == edited
    assert counts(od.system) == before  # the same form again changes nothing
    orders.confirm_order(od.optician, draft.id)
    error = refused(od, Conflict, lambda: orders.update_order(od.optician, draft.id, spectacles(od)))
    assert error.message == (
        f"Order {draft.code} is confirmed: only a draft can be edited. Cancel it and make a new order to change it."
    )


def test_delivery_needs_quality_check_and_a_remake_needs_its_reason(od: OpticalDay) -> None:
    made = orders.create_order(od.optician, spectacles(od), uuid7())
    orders.confirm_order(od.optician, made.id)
    error = refused(od, Conflict, lambda: orders.deliver_order(od.optician, made.id))
    assert error.message == (
        f"Order {made.code} has not passed quality check (it is confirmed); deliver it once it is ready to collect."
    )
    orders.send_to_lab(od.optician, made.id)
    back = orders.receive_from_lab(od.optician, made.id)
    error = refused(od, Conflict, lambda: orders.deliver_order(od.optician, made.id))
    assert "has not passed quality check (it is back from lab)" in error.message
    error = refused(od, ValidationError, lambda: orders.quality_check(od.optician, made.id, False, "   "))
    assert isinstance(error, ValidationError) and error.field == "reason"
    assert error.message == f"Say why order {made.code} failed quality check: the lab remakes it from that."
    assert order(od.optician, made.id) == back  # still back from the lab, no remake counted


def test_cancelling_a_confirmed_order_puts_the_frame_back_and_cancels_its_charges(od: OpticalDay) -> None:
    made = orders.create_order(od.optician, spectacles(od), uuid7())
    refused(od, ValidationError, lambda: orders.cancel_order(od.optician, made.id, ""))
    orders.confirm_order(od.optician, made.id)
    assert optical_on_hand(od.system, od.products["frame"]) == 2
    view = orders.cancel_order(od.optician, made.id, "Patient changed her mind")
    assert view.status == "cancelled" and view.history[-1].note == "Patient changed her mind"
    assert optical_on_hand(od.system, od.products["frame"]) == 3
    with od.system.transaction(readonly=True) as tx:
        charges = tx.session.scalars(select(Charge).where(Charge.source_id == made.id)).all()
        moves = tx.session.scalars(select(StockMovement.movement_type).where(StockMovement.reference_type ==
                                                                             "optical_order_items")).all()  # fmt: skip
    assert [c.status for c in charges] == ["cancelled", "cancelled"]
    assert charges[0].status_reason == f"Optical order {made.code} cancelled: Patient changed her mind"
    assert sorted(moves) == ["dispense", "return"]
    before = counts(od.system)
    assert orders.cancel_order(od.optician, made.id, "Patient changed her mind") == view and counts(od.system) == before
    assert order_board(od.optician)["cancelled"][0].code == made.code  # cancelled today: still on today's board


def test_an_order_with_nothing_for_the_lab_is_ready_at_the_counter_but_spectacles_are_not(od: OpticalDay) -> None:
    shades = [OrderLineInput(product_id=od.products["sunglasses"]), OrderLineInput(product_id=od.products["solution"])]
    made = orders.create_order(od.optician, spectacles(od, lines=shades, lab_name=""), uuid7())
    refused(od, Conflict, lambda: orders.ready_without_lab(od.optician, made.id))  # a draft: confirm it first
    orders.confirm_order(od.optician, made.id)
    ready = orders.ready_without_lab(od.optician, made.id)
    assert ready.status == "ready" and ready.ready_at is not None
    assert [(s.to_status, s.note) for s in ready.history][-1] == ("ready", "Nothing for the lab: ready at the counter.")
    before = counts(od.system)
    assert before["notification_queue"] == 0  # the patient is at the counter: no "ready to collect" message
    assert orders.ready_without_lab(od.optician, made.id) == ready and counts(od.system) == before
    assert orders.deliver_order(od.optician, made.id).status == "delivered"
    glasses = orders.create_order(od.optician, spectacles(od), uuid7())
    orders.confirm_order(od.optician, glasses.id)
    error = refused(od, Conflict, lambda: orders.ready_without_lab(od.optician, glasses.id))
    assert error.message == f"Order {glasses.code} has spectacle lenses to be made: send it to the lab."
    refused(od, PermissionDenied, lambda: orders.ready_without_lab(od.day.receptionist_ctx, glasses.id))
