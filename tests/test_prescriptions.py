"""Prescriptions: writing one (code, version 1, worked-out quantities), every bad input refused with its field and
nothing written, who may prescribe and amend (denials audited), free edits before printing and amendments with a
reason after, the append-only versions and their diff, the allergy check and its audited override, the double
save, sending, printing, cancelling."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from db.models.prescriptions import Prescription, PrescriptionItem, PrescriptionVersion
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.clinical import prescription_versions as versions
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.clinical.allergies import AllergyInput, add_allergy, deactivate_allergy
from hms_desktop.services.clinical.consultations import start_consultation
from hms_desktop.services.clinical.prescription_allergies import allergy_warnings
from hms_desktop.services.clinical.prescription_input import PrescriptionInput, PrescriptionItemInput
from tests.clinical_fixtures import MONDAY, checked_in
from tests.rx_fixtures import RxDay, audit_actions, line, rx_day, rx_input, written


@pytest.fixture
def day(system_ctx, make_user) -> RxDay:  # type: ignore[no-untyped-def]
    return rx_day(system_ctx, make_user)


def test_a_doctor_writes_a_prescription(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    made = rx.save_prescription(
        doc,
        rx_input(
            day,
            line(day.medicines["Dolo 650"], frequency="1-0-1", duration_days=5),
            line(
                day.medicines["Augmentin 625 Duo"], frequency="bd", duration_days=7, instructions="Complete the course"
            ),
            line(medicine_name="Steam inhalation", dosage="10 minutes", frequency="HS", duration_days=3),
            line(day.medicines["Calpol 250 Suspension"], dosage="5 ml", frequency="TDS", duration_days=3),
            follow_up_date=MONDAY + timedelta(days=7),
        ),
    )
    assert made.code == "RX-2026-000001" and made.version == 1 and made.status == "final"
    assert made.finalized_at is not None and made.printed_at is None and made.sent_at is None and not made.amended
    assert (made.patient_name, made.doctor_name) == ("Kavya Nair", "Dr Meera Iyer")
    assert made.appointment_id == day.day.appointment.id and made.follow_up_date == date(2026, 12, 7)
    dolo, aug, steam, calpol = made.items
    assert [i.line_no for i in made.items] == [1, 2, 3, 4]
    assert (dolo.medicine_name, dolo.generic_name, dolo.strength, dolo.form) == ("Dolo 650", "Paracetamol", "650 mg",
                                                                                 "tablet")  # fmt: skip
    assert dolo.quantity == 10 and dolo.frequency_label == "twice a day (morning, night)"
    assert dolo.food_timing == "after_food" and dolo.food_timing_label == "after food" and not dolo.is_schedule_h
    assert aug.frequency == "BD" and aug.quantity == 14 and aug.is_schedule_h
    assert aug.generic_name == "Amoxicillin + Clavulanic acid" and aug.instructions == "Complete the course"
    assert steam.medicine_id is None and steam.form == "" and steam.quantity == 0  # not counted in units
    assert calpol.quantity == 0  # 5 ml: the pharmacist dispenses a bottle
    assert rx.prescription(doc, made.id) == made
    assert [p.id for p in rx.prescriptions_for(doc, day.day.patient.id)] == [made.id]
    history = versions.versions(doc, made.id)
    assert len(history) == 1 and history[0].version == 1 and history[0].change_reason == ""
    assert history[0].saved_by_name == "Meera Iyer" and history[0].status == "final"
    assert [(i.medicine_name, i.quantity) for i in history[0].items] == [(i.medicine_name, i.quantity)
                                                                         for i in made.items]  # fmt: skip
    assert written(doc)["prescription_versions"] == 1


def test_a_draft_is_final_only_when_saved_so(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    draft = rx.save_prescription(doc, rx_input(day, draft=True))
    assert draft.status == "draft" and draft.finalized_at is None
    with pytest.raises(Conflict, match="draft"):
        rx.mark_printed(doc, draft.id)
    same = rx.update_prescription(doc, draft.id, rx_input(day, draft=True))
    assert same.version == 1  # nothing changed: no new version
    final = rx.update_prescription(doc, draft.id, rx_input(day))
    assert final.status == "final" and final.finalized_at is not None and final.version == 2
    assert [v.status for v in versions.versions(doc, draft.id)] == ["draft", "final"]


def _bad_inputs(day: RxDay) -> list[tuple[PrescriptionInput, str, str]]:
    dolo = day.medicines["Dolo 650"]
    base = rx_input(day)
    other_patient, other_appt, _ = checked_in(day.day, "Ravi Kumar", "9845011111")
    return [
        (replace(base, items=()), "items", "at least one medicine"),
        (rx_input(day, line(dolo, dosage="")), "items[0].dosage", "dose"),
        (rx_input(day, line(dolo), line(dolo, frequency="")), "items[1].frequency", "Frequency is required"),
        (rx_input(day, line(dolo, frequency="thrice")), "items[0].frequency", "not a frequency"),
        (rx_input(day, line(dolo, duration_days=None)), "items[0].duration_days", "Duration is required"),
        (rx_input(day, line(dolo, duration_days=0)), "items[0].duration_days", "at least 1 day"),
        (rx_input(day, line(dolo, duration_days=400)), "items[0].duration_days", "at most 365 days"),
        (rx_input(day, line(medicine_name="")), "items[0].medicine_name", "name is required"),
        (rx_input(day, line(uuid.uuid4())), "items[0].medicine_id", "not in the active catalogue"),
        (rx_input(day, line(dolo, route="by magic")), "items[0].route", "not a route"),
        (rx_input(day, line(dolo, food_timing="midnight")), "items[0].food_timing", "not one of"),
        (rx_input(day, line(dolo, frequency="SOS")), "items[0].quantity", "give the quantity"),
        (rx_input(day, line(dolo, quantity=-1)), "items[0].quantity", "whole number"),
        (rx_input(day, line(dolo, instructions="x" * 501)), "items[0].instructions", "at most 500"),
        (rx_input(day, follow_up_date=MONDAY - timedelta(days=1)), "follow_up_date", "in the past"),
        (rx_input(day, follow_up_date=MONDAY + timedelta(days=400)), "follow_up_date", "at most a year"),
        (rx_input(day, patient_id=uuid.uuid4()), "patient_id", "registered patient"),
        (rx_input(day, appointment_id=other_appt.id), "appointment_id", "not Kavya Nair's"),
        (rx_input(day, patient_id=other_patient, appointment_id=day.day.appointment.id), "appointment_id", "not"),
        (rx_input(day, diagnosis="d" * 501), "diagnosis", "at most 500"),
    ]


def test_every_bad_input_is_refused_naming_its_field_and_nothing_is_written(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    cases = _bad_inputs(day)
    before = written(doc)
    for data, field, message in cases:
        with pytest.raises(ValidationError) as err:
            rx.save_prescription(doc, data)
        assert (err.value.field, message in err.value.message) == (field, True), (field, err.value.message)
        assert written(doc) == before, field


def test_an_appointment_with_another_doctor_is_refused(day: RxDay) -> None:
    _, theirs, _ = checked_in(day.day, "Ravi Kumar", "9845011111", doctor=day.day.other_doctor)
    before = written(day.day.doctor_ctx)
    with pytest.raises(ValidationError, match="another doctor") as err:
        rx.save_prescription(day.day.doctor_ctx, rx_input(day, patient_id=theirs.patient_id, appointment_id=theirs.id))
    assert err.value.field == "appointment_id" and written(day.day.doctor_ctx) == before


def test_the_follow_up_date_is_judged_in_the_clinics_zone(day: RxDay) -> None:
    # 20:00 UTC on 30 Nov is 01:30 on 1 Dec in Bengaluru: 30 Nov is already the past there
    late = replace(day.day.doctor_ctx, clock=type(day.day.clock)(datetime(2026, 11, 30, 20, 0, tzinfo=UTC)))
    with pytest.raises(ValidationError, match="today is 01 Dec 2026") as err:
        rx.save_prescription(late, rx_input(day, follow_up_date=date(2026, 11, 30)))
    assert err.value.field == "follow_up_date"
    assert rx.save_prescription(late, rx_input(day, follow_up_date=date(2026, 12, 1))).follow_up_date == date(
        2026, 12, 1
    )


def test_a_receptionist_cannot_prescribe_and_the_denial_is_audited(day: RxDay) -> None:
    desk = day.day.receptionist_ctx
    before = written(desk)
    with pytest.raises(PermissionDenied) as err:
        rx.save_prescription(desk, rx_input(day))
    assert err.value.code == "prescriptions.create"
    assert written(desk) == before
    denied = audit_actions(desk, "permission_denied")
    assert [(a.entity_id, a.outcome, a.user_id) for a in denied] == [
        ("prescriptions.create", "denied", desk.actor.user_id)
    ]


def test_an_account_without_a_doctors_profile_cannot_prescribe(day: RxDay) -> None:
    system = day.day.system  # holds every permission, but is nobody's doctor profile
    before = written(system)
    with pytest.raises(PermissionDenied, match="no doctor's profile"):
        rx.save_prescription(system, rx_input(day))
    assert written(system) == before
    denied = audit_actions(system, "permission_denied")
    assert [(a.entity_type, a.entity_id, a.patient_id) for a in denied] == [
        ("patients", str(day.day.patient.id), day.day.patient.id)
    ]


def test_editing_before_printing_is_free_and_each_save_is_a_version(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    dolo, mox = day.medicines["Dolo 650"], day.medicines["Mox 500"]
    first = rx.save_prescription(doc, rx_input(day, line(dolo), line(mox, frequency="1-1-1")))
    kept_line = first.items[0].id
    second = rx.update_prescription(doc, first.id, rx_input(day, line(dolo), line(mox, frequency="1-0-1")))
    assert second.version == 2 and second.code == first.code and not second.amended
    assert second.items[0].id == kept_line  # the unchanged line stays; the changed one is replaced
    assert second.items[1].id != first.items[1].id and second.items[1].quantity == 10
    third = rx.update_prescription(doc, first.id, rx_input(day, line(mox, frequency="1-0-1")))
    assert third.version == 3 and [i.medicine_name for i in third.items] == ["Mox 500"]
    with doc.transaction(readonly=True) as tx:
        rows = tx.session.execute(
            select(PrescriptionItem.line_no, PrescriptionItem.medicine_name, PrescriptionItem.deleted_at.is_(None))
            .where(PrescriptionItem.prescription_id == first.id)
            .order_by(PrescriptionItem.id)  # time-ordered ids: the order they were written
        ).all()
    assert [tuple(r) for r in rows] == [(1, "Dolo 650", False), (2, "Mox 500", False), (2, "Mox 500", False),
                                        (1, "Mox 500", True)]  # fmt: skip
    assert [(v.version, v.change_reason, v.is_amendment) for v in versions.versions(doc, first.id)] == [
        (1, "", False), (2, "", False), (3, "", False)
    ]  # fmt: skip


def test_after_printing_a_change_is_an_amendment_with_a_reason(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    made = rx.save_prescription(doc, rx_input(day))
    printed = rx.mark_printed(doc, made.id)
    assert printed.printed_at is not None
    assert len(audit_actions(doc, "print")) == 1
    changed = rx_input(day, line(day.medicines["Dolo 650"], frequency="1-1-1"))
    before = written(doc)
    for reason in ("", "   "):
        with pytest.raises(ValidationError, match="already printed") as err:
            rx.update_prescription(doc, made.id, changed, reason=reason)
        assert err.value.field == "reason"
    assert written(doc) == before
    amended = rx.update_prescription(doc, made.id, changed, reason="Fever persists: three times a day")
    assert amended.version == 2 and amended.amended and amended.items[0].quantity == 15
    last = versions.version(doc, made.id, 2)
    assert last.is_amendment and last.change_reason == "Fever persists: three times a day"
    assert [a.detail for a in audit_actions(doc, "amend")] == [
        f"{made.code} version 2: Fever persists: three times a day"
    ]
    later = rx.update_prescription(doc, made.id, rx_input(day, line(day.medicines["Dolo 650"])), reason="Back to BD")
    assert later.amended and later.version == 3


def test_another_doctor_cannot_change_send_or_cancel_and_each_denial_is_audited(day: RxDay) -> None:
    made = rx.save_prescription(day.day.doctor_ctx, rx_input(day))
    other = day.day.other_doctor_ctx
    before = written(other)
    attempts = (
        lambda: rx.update_prescription(other, made.id, rx_input(day, diagnosis="Asthma"), reason="mine now"),
        lambda: rx.send_to_pharmacy(other, made.id),
        lambda: rx.cancel_prescription(other, made.id, "wrong patient"),
    )
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="Only Dr Meera Iyer, who wrote RX-2026-000001"):
            attempt()
    assert written(other) == before
    assert (
        rx.prescription(other, made.id).diagnosis == "Acute bronchitis" and rx.prescription(other, made.id).version == 1
    )
    denied = audit_actions(other, "permission_denied")
    assert len(denied) == 3
    assert {(a.entity_type, a.entity_id, a.patient_id, a.user_id) for a in denied} == {
        ("prescriptions", str(made.id), day.day.patient.id, other.actor.user_id)
    }


def test_versions_are_append_only_and_the_diff_names_what_changed(day: RxDay, store) -> None:  # type: ignore[no-untyped-def]
    doc = day.day.doctor_ctx
    dolo, mox, pan = day.medicines["Dolo 650"], day.medicines["Mox 500"], day.medicines["Pan 40"]
    made = rx.save_prescription(doc, rx_input(day, line(dolo), line(mox, frequency="1-1-1", duration_days=5),
                                              follow_up_date=MONDAY + timedelta(days=5)))  # fmt: skip
    rx.update_prescription(
        doc,
        made.id,
        rx_input(day, line(mox, frequency="1-0-1", duration_days=5), line(pan, dosage="1 tab", frequency="OD",
                 food_timing="before_food"), diagnosis="Acute bronchitis with gastritis",
                 follow_up_date=MONDAY + timedelta(days=7)),
    )  # fmt: skip
    diff = versions.compare_versions(doc, made.id, 2, 1)
    assert (diff.older.version, diff.newer.version, diff.code) == (1, 2, made.code)
    assert [(c.field, c.before, c.after) for c in diff.header] == [
        ("diagnosis", "Acute bronchitis", "Acute bronchitis with gastritis"),
        ("follow_up_date", "2026-12-05", "2026-12-07"),
    ]
    assert [i.medicine_name for i in diff.added] == ["Pan 40"]
    assert [i.medicine_name for i in diff.removed] == ["Dolo 650"]
    assert len(diff.changed) == 1 and diff.changed[0].after.medicine_name == "Mox 500"
    assert [(c.field, c.before, c.after) for c in diff.changed[0].fields] == [
        ("frequency", "1-1-1", "1-0-1"),
        ("quantity", 15, 10),
    ]
    assert diff.unchanged == ()
    same = versions.compare_versions(doc, made.id, 2, 2)
    assert same.header == () and same.added == same.removed == same.changed == () and len(same.unchanged) == 2
    # version 1 still reads as it was saved
    v1 = versions.version(doc, made.id, 1)
    assert [i.medicine_name for i in v1.items] == ["Dolo 650", "Mox 500"] and v1.diagnosis == "Acute bronchitis"
    with pytest.raises(ValidationError, match="versions 1 to 2") as err:
        versions.version(doc, made.id, 3)
    assert err.value.field == "version"
    with pytest.raises(ValidationError) as err:
        versions.compare_versions(doc, made.id, 1, 9)
    assert err.value.field == "b"
    # the store itself refuses to change or delete a version
    with store.engine.connect() as conn:
        for statement in ("UPDATE prescription_versions SET change_reason = 'x'", "DELETE FROM prescription_versions"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
    with doc.transaction(readonly=True) as tx:
        numbers = tx.session.execute(
            select(PrescriptionVersion.version, Prescription.version)
            .join(Prescription, Prescription.id == PrescriptionVersion.prescription_id)
            .order_by(PrescriptionVersion.version)
        ).all()
    assert [tuple(n) for n in numbers] == [(1, 2), (2, 2)]  # the last version's number is the prescription's


def test_an_allergy_refuses_the_line_unless_overridden_and_the_override_is_audited(day: RxDay) -> None:
    doc, nurse, kavya = day.day.doctor_ctx, day.day.nurse_ctx, day.day.patient
    add_allergy(nurse, kavya.id, AllergyInput("Clavulanic acid", reaction="Hives", severity="severe"))
    aug = day.medicines["Augmentin 625 Duo"]
    data = rx_input(day, line(day.medicines["Dolo 650"]), line(aug))
    warned = allergy_warnings(doc, kavya.id, data.items)
    assert [(w.item_index, w.allergen, w.ingredient) for w in warned] == [(1, "Clavulanic acid", "clavulanic acid")]
    before = written(doc)
    with pytest.raises(ValidationError, match="Clavulanic acid") as err:
        rx.save_prescription(doc, data)
    assert err.value.field == "items[1].allergy_override_reason" and "give the reason" in err.value.message
    assert written(doc) == before
    reason = "Tolerated amoxicillin-clavulanate in 2025 without a reaction"
    overridden = replace(data, items=(data.items[0], replace(data.items[1], allergy_override_reason=reason)))
    made = rx.save_prescription(doc, overridden)
    assert made.items[1].allergy_override_reason == reason and made.items[0].allergy_override_reason is None
    audit = audit_actions(doc, "allergy_override")
    assert len(audit) == 1
    assert (audit[0].entity_type, audit[0].entity_id, audit[0].patient_id) == (
        "prescription_items", str(made.items[1].id), kavya.id
    )  # fmt: skip
    assert audit[0].new_values["allergens"] == ["Clavulanic acid"] and audit[0].new_values["reason"] == reason
    # an unchanged overridden line kept through an edit is not overridden (nor audited) again
    rx.update_prescription(doc, made.id, replace(overridden, advice="Plenty of fluids"))
    assert len(audit_actions(doc, "allergy_override")) == 1


def test_allergy_matching_ingredients_classes_case_and_inactive_allergies(day: RxDay) -> None:
    doc, nurse, kavya = day.day.doctor_ctx, day.day.nurse_ctx, day.day.patient
    penicillin = add_allergy(nurse, kavya.id, AllergyInput("Penicillins", kind="drug_class", severity="moderate"))
    aug, mox = day.medicines["Augmentin 625 Duo"], day.medicines["Mox 500"]
    for item in (line(aug), line(mox), line(medicine_name="AMOXICILLIN 250 mg", generic_name="amoxicillin")):
        with pytest.raises(ValidationError, match="Penicillins") as err:
            rx.save_prescription(doc, rx_input(day, item))
        assert err.value.field == "items[0].allergy_override_reason"
    deactivate_allergy(nurse, penicillin.id, "Refuted by skin test")
    assert rx.save_prescription(doc, rx_input(day, line(mox))).items[0].allergy_override_reason is None
    add_allergy(nurse, kavya.id, AllergyInput("peanuts", kind="food"))
    assert allergy_warnings(doc, kavya.id, [line(day.medicines["Dolo 650"])]) == []


def test_a_double_save_makes_one_prescription(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    data = rx_input(day)
    first = rx.save_prescription(doc, data)
    counted = written(doc)
    assert rx.save_prescription(doc, data) == first  # identical save in the same appointment
    assert written(doc) == counted
    key = uuid.uuid4()
    keyed = rx.save_prescription(doc, rx_input(day, line(day.medicines["Mox 500"]), request_id=key))
    counted = written(doc)
    # the same key again (a retry of that save) returns it, even if the screen changed meanwhile
    again = rx.save_prescription(doc, rx_input(day, line(day.medicines["Pan 40"]), request_id=key))
    assert again.id == keyed.id and [i.medicine_name for i in again.items] == ["Mox 500"]
    assert written(doc) == counted
    # another prescription for the same visit is a new one
    other = rx.save_prescription(doc, rx_input(day, line(day.medicines["Pan 40"])))
    assert other.id not in (first.id, keyed.id) and written(doc)["prescriptions"] == 3
    # saving an unchanged prescription again writes no version
    assert rx.update_prescription(doc, first.id, data).version == 1
    assert written(doc)["prescription_versions"] == 3


def test_without_an_appointment_a_double_save_is_caught_within_the_day(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    data = rx_input(day, appointment_id=None)
    first = rx.save_prescription(doc, data)
    assert rx.save_prescription(doc, data).id == first.id
    day.day.clock.advance(days=1)
    assert rx.save_prescription(doc, data).id != first.id  # the next day it is a new prescription


def test_linked_to_the_doctors_consultation(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    visit = start_consultation(doc, day.day.entry.id)
    made = rx.save_prescription(doc, rx_input(day, appointment_id=None, consultation_id=visit.id))
    assert (made.consultation_id, made.appointment_id) == (visit.id, day.day.appointment.id)
    with pytest.raises(ValidationError) as err:
        rx.update_prescription(doc, made.id, rx_input(day, consultation_id=uuid.uuid4()))
    assert err.value.field == "consultation_id"


def test_sending_printing_and_cancelling(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    made = rx.save_prescription(doc, rx_input(day))
    sent = rx.send_to_pharmacy(doc, made.id)
    assert sent.status == "sent_to_pharmacy" and sent.sent_at == day.day.clock.now()
    day.day.clock.advance(minutes=5)
    assert rx.send_to_pharmacy(doc, made.id).sent_at == sent.sent_at  # sending twice changes nothing
    with pytest.raises(ValidationError, match="sent to the pharmacy") as err:
        rx.update_prescription(doc, made.id, rx_input(day, advice="Rest"))
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        rx.cancel_prescription(doc, made.id, "  ")
    assert err.value.field == "reason"
    cancelled = rx.cancel_prescription(doc, made.id, "Patient prefers to buy outside")
    assert cancelled.status == "cancelled" and cancelled.version == 2
    assert versions.versions(doc, made.id)[-1].change_reason == "Cancelled: Patient prefers to buy outside"
    before = written(doc)
    for attempt in (
        lambda: rx.cancel_prescription(doc, made.id, "again"),
        lambda: rx.update_prescription(doc, made.id, rx_input(day, advice="Rest"), reason="x"),
        lambda: rx.send_to_pharmacy(doc, made.id),
        lambda: rx.mark_printed(doc, made.id),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert written(doc) == before
    assert rx.prescriptions_for(doc, day.day.patient.id, include_cancelled=False) == []


def test_a_dispensed_prescription_cannot_be_cancelled_or_changed(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    made = rx.send_to_pharmacy(doc, rx.save_prescription(doc, rx_input(day)).id)
    with day.day.system.transaction() as tx:  # as the pharmacy's dispensing leaves it
        row = tx.session.get(Prescription, made.id)
        assert row is not None
        row.status = "dispensed"
        tx.commit()
    with pytest.raises(Conflict, match="dispensed"):
        rx.cancel_prescription(doc, made.id, "changed my mind")
    with pytest.raises(Conflict, match="dispensed"):
        rx.update_prescription(doc, made.id, rx_input(day, advice="Rest"), reason="late change")


def test_a_patients_prescriptions_newest_first(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    first = rx.save_prescription(doc, rx_input(day))
    day.day.clock.advance(minutes=10)
    second = rx.save_prescription(doc, rx_input(day, line(day.medicines["Pan 40"])))
    assert [p.code for p in rx.prescriptions_for(day.day.nurse_ctx, day.day.patient.id)] == [second.code, first.code]
    with doc.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(Prescription)) == 2


def test_items_given_free_text_keep_what_the_doctor_typed(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    made = rx.save_prescription(
        doc,
        rx_input(day, PrescriptionItemInput(medicine_name="Betamethasone valerate cream", generic_name="Betamethasone",
                                            strength="0.1%", dosage="apply thinly", frequency="BD", duration_days=7,
                                            route="topical", quantity=1)),
    )  # fmt: skip
    item = made.items[0]
    assert (item.medicine_id, item.route, item.quantity, item.food_timing) == (None, "topical", 1, "any")
