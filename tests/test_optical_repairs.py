"""Optical repairs over a real encrypted store: the whole life step by step (received, estimate approved, in
progress, waiting for parts, ready with the patient's message queued and the charge left for billing, delivered),
a revised estimate approved again, the GST of the labour and parts lines, cancelling, every refusal with its
sentence and nothing written after it, double clicks, permissions, the lists and the repair slip."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.ids import uuid7
from db.models.audit import AuditLog
from db.models.clinical import Charge
from db.models.notifications import NotificationQueueItem
from db.models.optical import OpticalRepair, OpticalStatusEvent
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.optical import repairs as rp
from hms_desktop.services.optical.repair_print import repair_slip_data, repair_slip_pdf
from hms_desktop.services.optical.repairs import RepairInput, RepairView
from tests.optical_fixtures import GST_2, OpticalDay, optical_day
from tests.reception_fixtures import MONDAY, patient
from tests.test_eye_prescription_pdf import all_text

ITEM = "Titan TE-1021 black frame with progressive lenses"
FAULT = "Left hinge broken; lenses loose"


@pytest.fixture
def day(system_ctx: Context, make_user) -> OpticalDay:  # type: ignore[no-untyped-def]
    return optical_day(system_ctx, make_user)


def new_repair(day: OpticalDay, **changes: Any) -> RepairInput:
    data = RepairInput(
        patient_id=day.patient_id, item_description=ITEM, issue_description=FAULT, parts="200", labour="150",
        promised_date=MONDAY + timedelta(days=2), notes="Patient collects after 5 pm",
    )  # fmt: skip
    return replace(data, **changes)


def logged(day: OpticalDay, **changes: Any) -> RepairView:
    return rp.log_repair(day.optician, new_repair(day, **changes), request_id=uuid7())


def counts(ctx: Context) -> dict[str, int]:
    with ctx.transaction(readonly=True) as tx:
        return {
            m.__tablename__: int(tx.session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (OpticalRepair, OpticalStatusEvent, Charge, NotificationQueueItem, AuditLog)
        }


def charges(ctx: Context, repair_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(Charge).where(Charge.source_id == repair_id).order_by(Charge.line_no))
        return [(c.line_no, c.description, c.unit_price_paise, c.hsn_sac_code, c.gst_rate_basis_points,
                 c.price_includes_tax, c.item_type, c.status) for c in rows]  # fmt: skip


def steps(view: RepairView) -> list[tuple[str | None, str, str]]:
    return [(s.from_status, s.to_status, s.note) for s in view.history]


def refused(day: OpticalDay, error: type[Exception], words: str, action: Any, *args: Any, **kw: Any) -> Exception:
    """``action`` fails with ``error`` whose message contains ``words``, and writes nothing at all."""
    before = counts(day.system)
    with pytest.raises(error) as caught:
        action(*args, **kw)
    assert words in str(caught.value)
    assert counts(day.system) == before
    return caught.value


def approved_and_started(day: OpticalDay, **changes: Any) -> RepairView:
    r = logged(day, **changes)
    rp.approve_estimate(day.optician, r.id, "Patient, in person")
    return rp.start_repair(day.optician, r.id)


# --- the life of a repair


def test_the_whole_life_of_a_repair_step_by_step(day: OpticalDay) -> None:
    clock = day.day.clock
    r = logged(day)
    assert (r.code, r.status, r.status_label, r.own_item) == ("RPR-2026-00001", "received", "Received", True)
    assert (r.parts_paise, r.labour_paise, r.cost_paise) == (20_000, 15_000, 35_000)
    assert (r.parts_text, r.labour_text, r.estimate_text) == ("Rs 200.00", "Rs 150.00", "Rs 350.00")
    assert (r.received_on, r.promised_date, r.overdue) == (MONDAY, date(2026, 12, 2), False)
    assert (r.estimate_approved, r.approval_text) == (False, "Not yet approved by the patient")
    assert (r.patient_name, r.item_description, r.issue_description) == ("Kavya Nair", ITEM, FAULT)
    estimate = "Rs 350.00 (parts Rs 200.00, labour Rs 150.00)"
    life = [(None, "received", f"Estimate {estimate}; waiting for the patient's approval.")]
    assert steps(r) == life and r.history[0].by_name == "Omkar Patil"

    clock.advance(minutes=5)
    r = rp.approve_estimate(day.optician, r.id, "Patient, in person")
    assert r.estimate_approved and r.estimate_approved_at == clock.now() and r.status == "received"
    assert r.approval_text == "Approved by Patient, in person on 30 Nov 2026"
    life.append(("received", "received", f"Estimate {estimate} approved: Patient, in person."))
    assert steps(r) == life

    clock.advance(hours=1)
    r = rp.start_repair(day.optician2, r.id)
    life.append(("received", "in_progress", ""))
    assert (r.status_label, steps(r)) == ("In progress", life) and r.history[-1].by_name == "Nisha Gupta"

    r = rp.wait_for_parts(day.optician2, r.id, "Left hinge, ordered from Titan")
    life.append(("in_progress", "waiting_for_parts", "Left hinge, ordered from Titan"))
    assert (r.status_label, steps(r)) == ("Waiting for parts", life)

    clock.advance(days=1)
    r = rp.start_repair(day.optician2, r.id)
    life.append(("waiting_for_parts", "in_progress", "Parts arrived; work resumed."))
    assert steps(r) == life

    before = counts(day.system)
    r = rp.repair_ready(day.optician2, r.id)
    assert (r.status, r.ready_at, r.completed_at) == ("ready", clock.now(), clock.now())
    life.append(("in_progress", "ready", "SMS queued to 98460 12345. Rs 350.00 sent to billing."))
    assert steps(r) == life
    with day.system.transaction(readonly=True) as tx:
        message = tx.session.scalars(select(NotificationQueueItem)).one()
        assert (message.channel, message.recipient, message.event_type) == ("sms", "9846012345", "optical_ready")
        assert message.patient_id == day.patient_id
        assert f"your repaired {ITEM} (RPR-2026-00001) is ready to collect" in message.payload["body"]
    assert counts(day.system)["charges"] == before["charges"] + 2
    assert charges(day.system, r.id) == [
        (1, f"Repair RPR-2026-00001 (labour): {ITEM}", 15_000, "998729", 1800, True, "optical", "unbilled"),
        (2, f"Repair RPR-2026-00001 (parts): {ITEM}", 20_000, "900390", 500, True, "optical", "unbilled"),
    ]

    clock.advance(days=1)
    r = rp.deliver_repair(day.optician, r.id)
    life.append(("ready", "delivered", "Handed back to the patient."))
    assert (r.status, r.delivered_at, steps(r)) == ("delivered", clock.now(), life)
    assert [s.happened_at for s in r.history] == sorted(s.happened_at for s in r.history)
    assert rp.open_repairs(day.optician) == []
    assert [s.code for s in rp.repairs_of_patient(day.optician, day.patient_id)] == ["RPR-2026-00001"]


def test_a_revised_estimate_is_approved_again_before_work_goes_on(day: OpticalDay) -> None:
    r = approved_and_started(day)
    r = rp.revise_estimate(day.optician, r.id, "1,200.50", "150", "Right lens scratched too: new lens")
    assert (r.status, r.estimate_approved, r.estimate_approved_by) == ("received", False, "")
    assert (r.parts_paise, r.cost_paise, r.estimate_text) == (120_050, 135_050, "Rs 1,350.50")
    assert steps(r)[-1] == ("in_progress", "received", "Estimate revised from Rs 350.00 to Rs 1,350.50 (parts "
                            "Rs 1,200.50, labour Rs 150.00): Right lens scratched too: new lens. Waiting for the "
                            "patient's approval.")  # fmt: skip
    refused(day, Conflict, "The patient has not approved the estimate of Rs 1,350.50 for RPR-2026-00001",
            rp.start_repair, day.optician, r.id)  # fmt: skip
    same = rp.revise_estimate(day.optician, r.id, "1200.50", "150.00", "typed again")
    assert same == rp.repair(day.optician, r.id) and len(same.history) == len(r.history)
    rp.approve_estimate(day.optician, r.id, "Patient, by phone")
    r = rp.repair_ready(day.optician, rp.start_repair(day.optician, r.id).id)
    assert r.approval_text == "Approved by Patient, by phone on 30 Nov 2026"
    assert [(c[0], c[2]) for c in charges(day.system, r.id)] == [(1, 15_000), (2, 120_050)]


def test_the_clinics_tax_rules_decide_the_rates_of_the_lines(day: OpticalDay) -> None:
    create_tax(day.system, TaxInput(name="Repair labour", rate_percent="5", applies_to="service",
                                    effective_from=GST_2, hsn_sac_code="998729"))  # fmt: skip
    create_tax(day.system, TaxInput(name="Frame parts", rate_percent="18", applies_to="optical",
                                    effective_from=GST_2, hsn_sac_code="900390"))  # fmt: skip
    r = rp.repair_ready(day.optician, approved_and_started(day).id)
    assert [(c[3], c[4]) for c in charges(day.system, r.id)] == [("998729", 500), ("900390", 1800)]


def test_a_line_of_nothing_is_not_charged(day: OpticalDay) -> None:
    labour_only = rp.repair_ready(day.optician, approved_and_started(day, parts="").id)
    assert [(c[0], c[2]) for c in charges(day.system, labour_only.id)] == [(1, 15_000)]
    free = rp.repair_ready(day.optician, approved_and_started(day, parts="0", labour="", own_item=False).id)
    assert (free.own_item, free.cost_paise, charges(day.system, free.id)) == (False, 0, [])
    assert steps(free)[-1][2] == "SMS queued to 98460 12345. No charge (the estimate was Rs 0.00)."


def test_cancelling_with_a_reason_also_cancels_the_unbilled_charge(day: OpticalDay) -> None:
    waiting = logged(day)
    refused(day, ValidationError, "The reason for cancelling is required.", rp.cancel_repair, day.optician,
            waiting.id, "  ")  # fmt: skip
    gone = rp.cancel_repair(day.optician, waiting.id, "Patient will buy a new frame")
    assert (gone.status, steps(gone)[-1]) == ("cancelled", ("received", "cancelled", "Patient will buy a new frame"))
    assert rp.cancel_repair(day.optician, waiting.id, "again") == gone
    ready = rp.repair_ready(day.optician, approved_and_started(day).id)
    rp.cancel_repair(day.optician, ready.id, "Patient declined to pay")
    assert {c[7] for c in charges(day.system, ready.id)} == {"cancelled"}
    with day.system.transaction(readonly=True) as tx:
        reasons = set(tx.session.scalars(select(Charge.status_reason).where(Charge.source_id == ready.id)))
    assert reasons == {"Repair RPR-2026-00002 cancelled: Patient declined to pay"}


# --- refusals: one sentence, nothing written


def test_work_and_delivery_need_an_approved_estimate_and_delivery_needs_ready(day: OpticalDay) -> None:
    r = logged(day)
    unapproved = "The patient has not approved the estimate of Rs 350.00 for RPR-2026-00001"
    refused(day, Conflict, f"{unapproved}; record their approval before starting work.", rp.start_repair,
            day.optician, r.id)  # fmt: skip
    refused(day, Conflict, f"{unapproved}; record their approval before handing the item back.", rp.deliver_repair,
            day.optician, r.id)  # fmt: skip
    refused(day, Conflict, unapproved, rp.repair_ready, day.optician, r.id)
    refused(day, ValidationError, "Who approved the estimate and how", rp.approve_estimate, day.optician, r.id, "")
    rp.approve_estimate(day.optician, r.id, "Patient, in person")
    refused(day, Conflict, "RPR-2026-00001 is received, not ready to collect", rp.deliver_repair, day.optician, r.id)
    refused(day, Conflict, "start (or resume) the work", rp.repair_ready, day.optician, r.id)
    refused(day, Conflict, "only a repair in progress can wait for parts", rp.wait_for_parts, day.optician, r.id,
            "hinge")  # fmt: skip
    rp.start_repair(day.optician, r.id)
    refused(day, Conflict, "RPR-2026-00001 is in progress, not ready to collect", rp.deliver_repair, day.optician,
            r.id)  # fmt: skip
    refused(day, ValidationError, "The part awaited is required.", rp.wait_for_parts, day.optician, r.id, "")
    rp.wait_for_parts(day.optician, r.id, "hinge")
    refused(day, Conflict, "is waiting for parts; start (or resume)", rp.repair_ready, day.optician, r.id)
    rp.repair_ready(day.optician, rp.start_repair(day.optician, r.id).id)
    refused(day, Conflict, "its charge has gone to billing", rp.revise_estimate, day.optician, r.id, "1", "1", "x")
    rp.deliver_repair(day.optician, r.id)
    refused(day, Conflict, "RPR-2026-00001 was delivered to the patient; a delivered repair cannot be cancelled.",
            rp.cancel_repair, day.optician, r.id, "Changed their mind")  # fmt: skip
    refused(day, Conflict, "was delivered to the patient; it cannot be worked on", rp.start_repair, day.optician,
            r.id)  # fmt: skip


BAD_INPUT: list[tuple[dict[str, Any], str, str]] = [
    ({"item_description": "  "}, "item_description", "The item left for repair is required."),
    ({"issue_description": ""}, "issue_description", "The fault is required."),
    ({"parts": "-50"}, "parts", "The parts estimate: the amount cannot be negative."),
    ({"labour": "fifty"}, "labour", "The labour estimate: enter the amount in rupees, for example 500 or 499.50."),
    ({"labour": "12.345"}, "labour", "The labour estimate: an amount has at most 2 decimals"),
    ({"parts": "250000"}, "parts", "The parts estimate: that amount is larger than expected"),
    ({"promised_date": date(2026, 11, 29)}, "promised_date",
     "The promised date (29 Nov 2026) is before the day the repair is received (30 Nov 2026)."),
    ({"promised_date": "tomorrow"}, "promised_date", "Choose the promised date from the calendar."),
    ({"promised_date": MONDAY + timedelta(days=400)}, "promised_date", "is more than a year away"),
    ({"own_item": "yes"}, "own_item", "Say whether the item is the patient's own or was bought here."),
    ({"patient_id": None}, "patient_id", "Choose the patient the item belongs to"),
]  # fmt: skip


def test_bad_input_is_refused_with_one_sentence(day: OpticalDay) -> None:
    for changes, field, words in BAD_INPUT:
        error = refused(day, ValidationError, words, rp.log_repair, day.optician, new_repair(day, **changes),
                        request_id=uuid7())  # fmt: skip
        assert isinstance(error, ValidationError) and error.field == field, changes
    refused(day, ValidationError, "request id", rp.log_repair, day.optician, new_repair(day), request_id="x")


def test_a_revised_estimate_is_checked_like_a_new_one(day: OpticalDay) -> None:
    r = logged(day)
    refused(day, ValidationError, "The parts estimate: the amount cannot be negative.", rp.revise_estimate,
            day.optician, r.id, "-1", "150", "new hinge")  # fmt: skip
    refused(day, ValidationError, "Why the estimate changes is required.", rp.revise_estimate, day.optician, r.id,
            "300", "150", "")  # fmt: skip
    refused(day, NotFound, "No such repair", rp.revise_estimate, day.optician, uuid7(), "300", "150", "x")


def test_only_optical_staff_log_and_move_repairs(day: OpticalDay) -> None:
    desk, doctor = day.day.receptionist_ctx, day.day.doctor_ctx
    before = counts(day.system)
    with pytest.raises(PermissionDenied):
        rp.log_repair(desk, new_repair(day), request_id=uuid7())
    with pytest.raises(PermissionDenied):
        rp.log_repair(day.manager, new_repair(day), request_id=uuid7())
    after = counts(day.system)
    assert {k: v for k, v in after.items() if k != "audit_logs"} == {
        k: v for k, v in before.items() if k != "audit_logs"
    }
    r = logged(day)
    with pytest.raises(PermissionDenied):
        rp.approve_estimate(doctor, r.id, "Patient, in person")
    with pytest.raises(PermissionDenied):
        rp.repair(desk, r.id)
    assert rp.repair(day.manager, r.id).code == r.code  # the inventory manager sees optical records
    assert rp.repair(doctor, r.id).estimate_approved is False


def test_double_clicks_do_nothing_twice(day: OpticalDay) -> None:
    request_id = uuid7()
    first = rp.log_repair(day.optician, new_repair(day), request_id=request_id)
    before = counts(day.system)
    assert rp.log_repair(day.optician, new_repair(day, parts="999"), request_id=request_id) == first
    assert counts(day.system) == before and first.id == request_id
    a = rp.approve_estimate(day.optician, first.id, "Patient, in person")
    assert rp.approve_estimate(day.optician2, first.id, "Patient, by phone") == a
    s = rp.start_repair(day.optician, first.id)
    assert rp.start_repair(day.optician, first.id) == s
    w = rp.wait_for_parts(day.optician, first.id, "hinge")
    assert rp.wait_for_parts(day.optician, first.id, "other words") == w
    rp.start_repair(day.optician, first.id)
    ready = rp.repair_ready(day.optician, first.id)
    before = counts(day.system)
    assert rp.repair_ready(day.optician, first.id) == ready
    done = rp.deliver_repair(day.optician, first.id)
    assert rp.deliver_repair(day.optician, first.id) == done
    assert counts(day.system)["notification_queue"] == before["notification_queue"] == 1
    assert len(done.history) == len(ready.history) + 1
    ravi = patient(day.system, "Ravi Rao", "9845022222")
    refused(day, Conflict, "This request already logged RPR-2026-00001 for another patient.", rp.log_repair,
            day.optician, new_repair(day, patient_id=ravi.id), request_id=request_id)  # fmt: skip


# --- the lists and the slip


def test_open_repairs_put_the_overdue_first(day: OpticalDay) -> None:
    late = logged(day, promised_date=MONDAY)
    later = logged(day, promised_date=MONDAY + timedelta(days=5))
    undated = logged(day, promised_date=None)
    ready = rp.repair_ready(day.optician, approved_and_started(day, promised_date=MONDAY).id)
    day.day.clock.advance(days=1)
    rows = rp.open_repairs(day.optician)
    assert [(s.code, s.overdue) for s in rows] == [
        (late.code, True), (ready.code, False), (later.code, False), (undated.code, False),
    ]  # fmt: skip
    assert rp.repair(day.optician, late.id).overdue and not rp.repair(day.optician, ready.id).overdue
    assert rows[1].status_label == "Ready to collect" and rows[1].estimate_approved
    newest_first = [s.code for s in rp.repairs_of_patient(day.optician, day.patient_id)]
    assert newest_first == [ready.code, undated.code, later.code, late.code]
    with pytest.raises(NotFound):
        rp.repairs_of_patient(day.optician, uuid7())


def test_the_repair_slip_says_at_owners_risk(day: OpticalDay) -> None:
    r = logged(day)
    slip = repair_slip_data(day.optician, r.id)
    assert (slip.repair_code, slip.received_on, slip.promised_date) == (r.code, MONDAY, date(2026, 12, 2))
    assert (slip.patient_name, slip.patient_phone, slip.item, slip.fault) == ("Kavya Nair", "9846012345", ITEM, FAULT)
    assert (slip.parts, slip.labour, slip.estimate, slip.status) == ("Rs 200.00", "Rs 150.00", "Rs 350.00", "Received")
    assert slip.approval == "Estimate (GST included) not yet approved by the patient: work starts once they approve it."
    assert slip.risk_note.startswith("Repairs are carried out entirely at the owner's risk.") and slip.own_item
    assert slip.clinic.name
    rp.approve_estimate(day.optician, r.id, "Patient, by phone")
    assert repair_slip_data(day.optician, r.id).approval == (
        "Estimate (GST included) approved by Patient, by phone on 30 Nov 2026."
    )
    before = counts(day.system)
    pdf = repair_slip_pdf(day.optician, r.id)
    text = " ".join(all_text(pdf).split())
    assert pdf.startswith(b"%PDF") and r.code in text and "owner's risk" in text and "Rs 350.00" in text
    assert counts(day.system)["audit_logs"] == before["audit_logs"] + 1
    with pytest.raises(PermissionDenied):
        repair_slip_pdf(day.day.receptionist_ctx, r.id)
