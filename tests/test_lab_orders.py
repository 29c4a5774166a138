"""Lab orders from order to verified result: the charge each order leaves, cancelling, sample collection,
result entry with flags by sex and age, verification by a second user, corrections, the worklist, reads."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models.audit import AuditLog
from db.models.billing import Invoice
from db.models.clinical import Charge
from db.models.lab import LabOrder
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.clinical.charges import mark_billed
from hms_desktop.services.clinical.lab_catalog import LabTestInput, deactivate_lab_test, get_lab_test, update_lab_test
from hms_desktop.services.clinical.lab_orders import cancel_lab_order, collect_sample, lab_worklist, order_lab_tests
from hms_desktop.services.clinical.lab_results import (
    ResultValueInput,
    enter_result,
    lab_order,
    lab_orders_for,
    verify_result,
)
from hms_desktop.services.reception import appointments as appt
from tests.lab_fixtures import LabDay, collected, counts, entered, hb_only, lab_day, person, visit

V = ResultValueInput


@pytest.fixture
def day(system_ctx: Context, make_user) -> LabDay:  # type: ignore[no-untyped-def]
    return lab_day(system_ctx, make_user)


def anita(day: LabDay) -> Any:
    return person(day.system, "Anita Desai", "9845000001", "F", date(1985, 6, 1))


def arjun(day: LabDay) -> Any:
    return person(day.system, "Arjun Mehta", "9845000002", "M", date(1980, 3, 15))


def charges_of(ctx: Context, order_id: Any) -> list[Charge]:
    with ctx.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(Charge).where(Charge.source_id == order_id)))


def row(ctx: Context, order_id: Any) -> dict[str, Any]:
    with ctx.transaction(readonly=True) as tx:
        o = tx.session.get(LabOrder, order_id)
        assert o is not None
        return {c.name: getattr(o, c.name) for c in LabOrder.__table__.columns}


def audit(ctx: Context) -> list[AuditLog]:
    with ctx.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(AuditLog).order_by(AuditLog.seq)))


# --- ordering -------------------------------------------------------------------------------------------


def test_an_order_per_test_each_with_its_charge(day: LabDay) -> None:
    p = anita(day)
    a = visit(day, p)
    orders = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"], day.tests["FBS"]], appointment_id=a.id,
                             priority="urgent", notes="Fasting since 10 pm")  # fmt: skip
    assert [o.code for o in orders] == ["LAB-2026-000001", "LAB-2026-000002"]
    assert [(o.test_name, o.price_paise) for o in orders] == [("Complete Blood Count (CBC)", 30000),
                                                              ("Fasting Blood Sugar (FBS)", 8000)]  # fmt: skip
    first = orders[0]
    assert (first.status, first.priority, first.notes) == ("ordered", "urgent", "Fasting since 10 pm")
    assert (first.doctor_id, first.doctor_name, first.appointment_id) == (day.doctor.id, "Dr Meera Iyer", a.id)
    assert first.ordered_at == day.clock.now() and first.ordered_by_name == "Meera Iyer"
    assert (first.patient_name, first.patient_gender, first.patient_age_years) == ("Anita Desai", "F", 41)
    (charge,) = charges_of(day.system, first.id)
    assert (charge.source_type, charge.line_no, charge.item_type, charge.status) == ("lab_order", 1, "lab",
                                                                                      "unbilled")  # fmt: skip
    assert (charge.unit_price_paise, charge.amount_paise, charge.quantity) == (30000, 30000, 1)
    assert (charge.hsn_sac_code, charge.gst_rate_basis_points, charge.price_includes_tax) == ("999316", 0, False)
    assert (charge.patient_id, charge.appointment_id, charge.doctor_id) == (p.id, a.id, day.doctor.id)
    assert charge.description == "Lab test: Complete Blood Count (CBC)"
    assert counts(day.system) == (2, 2)
    # a later catalog change touches neither the order nor its charge
    cbc = get_lab_test(day.system, day.tests["CBC"])
    update_lab_test(day.system, cbc.id, LabTestInput(code="CBC", name="CBC (5 part)", category=cbc.category,
                                                     sample_type="blood", price_rupees="450"))  # fmt: skip
    again = lab_order(day.tech_ctx, first.id)
    assert (again.test_name, again.price_paise) == ("Complete Blood Count (CBC)", 30000)
    assert charges_of(day.system, first.id)[0].unit_price_paise == 30000


def test_a_receptionist_cannot_order(day: LabDay) -> None:
    p = anita(day)
    before = len(audit(day.system))
    with pytest.raises(PermissionDenied):
        order_lab_tests(day.reception_ctx, p.id, [day.tests["CBC"]])
    new = audit(day.system)[before:]
    assert [(r.action, r.entity_id, r.outcome, r.user_email) for r in new] == [
        ("permission_denied", "lab.order", "denied", "desk@sunrise.example.in")
    ]
    assert counts(day.system) == (0, 0)


def test_the_same_test_twice_for_one_visit_is_refused(day: LabDay) -> None:
    p = anita(day)
    a = visit(day, p)
    first = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]], appointment_id=a.id)[0]
    with pytest.raises(ValidationError, match=r"already ordered for this visit \(LAB-2026-000001, ordered\)") as err:
        order_lab_tests(day.doctor_ctx, p.id, [day.tests["FBS"], day.tests["CBC"]], appointment_id=a.id)
    assert err.value.field == "test_ids"
    assert counts(day.system) == (1, 1)  # not even the FBS of the refused request
    with pytest.raises(ValidationError, match="chosen twice") as err:
        order_lab_tests(day.doctor_ctx, p.id, [day.tests["ESR"], day.tests["ESR"]], appointment_id=a.id)
    assert err.value.field == "test_ids"
    collect_sample(day.tech_ctx, first.id)  # still live once collected
    with pytest.raises(ValidationError):
        order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]], appointment_id=a.id)
    order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]])  # outside the visit: a separate order
    cancel_lab_order(day.doctor_ctx, first.id, "Haemolysed sample")
    again = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]], appointment_id=a.id)
    assert again[0].code == "LAB-2026-000003"


def test_bad_orders_are_refused_before_anything_is_written(day: LabDay) -> None:
    p, other = anita(day), arjun(day)
    cbc = day.tests["CBC"]
    theirs = visit(day, other)
    gone = visit(day, p, time(10, 15))
    appt.cancel_appointment(day.system, gone.id, "Patient unwell")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"test_ids": []}, "test_ids"),
        ({"test_ids": [p.id]}, "test_ids"),  # not a test
        ({"priority": "asap"}, "priority"),
        ({"patient_id": cbc}, "patient_id"),
        ({"appointment_id": theirs.id}, "appointment_id"),
        ({"appointment_id": gone.id}, "appointment_id"),
        ({"notes": "x" * 501}, "notes"),
    ]
    for changes, field in cases:
        args = {"patient_id": p.id, "test_ids": [cbc], **changes}
        with pytest.raises(ValidationError) as err:
            order_lab_tests(day.doctor_ctx, **args)
        assert err.value.field == field, changes
    deactivate_lab_test(day.system, day.tests["WIDAL"])
    with pytest.raises(ValidationError, match="no longer offered") as err:
        order_lab_tests(day.doctor_ctx, p.id, [day.tests["WIDAL"]])
    assert err.value.field == "test_ids"
    assert counts(day.system) == (0, 0)


def test_cancelling_an_order_cancels_its_charge(day: LabDay) -> None:
    p = anita(day)
    o = order_lab_tests(day.doctor_ctx, p.id, [day.tests["TSH"]])[0]
    with pytest.raises(ValidationError) as err:
        cancel_lab_order(day.doctor_ctx, o.id, "  ")
    assert err.value.field == "reason"
    done = cancel_lab_order(day.doctor_ctx, o.id, "Ordered by mistake")
    assert (done.status, done.cancelled_reason) == ("cancelled", "Ordered by mistake")
    (charge,) = charges_of(day.system, o.id)
    assert (charge.status, charge.status_reason) == (
        "cancelled",
        "Lab order LAB-2026-000001 cancelled: Ordered by mistake",
    )
    with pytest.raises(Conflict, match="already cancelled"):
        cancel_lab_order(day.doctor_ctx, o.id, "again")
    reported = entered(day, p)
    with pytest.raises(Conflict, match="result is entered"):
        cancel_lab_order(day.doctor_ctx, reported.id, "Too late")
    assert row(day.system, reported.id)["status"] == "completed"
    assert charges_of(day.system, reported.id)[0].status == "unbilled"
    with pytest.raises(NotFound):
        cancel_lab_order(day.doctor_ctx, day.tests["CBC"], "no such order")
    paid = order_lab_tests(day.doctor_ctx, p.id, [day.tests["ESR"]])[0]
    with day.system.transaction() as tx:  # billing has put its charge on an invoice
        invoice = Invoice(invoice_number="WS01/2627/000001", patient_id=p.id, invoice_date=date(2026, 11, 30),
                          place_of_supply_state_code="29")  # fmt: skip
        tx.session.add(invoice)
        tx.flush()
        mark_billed(tx, [charges_of(day.system, paid.id)[0].id], invoice.id)
        tx.commit()
    with pytest.raises(Conflict, match="already billed; issue a credit note"):
        cancel_lab_order(day.doctor_ctx, paid.id, "Changed my mind")
    assert row(day.system, paid.id)["status"] == "ordered"
    assert charges_of(day.system, paid.id)[0].status == "billed"


# --- the sample -------------------------------------------------------------------------------------------


def test_collecting_the_sample(day: LabDay) -> None:
    p = anita(day)
    o = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]])[0]
    day.clock.advance(minutes=20)
    done = collect_sample(day.tech_ctx, o.id)
    assert (done.status, done.sample_collected_at, done.sample_collected_by_name) == (
        "sample_collected", day.clock.now(), "Ravi Kumar")  # fmt: skip
    with pytest.raises(Conflict, match="already collected"):
        collect_sample(day.tech2_ctx, o.id)
    assert row(day.system, o.id)["sample_collected_by_id"] == day.tech_ctx.actor.user_id
    assert lab_order(day.system, o.id).sample_collected_by_name == "Ravi Kumar"
    gone = order_lab_tests(day.doctor_ctx, p.id, [day.tests["ESR"]])[0]
    cancel_lab_order(day.doctor_ctx, gone.id, "Not needed")
    with pytest.raises(Conflict, match="cancelled"):
        collect_sample(day.tech_ctx, gone.id)
    with pytest.raises(NotFound):
        collect_sample(day.tech_ctx, p.id)
    with pytest.raises(PermissionDenied):
        collect_sample(day.doctor_ctx, o.id)  # the doctor has no lab.results


# --- results ----------------------------------------------------------------------------------------------


def test_a_result_needs_a_collected_sample_of_a_live_order(day: LabDay) -> None:
    p = anita(day)
    o = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]])[0]
    before = row(day.system, o.id)
    with pytest.raises(Conflict, match="not been collected"):
        enter_result(day.tech_ctx, o.id, hb_only("13"))
    assert row(day.system, o.id) == before
    with pytest.raises(NotFound):
        enter_result(day.tech_ctx, p.id, hb_only("13"))
    cancel_lab_order(day.doctor_ctx, o.id, "Patient left")
    with pytest.raises(Conflict, match="was cancelled"):
        enter_result(day.tech_ctx, o.id, hb_only("13"))
    with pytest.raises(PermissionDenied):
        enter_result(day.doctor_ctx, o.id, hb_only("13"))
    assert row(day.system, o.id)["result_flag"] is None


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ([V("Glucose, fasting", "90")], "no parameter 'Glucose, fasting'"),  # a value of a test not ordered
        ([*hb_only("13"), V("Serum iron", "60")], "no parameter 'Serum iron'"),
        (hb_only("13.x"), r"Haemoglobin: enter a number such as 12.5 \(not '13.x'\)"),
        (hb_only("high"), "Haemoglobin: enter a number"),
        (hb_only("1" * 21), "Haemoglobin: enter a number"),
        ([V("Haemoglobin", 13.2), *hb_only("13")[1:]], "Haemoglobin: enter a number"),  # type: ignore[arg-type]
        ([V("Haemoglobin", "13", "mg/dL"), *hb_only("13")[1:]], "reported in g/dL, not mg/dL"),
        (hb_only("13")[:-1], "Enter a value for Monocytes"),
        ([*hb_only("13"), V("monocytes", "4")], "Monocytes is given twice"),
    ],
)
def test_bad_values_are_refused(day: LabDay, values: list[ResultValueInput], says: str) -> None:
    o = collected(day, anita(day), "CBC")
    before = row(day.system, o.id)
    with pytest.raises(ValidationError, match=says) as err:
        enter_result(day.tech_ctx, o.id, values)
    assert err.value.field == "values"
    assert row(day.system, o.id) == before


def test_text_parameters_take_their_choices(day: LabDay) -> None:
    o = collected(day, anita(day), "NS1")
    with pytest.raises(ValidationError, match="choose one of Negative, Positive") as err:
        enter_result(day.tech_ctx, o.id, [V("Dengue NS1 antigen", "Maybe")])
    assert err.value.field == "values"
    done = enter_result(day.tech_ctx, o.id, [V("dengue ns1 antigen", "positive")], "Dengue NS1 detected")
    (value,) = done.values
    assert (value.name, value.value, value.flag, value.ref_text) == ("Dengue NS1 antigen", "Positive", "abnormal",
                                                                     "Negative")  # fmt: skip
    assert done.result_flag == "abnormal"
    blood_group = collected(day, anita(day), "BGRH")
    typed = enter_result(day.tech_ctx, blood_group.id, [V("ABO group", "b"), V("Rh (D) type", "Positive")])
    assert [v.value for v in typed.values] == ["B", "Positive"]
    assert typed.result_flag is None  # nothing to flag in a blood group


def test_flags_by_sex_and_age_on_the_order_date(day: LabDay) -> None:
    woman, man = anita(day), arjun(day)
    her = entered(day, woman, "12.5")
    his = entered(day, man, "12.5")
    assert (her.values[0].flag, her.values[0].ref_text, her.result_flag) == ("normal", "12 - 15", "normal")
    assert (his.values[0].flag, his.values[0].direction, his.values[0].ref_text) == ("abnormal", "low", "13 - 17")
    assert his.result_flag == "abnormal"
    # a boy of 17 on the day of the order is judged by the child's range, though 18 when the result comes
    boy = person(day.system, "Rohan Iyer", "9845000003", "M", date(2008, 12, 10))
    order = collected(day, boy, "CBC")
    day.clock.advance(days=14)
    late = enter_result(day.tech_ctx, order.id, hb_only("12.5"))
    assert (late.patient_age_years, late.values[0].flag, late.values[0].ref_text) == (17, "normal", "12 - 16")
    with day.system.transaction(readonly=True) as tx:
        stored = tx.session.get(LabOrder, late.id)
        assert stored is not None and stored.result is not None
        assert (stored.result["sex"], stored.result["age_years"]) == ("male", 17)
        assert stored.result["values"][0] == {"name": "Haemoglobin", "value": "12.5", "unit": "g/dL",
                                              "ref_low": "12", "ref_high": "16", "ref_text": "12 - 16",
                                              "flag": "normal", "direction": None}  # fmt: skip
    critical = entered(day, woman, "6.2")
    assert (critical.values[0].flag, critical.values[0].direction, critical.result_flag) == ("critical", "low",
                                                                                             "critical")  # fmt: skip


# --- verification -------------------------------------------------------------------------------------------


def test_verification_needs_a_second_user(day: LabDay) -> None:
    o = entered(day, anita(day), "12.5")
    before, trail = row(day.system, o.id), len(audit(day.system))
    with pytest.raises(PermissionDenied, match="You entered this result; another member of staff must verify it"):
        verify_result(day.tech_ctx, o.id)
    assert row(day.system, o.id) == before
    new = audit(day.system)[trail:]
    assert [(r.action, r.entity_type, r.entity_id, r.outcome) for r in new] == [
        ("permission_denied", "lab_orders", str(o.id), "denied")
    ]
    with pytest.raises(PermissionDenied):
        verify_result(day.doctor_ctx, o.id)  # the doctor holds no lab.verify
    assert audit(day.system)[-1].entity_id == "lab.verify"
    assert row(day.system, o.id) == before
    day.clock.advance(minutes=30)
    done = verify_result(day.tech2_ctx, o.id)
    assert (done.status, done.verified_at, done.verified_by_name, done.reported_by_name) == (
        "verified", day.clock.now(), "Sunita Rao", "Ravi Kumar")  # fmt: skip
    with pytest.raises(Conflict, match="already verified"):
        verify_result(day.tech2_ctx, o.id)
    pending = collected(day, anita(day), "ESR")
    with pytest.raises(Conflict, match="only an entered result"):
        verify_result(day.tech2_ctx, pending.id)


def test_the_store_itself_refuses_a_self_verification(day: LabDay) -> None:
    o = entered(day, anita(day))
    with pytest.raises(IntegrityError, match="verified_by_second_user"), day.system.transaction() as tx:
        stored = tx.session.get(LabOrder, o.id)
        assert stored is not None
        stored.status, stored.verified_at, stored.verified_by_id = "verified", day.clock.now(), stored.reported_by_id
        tx.flush()
    assert row(day.system, o.id)["status"] == "completed"


def test_re_entering_and_correcting_a_result(day: LabDay) -> None:
    o = entered(day, anita(day), "11.0", "Low haemoglobin")
    again = enter_result(day.tech2_ctx, o.id, hb_only("12.8"), "Repeat run: normal")
    assert (again.values[0].value, again.result_flag, again.reported_by_name) == ("12.8", "normal", "Sunita Rao")
    with day.system.transaction(readonly=True) as tx:
        changes = tx.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "lab_orders", AuditLog.entity_id == str(o.id), AuditLog.action == "update")
            .order_by(AuditLog.seq)  # fmt: skip
        ).all()
    replaced = changes[-1]
    assert replaced.old_values is not None and replaced.old_values["result"]["values"][0]["value"] == "11.0"
    assert replaced.old_values["result_summary"] == "Low haemoglobin"
    verify_result(day.tech_ctx, o.id)
    with pytest.raises(ValidationError, match="give a reason to correct it") as err:
        enter_result(day.tech2_ctx, o.id, hb_only("13.1"))
    assert err.value.field == "correction_reason"
    assert row(day.system, o.id)["status"] == "verified"
    day.clock.advance(hours=2)
    fixed = enter_result(day.tech2_ctx, o.id, hb_only("13.1"), "Corrected", correction_reason="Wrong sample label")
    assert (fixed.status, fixed.verified_at, fixed.verified_by_id) == ("completed", None, None)
    assert [(c.at, c.by_name, c.reason) for c in fixed.corrections] == [
        (day.clock.now(), "Sunita Rao", "Wrong sample label")
    ]
    with pytest.raises(PermissionDenied):
        verify_result(day.tech2_ctx, o.id)  # Sunita entered the correction
    assert verify_result(day.tech_ctx, o.id).status == "verified"


# --- the worklist and the reads --------------------------------------------------------------------------


def test_the_worklist_by_status_priority_and_time(day: LabDay) -> None:
    p, q = anita(day), arjun(day)
    tests = day.tests

    def order(patient: Any, code: str, priority: str) -> Any:
        day.clock.advance(minutes=5)
        return order_lab_tests(day.doctor_ctx, patient.id, [tests[code]], priority=priority)[0]

    routine_1 = order(p, "CBC", "routine")
    stat_1 = order(q, "CBC", "stat")
    urgent_1 = order(p, "FBS", "urgent")
    routine_2 = order(q, "ESR", "routine")
    stat_2 = order(p, "CRP", "stat")
    collect_sample(day.tech_ctx, routine_2.id)
    collect_sample(day.tech_ctx, stat_1.id)
    enter_result(day.tech_ctx, stat_1.id, hb_only("14"))
    dropped = order(q, "TSH", "stat")
    cancel_lab_order(day.doctor_ctx, dropped.id, "Duplicate")
    listed = lab_worklist(day.tech_ctx)
    assert [o.code for o in listed] == [stat_2.code, urgent_1.code, routine_1.code, routine_2.code, stat_1.code]
    assert [o.status for o in listed] == ["ordered", "ordered", "ordered", "sample_collected", "completed"]
    assert [o.code for o in lab_worklist(day.tech_ctx, status="ordered")] == [stat_2.code, urgent_1.code,
                                                                              routine_1.code]  # fmt: skip
    assert [o.code for o in lab_worklist(day.tech_ctx, status="cancelled")] == [dropped.code]
    assert len(lab_worklist(day.tech_ctx, day=date(2026, 11, 30))) == 5
    assert lab_worklist(day.tech_ctx, day=date(2026, 12, 1)) == []
    with pytest.raises(ValidationError) as err:
        lab_worklist(day.tech_ctx, status="lost")
    assert err.value.field == "status"
    with pytest.raises(PermissionDenied):
        lab_worklist(day.reception_ctx)


def test_a_patients_orders_newest_first(day: LabDay) -> None:
    p = anita(day)
    first = entered(day, p, "10.5", "Anaemia")
    verify_result(day.tech2_ctx, first.id)
    day.clock.advance(days=7)
    second = order_lab_tests(day.doctor_ctx, p.id, [day.tests["TSH"]])[0]
    day.clock.advance(minutes=1)
    third = order_lab_tests(day.doctor_ctx, p.id, [day.tests["ESR"]])[0]
    cancel_lab_order(day.doctor_ctx, third.id, "Not needed")
    everything = lab_orders_for(day.doctor_ctx, p.id)
    assert [o.code for o in everything] == [third.code, second.code, first.code]
    assert [o.status for o in everything] == ["cancelled", "ordered", "verified"]
    (history,) = lab_orders_for(day.doctor_ctx, p.id, statuses=("verified",))
    assert (history.code, history.result_flag, history.result_summary) == (first.code, "abnormal", "Anaemia")
    hb = history.values[0]
    assert (hb.name, hb.value, hb.unit, hb.flag, hb.direction) == ("Haemoglobin", "10.5", "g/dL", "abnormal", "low")
    assert lab_orders_for(day.doctor_ctx, arjun(day).id) == []
    with pytest.raises(ValidationError) as err:
        lab_orders_for(day.doctor_ctx, p.id, statuses=("done",))
    assert err.value.field == "statuses"
    with pytest.raises(ValidationError) as err:
        lab_orders_for(day.doctor_ctx, day.tests["CBC"])
    assert err.value.field == "patient_id"
