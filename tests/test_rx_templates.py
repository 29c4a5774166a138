"""Prescription templates: a doctor's own and the clinic's shared ones, saved from given lines or from a
prescription, listed (own + shared), applied as editable lines, renamed and deactivated; another doctor's own
template refused (audited); duplicate names per owner refused; bad lines refused with nothing written."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from db.models.pharmacy import Medicine
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.clinical import rx_templates as tpl
from tests.rx_fixtures import RxDay, audit_actions, line, rx_day, rx_input, written


@pytest.fixture
def day(system_ctx, make_user) -> RxDay:  # type: ignore[no-untyped-def]
    return rx_day(system_ctx, make_user)


def fever_lines(day: RxDay) -> list:  # type: ignore[type-arg]
    return [
        line(day.medicines["Dolo 650"], frequency="1-1-1", duration_days=3),
        line(day.medicines["Okacet"], frequency="HS", duration_days=5, food_timing="any"),
        line(day.medicines["Electral"], dosage="1 sachet", frequency="SOS", duration_days=3, quantity=5,
             instructions="Dissolve in 1 litre of water"),
    ]  # fmt: skip


def test_own_and_shared_templates_and_applying_one(day: RxDay) -> None:
    meera, rahul = day.day.doctor_ctx, day.day.other_doctor_ctx
    own = tpl.save_template(meera, "Viral fever - adult", items=fever_lines(day), diagnosis="Viral fever",
                            advice="Fluids, rest")  # fmt: skip
    assert (own.doctor_id, own.owner_name, own.is_shared, own.is_active) == (day.day.doctor.id, "Dr Meera Iyer",
                                                                             False, True)  # fmt: skip
    # the quantity is kept only where the doctor must give it (SOS): others are worked out when used
    assert [(i.medicine_name, i.frequency, i.quantity) for i in own.items] == [
        ("Dolo 650", "1-1-1", 0), ("Okacet", "HS", 0), ("Electral", "SOS", 5)
    ]  # fmt: skip
    shared = tpl.save_template(rahul, "Acidity", items=[line(day.medicines["Pan 40"], frequency="OD",
                               food_timing="before_food")], shared=True)  # fmt: skip
    assert shared.doctor_id is None and shared.owner_name == "Shared"
    rahuls = tpl.save_template(rahul, "Sprain", items=[line(day.medicines["Brufen 400"], frequency="TDS")])
    assert [t.name for t in tpl.list_templates(meera)] == ["Viral fever - adult", "Acidity"]
    assert [t.name for t in tpl.list_templates(rahul)] == ["Sprain", "Acidity"]
    assert [t.name for t in tpl.list_templates(day.day.nurse_ctx)] == ["Acidity"]  # not a doctor: shared only
    applied = tpl.apply_template(meera, own.id)
    assert applied.diagnosis == "Viral fever" and applied.advice == "Fluids, rest" and applied.warnings == ()
    # the lines go straight into a prescription (the screen may edit them first)
    made = rx.save_prescription(meera, rx_input(day, *applied.items, diagnosis=applied.diagnosis))
    assert [(i.medicine_name, i.quantity) for i in made.items] == [("Dolo 650", 9), ("Okacet", 5), ("Electral", 5)]
    assert tpl.apply_template(meera, shared.id).items[0].food_timing == "before_food"
    before = written(meera)
    with pytest.raises(PermissionDenied, match="Dr Rahul Menon's own"):
        tpl.apply_template(meera, rahuls.id)
    with pytest.raises(PermissionDenied):
        tpl.rename_template(meera, rahuls.id, "Mine now")
    with pytest.raises(PermissionDenied):
        tpl.deactivate_template(meera, rahuls.id)
    assert written(meera) == before
    denied = audit_actions(meera, "permission_denied")
    assert [(a.entity_type, a.entity_id) for a in denied] == [("prescription_templates", str(rahuls.id))] * 3
    assert tpl.list_templates(rahul)[0].name == "Sprain"


def test_a_template_from_a_prescription(day: RxDay) -> None:
    meera = day.day.doctor_ctx
    made = rx.save_prescription(meera, rx_input(day, *fever_lines(day)))
    saved = tpl.save_template(meera, "Fever from RX", rx_id=made.id)
    assert [(i.medicine_id, i.frequency, i.duration_days, i.quantity) for i in saved.items] == [
        (day.medicines["Dolo 650"], "1-1-1", 3, 0), (day.medicines["Okacet"], "HS", 5, 0),
        (day.medicines["Electral"], "SOS", 3, 5),
    ]  # fmt: skip
    with pytest.raises(ValidationError) as err:
        tpl.save_template(meera, "Both", rx_id=made.id, items=fever_lines(day))
    assert err.value.field == "items"


def test_names_lines_and_owners_are_checked_and_nothing_is_written(day: RxDay) -> None:
    meera, rahul = day.day.doctor_ctx, day.day.other_doctor_ctx
    tpl.save_template(meera, "Viral fever", items=fever_lines(day))
    tpl.save_template(meera, "Clinic fever", items=fever_lines(day), shared=True)
    before = written(meera)
    cases = [
        (lambda: tpl.save_template(meera, "viral FEVER", items=fever_lines(day)), "name", "already have"),
        (lambda: tpl.save_template(rahul, "clinic fever", items=fever_lines(day), shared=True), "name", "shared"),
        (lambda: tpl.save_template(meera, "  ", items=fever_lines(day)), "name", "required"),
        (lambda: tpl.save_template(meera, "Empty", items=[]), "items", "at least one"),
        (lambda: tpl.save_template(meera, "Bad", items=[line(day.medicines["Dolo 650"], frequency="sometimes")]),
         "items[0].frequency", "not a frequency"),
        (lambda: tpl.save_template(meera, "Long", items=[line(day.medicines["Dolo 650"], duration_days=400)]),
         "items[0].duration_days", "365"),
        (lambda: tpl.save_template(day.day.system, "Admin's own", items=fever_lines(day)), "shared", "shared"),
        (lambda: tpl.save_template(meera, "From nowhere", rx_id=uuid.uuid4()), "rx_id", "No such"),
    ]  # fmt: skip
    for attempt, field, message in cases:
        with pytest.raises(ValidationError) as err:
            attempt()
        assert err.value.field == field and message in err.value.message, (field, err.value.message)
    assert written(meera) == before
    # the same name is fine for another owner
    assert tpl.save_template(rahul, "Viral fever", items=fever_lines(day)).owner_name == "Dr Rahul Menon"
    with pytest.raises(PermissionDenied):
        tpl.save_template(day.day.nurse_ctx, "Nurse's", items=fever_lines(day), shared=True)


def test_rename_and_deactivate(day: RxDay) -> None:
    meera = day.day.doctor_ctx
    a = tpl.save_template(meera, "Fever", items=fever_lines(day))
    b = tpl.save_template(meera, "Cough", items=fever_lines(day))
    with pytest.raises(ValidationError, match="already have") as err:
        tpl.rename_template(meera, b.id, "FEVER")
    assert err.value.field == "name"
    assert tpl.rename_template(meera, b.id, "Dry cough").name == "Dry cough"
    gone = tpl.deactivate_template(meera, a.id)
    assert not gone.is_active and tpl.deactivate_template(meera, a.id) == gone
    assert [t.name for t in tpl.list_templates(meera)] == ["Dry cough"]
    assert [t.name for t in tpl.list_templates(meera, include_inactive=True)] == ["Dry cough", "Fever"]
    with pytest.raises(Conflict, match="no longer in use"):
        tpl.apply_template(meera, a.id)
    # the name of a template out of use is free again
    assert tpl.save_template(meera, "Fever", items=fever_lines(day)).is_active


def test_a_medicine_gone_from_the_catalogue_is_kept_by_name(day: RxDay) -> None:
    meera = day.day.doctor_ctx
    saved = tpl.save_template(meera, "Fever", items=fever_lines(day))
    with day.day.system.transaction() as tx:
        okacet = tx.session.get(Medicine, day.medicines["Okacet"])
        assert okacet is not None
        okacet.is_active = False
        tx.commit()
    applied = tpl.apply_template(meera, saved.id)
    assert applied.items[1].medicine_id is None and applied.items[1].medicine_name == "Okacet"
    assert applied.warnings == ("Okacet is no longer in the catalogue; it is kept as free text.",)
    assert replace(applied.items[0]) == saved.items[0]
