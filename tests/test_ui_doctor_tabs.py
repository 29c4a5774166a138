"""Three tabs of the Doctor dock, driven through their widgets for an open visit (Kavya Nair, 10:00 with Dr Meera
Iyer, built with the reception services): vitals refused next to the field and saved once on a double click,
allergies added and deactivated, lab tests found as you type and ordered (and cancelled, and a verified one's
report), an eye prescription refused under the cell the error names, then saved and transposed, and printed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from db.models.clinical import Charge, PatientAllergy, Vitals
from db.models.lab import LabOrder
from db.models.optical import OpticalPrescription
from hms_desktop.context import Context
from hms_desktop.services.clinical.lab_catalog import list_lab_tests, load_demo_lab_tests
from hms_desktop.services.clinical.lab_orders import collect_sample, order_lab_tests
from hms_desktop.services.clinical.lab_results import enter_result, verify_result
from hms_desktop.storage.store import Store
from tests.clinical_fixtures import ClinicalDay, clinical_day, signed_in
from tests.lab_fixtures import hb_only
from ui import clinic_time
from ui.docks.doctor.eye_tab import EyeTab
from ui.docks.doctor.lab_tab import LabTab
from ui.docks.doctor.visit import Visit
from ui.docks.doctor.vitals_tab import VitalsTab
from ui.qt import QInputDialog, QMessageBox, Qt, QTableWidgetItem, QTest, QWidget
from ui.session import AppSession
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
MEERA = "meera@sunrise.example.in"
WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2] if len(a) > 2 else ''}")
        )
    return shown


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the reason prompts (QInputDialog.getText) answer, first to last (then: cancelled)."""
    given: list[str] = []

    def get_text(*_a: Any, **_k: Any) -> tuple[str, bool]:
        return (given.pop(0), True) if given else ("", False)

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return given


@pytest.fixture
def day(system_ctx: Context, make_user: Any) -> ClinicalDay:
    return clinical_day(system_ctx, make_user)


def session_of(store: Store, day: ClinicalDay, email: str = MEERA) -> AppSession:
    session = AppSession.open(store)
    session.base = replace(session.base, clock=day.clock)
    session.login(email, PASSWORD)
    clinic_time.follow(session)
    return session


def visit_of(day: ClinicalDay) -> Visit:
    p = day.patient
    return Visit(patient_id=p.id, patient_name=p.full_name, patient_code=p.code, appointment_id=day.appointment.id,
                 consultation_id=None, doctor_id=day.doctor.id)  # fmt: skip


def opened(qtbot: Any, tab: QWidget, visit: Visit | None) -> Any:
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow, timeout=WAIT)
    tab.set_visit(visit)  # type: ignore[attr-defined]
    return tab


def count(ctx: Context, model: Any) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


def hold_worker() -> threading.Event:
    """Keep the DB worker busy until the event is set: an action clicked meanwhile is still on its way."""
    hold = threading.Event()
    worker().submit(lambda: hold.wait(5))
    return hold


def double_click(button: QWidget) -> None:
    """The two clicks a double click delivers to a button (QTest.mouseDClick sends a double-click event alone,
    which a push button does not take as a click)."""
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


# --- vitals


def test_implausible_vitals_are_refused_next_to_the_field_and_good_ones_saved_once(
    qtbot: Any, store: Store, day: ClinicalDay, no_dialogs: list[str]
) -> None:
    tab = opened(qtbot, VitalsTab(session_of(store, day)), visit_of(day))
    qtbot.waitUntil(lambda: "No vitals recorded" in tab.latest_label.text(), timeout=WAIT)
    assert tab.temperature_unit.currentData() == "F"  # the clinic writes 98.6 F
    QTest.keyClicks(tab.systolic, "400")
    QTest.keyClicks(tab.diastolic, "20")
    QTest.keyClick(tab.diastolic, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: tab.errors.message_for("systolic_mmhg") != "", timeout=WAIT)
    assert tab.errors.message_for("systolic_mmhg") == (
        "Systolic blood pressure of 400 mmHg is not plausible; it is from 50 to 300 mmHg."
    )
    assert tab.systolic.hasFocus() and count(day.system, Vitals) == 0

    for edit in tab.readings():
        edit.clear()
    for edit, text in ((tab.systolic, "120"), (tab.diastolic, "80"), (tab.pulse, "72"), (tab.temperature, "98.6"),
                       (tab.spo2, "98"), (tab.weight_kg, "70"), (tab.height_cm, "172")):  # fmt: skip
        QTest.keyClicks(edit, text)
    hold = hold_worker()
    double_click(tab.save_button)
    assert not tab.save_button.isEnabled()  # on its way
    hold.set()
    qtbot.waitUntil(lambda: "BMI" in tab.latest_label.text(), timeout=WAIT)
    assert tab.latest_label.text() == (
        "<b>Latest:</b> BP 120/80 mmHg, pulse 72, 98.6 F, SpO2 98%, 70 kg, 172 cm, BMI 23.7, recorded 10:00 by you"
    )
    assert tab.errors.message_for("systolic_mmhg") == "" and tab.systolic.text() == ""
    with day.system.transaction(readonly=True) as tx:
        rows = list(tx.session.scalars(select(Vitals)))
        assert len(rows) == 1  # a double click saved once
        assert (rows[0].temperature_tenths_c, rows[0].bmi_tenths, rows[0].weight_grams) == (370, 237, 70_000)
        assert rows[0].appointment_id == day.appointment.id
    tab.temperature_unit.setCurrentIndex(tab.temperature_unit.findData("C"))
    assert "37.0 C" in tab.latest_label.text()
    assert not no_dialogs


def test_allergies_are_added_refused_when_repeated_and_deactivated_with_a_reason(
    qtbot: Any, store: Store, day: ClinicalDay, no_dialogs: list[str], answers: list[str]
) -> None:
    tab = opened(qtbot, VitalsTab(session_of(store, day)), visit_of(day))
    QTest.keyClicks(tab.allergen, "Penicillins")
    tab.kind.setCurrentIndex(tab.kind.findData("drug_class"))
    QTest.keyClicks(tab.reaction, "Rash and itching")
    tab.severity.setCurrentIndex(tab.severity.findData("severe"))
    QTest.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.allergy_table.rowCount() == 1, timeout=WAIT)
    assert [tab.allergy_table.item(0, c).text() for c in range(4)] == [
        "Penicillins", "Drug class", "Rash and itching", "severe",
    ]  # fmt: skip
    assert tab.allergen.text() == "" and tab.allergen.hasFocus()

    QTest.keyClicks(tab.allergen, "penicillins")
    QTest.keyClick(tab.allergen, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.allergy_errors.message_for("allergen") != "", timeout=WAIT)
    assert (
        tab.allergy_errors.message_for("allergen") == "An allergy to Penicillins is already recorded for this patient."
    )
    assert count(day.system, PatientAllergy) == 1

    tab.allergy_table.selectRow(0)
    assert tab.deactivate_button.isEnabled()
    answers.append("Refuted: took amoxicillin without a reaction in 2025")
    QTest.mouseClick(tab.deactivate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tab.allergy_table.item(0, 5) or QTableWidgetItem()).text() == "deactivated", timeout=WAIT)
    with day.system.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(PatientAllergy.is_active)) is False
    assert not tab.deactivate_button.isEnabled()
    assert not no_dialogs


def test_a_receptionist_sees_the_readings_but_no_save_or_add(qtbot: Any, store: Store, day: ClinicalDay) -> None:
    session = session_of(store, day, "desk@sunrise.example.in")
    tab = opened(qtbot, VitalsTab(session), visit_of(day))
    assert tab.save_button.isHidden() and tab.add_button.isHidden() and tab.deactivate_button.isHidden()
    assert tab.systolic.isReadOnly()


def test_without_a_visit_the_tabs_are_empty_and_disabled(qtbot: Any, store: Store, day: ClinicalDay) -> None:
    session = session_of(store, day)
    for cls in (VitalsTab, LabTab, EyeTab):
        tab = opened(qtbot, cls(session), None)
        assert not tab.isEnabled()
        tab.set_visit(visit_of(day))
        assert tab.isEnabled()
        tab.set_visit(None)
        assert not tab.isEnabled()


# --- lab


def test_lab_tests_found_as_you_type_are_ordered_cancelled_and_a_verified_report_previewed(
    qtbot: Any, store: Store, day: ClinicalDay, make_user: Any, no_dialogs: list[str], answers: list[str],
    previews: list[Any],
) -> None:  # fmt: skip
    load_demo_lab_tests(day.system)
    tab = opened(qtbot, LabTab(session_of(store, day)), visit_of(day))
    assert not tab.order_button.isEnabled()  # nothing chosen
    QTest.keyClicks(tab.search, "CBC")
    QTest.keyClick(tab.search, Qt.Key.Key_Return)  # faster than the search: the first test found is added
    qtbot.waitUntil(lambda: len(tab.chosen) == 1, timeout=WAIT)
    assert tab.chosen[0].code == "CBC" and tab.search.text() == ""
    QTest.keyClicks(tab.search, "sugar")
    qtbot.waitUntil(lambda: len(tab.hits_shown) >= 3 and tab.hits_for == "sugar", timeout=WAIT)
    fbs = next(i for i, t in enumerate(tab.hits_shown) if t.code == "FBS")
    tab.hits.setCurrentRow(fbs)
    QTest.keyClick(tab.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [t.code for t in tab.chosen] == ["CBC", "FBS"], timeout=WAIT)
    assert tab.chosen_table.item(1, 3).text() == "80.00" and tab.total.text() == "2 tests, total Rs 380.00"
    tab.priority.setCurrentIndex(tab.priority.findData("urgent"))
    QTest.keyClicks(tab.notes, "Fasting since 10 pm")
    QTest.mouseClick(tab.order_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.orders_table.rowCount() == 2, timeout=WAIT)
    assert "Ordered: LAB-2026-" in tab.ordered_label.text() and tab.chosen == []
    with day.system.transaction(readonly=True) as tx:
        orders = list(tx.session.scalars(select(LabOrder).order_by(LabOrder.code)))
        assert [(o.test_name, o.priority, o.appointment_id) for o in orders] == [
            ("Complete Blood Count (CBC)", "urgent", day.appointment.id),
            ("Fasting Blood Sugar (FBS)", "urgent", day.appointment.id),
        ]
        assert [o.notes for o in orders] == ["Fasting since 10 pm"] * 2
    assert count(day.system, Charge) == 2

    QTest.keyClicks(tab.search, "CBC")  # again at this visit: refused, nothing written
    QTest.keyClick(tab.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.chosen) == 1, timeout=WAIT)
    QTest.mouseClick(tab.order_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already ordered for this visit" in tab.order_message.text(), timeout=WAIT)
    assert count(day.system, LabOrder) == 2 and tab.order_button.isEnabled()

    fbs_row = next(r for r in range(2) if tab.orders_table.item(r, 2).text().startswith("Fasting"))
    tab.orders_table.selectRow(fbs_row)
    assert tab.cancel_button.isEnabled() and not tab.report_button.isEnabled()
    answers.append("Patient had breakfast")
    QTest.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.orders_table.item(fbs_row, 4).text() == "Cancelled", timeout=WAIT)
    assert tab.orders_table.item(fbs_row, 6).text() == "Patient had breakfast"

    ravi = signed_in(day.system, make_user("Lab Technician", email="ravi@sunrise.example.in", name="Ravi Kumar").id)
    sunita = signed_in(day.system, make_user("Lab Technician", email="sunita@sunrise.example.in").id)
    cbc = next(o for o in orders if o.test_name.startswith("Complete"))
    collect_sample(ravi, cbc.id)
    enter_result(ravi, cbc.id, hb_only("9.1"), "Mild anaemia.")
    verify_result(sunita, cbc.id)  # the broadcast refreshes the tab
    cbc_row = 1 - fbs_row
    qtbot.waitUntil(lambda: tab.orders_table.item(cbc_row, 4).text() == "Verified", timeout=WAIT)
    assert tab.orders_table.item(cbc_row, 5).text() == "Abnormal"
    assert tab.orders_table.item(cbc_row, 6).text() == "Mild anaemia."
    tab.orders_table.selectRow(cbc_row)
    assert tab.report_button.isEnabled() and not tab.cancel_button.isEnabled()
    assert "Haemoglobin: 9.1 g/dL  L  (12 - 15)" in tab.values.text()
    QTest.mouseClick(tab.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, _size = previews[0]
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert title == f"Lab report {cbc.code}" and "Kavya Nair" in text and "Haemoglobin" in text
    assert not no_dialogs
    assert list_lab_tests(day.system)  # the catalog is untouched by ordering


def test_a_nurse_sees_the_lab_orders_but_cannot_order(qtbot: Any, store: Store, day: ClinicalDay) -> None:
    load_demo_lab_tests(day.system)
    cbc = next(t for t in list_lab_tests(day.system) if t.code == "CBC")
    order_lab_tests(day.doctor_ctx, day.patient.id, [cbc.id], day.appointment.id)
    tab = opened(qtbot, LabTab(session_of(store, day, "lata@sunrise.example.in")), visit_of(day))
    qtbot.waitUntil(lambda: tab.orders_table.rowCount() == 1, timeout=WAIT)
    assert tab.order_box.isHidden() and tab.cancel_button.isHidden()


# --- eye prescription


def test_an_eye_prescription_is_refused_under_the_cell_then_saved_transposed_and_printed(
    qtbot: Any, store: Store, day: ClinicalDay, no_dialogs: list[str], previews: list[Any]
) -> None:
    tab = opened(qtbot, EyeTab(session_of(store, day)), visit_of(day))
    qtbot.waitUntil(lambda: tab.history_title.text() == "No eye prescription yet", timeout=WAIT)
    right, left = tab.cells["right"], tab.cells["left"]
    QTest.keyClicks(right["sphere"], "-0.50")
    QTest.keyClick(right["sphere"], Qt.Key.Key_Return)  # Enter: the next cell
    assert right["cylinder"].hasFocus()
    QTest.keyClicks(right["cylinder"], "+1.25")
    QTest.keyClicks(right["axis"], "180")
    right["distance_va"].setCurrentIndex(right["distance_va"].findData("6/9"))
    QTest.keyClicks(left["sphere"], "-0.75")
    QTest.keyClicks(left["cylinder"], "-0.25")
    QTest.keyClicks(left["axis"], "181")
    QTest.keyClicks(tab.pd, "62")
    QTest.keyClicks(tab.lens, "Single vision, anti-glare")
    QTest.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.message_for("left_axis") != "", timeout=WAIT)
    assert tab.message_for("left_axis") == "Axis runs from 1 to 180 degrees."
    assert left["axis"].hasFocus() and left["axis"].styleSheet() and not right["axis"].styleSheet()
    assert tab.message_for("right_axis") == "" and count(day.system, OpticalPrescription) == 0

    left["axis"].clear()
    QTest.keyClicks(left["axis"], "90")
    hold = hold_worker()
    double_click(tab.save_button)
    assert not tab.save_button.isEnabled()
    hold.set()
    qtbot.waitUntil(lambda: "Transposed" in tab.result.text(), timeout=WAIT)
    assert "Transposed: R +0.75 / -1.25 x 90; L -1.00 / +0.25 x 180" in tab.result.text()
    assert tab.message_for("left_axis") == "" and not left["axis"].styleSheet()
    QTest.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)  # nothing changed since: no second prescription
    with day.system.transaction(readonly=True) as tx:
        rows = list(tx.session.scalars(select(OpticalPrescription)))
        assert len(rows) == 1
        rx = rows[0]
        assert (rx.right_sphere, rx.right_cylinder, rx.right_axis, rx.right_visual_acuity) == (-50, 125, 180, "6/9")
        assert (rx.left_sphere, rx.left_cylinder, rx.left_axis, rx.pd_mm_tenths) == (-75, -25, 90, 620)
        assert rx.appointment_id == day.appointment.id and rx.lens_recommendation == "Single vision, anti-glare"
    qtbot.waitUntil(lambda: tab.history_table.rowCount() == 1, timeout=WAIT)
    assert tab.history_table.item(0, 0).text() == rx.code
    assert (
        tab.history_table.item(0, 2).text() == "-0.50 / +1.25 x 180" and tab.history_table.item(0, 5).text() == "62.0"
    )
    assert "R: 6/9 / -" in tab.history_table.item(0, 2).toolTip()

    QTest.mouseClick(tab.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Eye prescription {rx.code}" and size == (148.0, 210.0)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert rx.code in text and "Kavya Nair" in text and "-0.50" in text
    left["sphere"].clear()
    QTest.keyClicks(left["sphere"], "-1.00")  # an edit: Save again writes a new one
    assert tab.save_button.isEnabled()
    assert not no_dialogs
