"""The doctor's day through the Doctor dock's widgets (offscreen): the nurse's vitals are on screen, the doctor
calls the next token, codes a diagnosis, writes a prescription from a template, prints it, orders a lab test,
sends the prescription to the pharmacy and completes the visit (the follow-up is booked); the pharmacy's list
shows the prescription, and the lab's verified result appears in the doctor's history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from db.models.clinical import Charge, Consultation
from db.models.scheduling import Appointment, AppointmentQueueEntry
from hms_desktop.services.clinical.lab_catalog import load_demo_lab_tests
from hms_desktop.services.clinical.lab_orders import collect_sample
from hms_desktop.services.clinical.lab_results import ResultValueInput, enter_result, lab_orders_for, verify_result
from hms_desktop.services.clinical.medicine_search import load_demo_catalog, search_medicines
from hms_desktop.services.clinical.prescription_input import PrescriptionItemInput
from hms_desktop.services.clinical.rx_templates import save_template
from hms_desktop.services.clinical.vitals import VitalsInput, record_vitals
from hms_desktop.services.pharmacy.to_dispense import to_dispense
from hms_desktop.storage.store import Store
from tests.clinical_fixtures import MONDAY, clinical_day, signed_in
from tests.ui_support import signed_in_window
from ui.qt import QInputDialog, QMessageBox, QPushButton, Qt, QTest


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question answered Yes; message boxes recorded instead of shown."""
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2]}"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return shown


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_a_doctor_sees_a_patient_end_to_end(
    qtbot: Any, store: Store, system_ctx: Any, make_user: Any, tmp_path: Path, answers: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    day = clinical_day(system_ctx, make_user)
    load_demo_catalog(day.system)
    load_demo_lab_tests(day.system)
    record_vitals(
        day.nurse_ctx,
        day.patient.id,
        VitalsInput(systolic_mmhg=124, diastolic_mmhg=82, pulse_bpm=88, temperature=Decimal("100.4"),
                    temperature_unit="F", spo2_percent=97, weight_kg=Decimal("62"), height_cm=Decimal("160")),
        appointment_id=day.appointment.id,
    )  # fmt: skip
    dolo = next(h for h in search_medicines(day.doctor_ctx, "dolo") if "650" in h.strength)
    save_template(
        day.doctor_ctx,
        "Viral fever, adult",
        items=[PrescriptionItemInput(medicine_id=dolo.id, medicine_name=dolo.brand, generic_name=dolo.generic_name,
                                     strength=dolo.strength, dosage="1 tab", frequency="1-1-1", duration_days=3,
                                     food_timing="after_food", instructions="for fever above 100 F")],
        advice="Plenty of fluids.",
    )  # fmt: skip
    printed: list[bytes] = []
    monkeypatch.setattr("ui.print_preview.preview_pdf", lambda _p, pdf, *_a, **_k: printed.append(pdf))

    window = signed_in_window(qtbot, store, tmp_path, "meera@sunrise.example.in", "Marigold-Ledger-2026",
                              clock=day.clock)  # fmt: skip
    assert "doctor" in window.offered()
    dock = window.dock_widget("doctor")
    qtbot.waitUntil(lambda: dock.queue.table.rowCount() == 1, timeout=5000)
    assert dock.queue.table.item(0, 1).text() == "Kavya Nair"

    # Call next (F9): token 1 is called and opened; the consultation starts
    QTest.mouseClick(dock.queue.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.visit is not None and dock.visit.consultation_id is not None, timeout=5000)
    qtbot.waitUntil(lambda: "Kavya Nair" in dock.patient.title.text(), timeout=5000)
    qtbot.waitUntil(lambda: "BP 124/82" in dock.patient.vitals.text(), timeout=5000)
    assert "100.4 F (38.0 C)" in dock.patient.vitals.text()  # 100.4 F as the nurse typed it

    # a coded diagnosis, searched as you type
    consult = dock.consult
    QTest.keyClicks(consult.complaint, "Fever and cough for 3 days")
    QTest.keyClicks(consult.dx_search, "J06.9")
    qtbot.waitUntil(lambda: consult.dx_hits.count() >= 1, timeout=5000)
    QTest.keyClick(consult.dx_search, Qt.Key.Key_Return)
    assert consult.diagnosis_inputs()[0].icd10_code == "J06.9"
    one_week = next(b for b in consult.findChildren(QPushButton) if b.text() == "1 week")
    QTest.mouseClick(one_week, Qt.MouseButton.LeftButton)  # follow-up in a week

    # the prescription from the template, then printed
    rx = dock.rx
    dock.tabs.setCurrentWidget(rx)
    qtbot.waitUntil(lambda: rx.templates.count() == 1, timeout=5000)
    rx.apply_template()
    qtbot.waitUntil(lambda: rx.table.rowCount() == 1, timeout=5000)
    QTest.mouseClick(rx.save_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(rx.save_button, Qt.MouseButton.LeftButton)  # a double click saves once
    qtbot.waitUntil(lambda: rx.rx is not None, timeout=5000)
    assert rx.rx is not None and rx.rx.code.startswith("RX")
    QTest.mouseClick(rx.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(printed) == 1, timeout=10000)
    text = pdf_text(printed[0])
    assert "PARACETAMOL" in text and "Kavya Nair" in text and "Acute upper respiratory infection" in text

    # a lab test ordered for the visit
    lab = dock.lab
    dock.tabs.setCurrentWidget(lab)
    QTest.keyClicks(lab.search, "CBC")
    qtbot.waitUntil(lambda: lab.hits.count() >= 1, timeout=5000)
    QTest.keyClick(lab.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lab.chosen_table.rowCount() == 1, timeout=5000)
    QTest.mouseClick(lab.order_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(lab_orders_for(day.doctor_ctx, day.patient.id)) == 1, timeout=5000)

    # sent to the pharmacy
    dock.tabs.setCurrentWidget(rx)
    QTest.mouseClick(rx.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rx.rx is not None and rx.rx.sent_at is not None, timeout=5000)
    pharmacist = make_user("Pharmacist", email="pharma@sunrise.example.in", name="Asha Pharma")
    listed = to_dispense(signed_in(day.system, pharmacist.id))
    assert [e.code for e in listed] == [rx.rx.code]

    # complete the visit: the queue and appointment close, the fee is charged, the follow-up is booked
    QTest.mouseClick(dock.complete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.visit is None, timeout=5000)
    qtbot.waitUntil(lambda: "Follow-up booked" in dock.note.text(), timeout=5000)
    with day.system.transaction(readonly=True) as tx:
        s = tx.session
        assert s.scalar(select(Consultation.status)) == "completed"
        assert s.scalar(select(AppointmentQueueEntry.status)) == "done"
        assert s.get(Appointment, day.appointment.id).status == "completed"  # type: ignore[union-attr]
        follow = s.scalars(select(Appointment).where(Appointment.appointment_type == "follow_up")).one()
        assert (follow.appointment_date - MONDAY).days == 7
        assert s.scalar(select(func.count()).select_from(Charge).where(Charge.source_type == "consultation")) == 1
    assert not [m for m in answers if m.startswith("critical")]

    # the lab: collected, entered by one technician, verified by another; the doctor's history shows it
    tech1 = make_user("Lab Technician", email="lab1@sunrise.example.in", name="Ravi Lab")
    tech2 = make_user("Lab Technician", email="lab2@sunrise.example.in", name="Sunita Lab")
    t1, t2 = signed_in(day.system, tech1.id), signed_in(day.system, tech2.id)
    order = lab_orders_for(day.doctor_ctx, day.patient.id)[0]
    collect_sample(t1, order.id)
    values = [ResultValueInput(p.name, a_value(p)) for p in order_params(t1, order)]
    enter_result(t1, order.id, values, summary="Mild anaemia")
    verify_result(t2, order.id)
    dock.patient.set_patient(day.patient.id)
    qtbot.waitUntil(lambda: _history_mentions(dock, "Mild anaemia"), timeout=5000)


def order_params(ctx: Any, order: Any) -> list[Any]:
    from hms_desktop.services.clinical.lab_catalog import get_lab_test

    return list(get_lab_test(ctx, order.lab_test_id).parameters)


def a_value(p: Any) -> str:
    """Haemoglobin low (11.2), every other number inside its first range, text the normal value."""
    if p.kind != "numeric":
        return (p.normal_values or p.choices or ("Normal",))[0]  # type: ignore[no-any-return]
    if "aemoglobin" in p.name:
        return "11.2"
    r = p.ranges[0]
    return r.low if r.low is not None else (r.high or "1")  # type: ignore[no-any-return]


def _history_mentions(dock: Any, text: str) -> bool:
    tree = dock.patient.history
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            if text in top.child(j).text(1):
                return True
    return False


def test_a_receptionist_is_not_offered_the_doctor_dock(
    qtbot: Any, store: Store, make_user: Any, tmp_path: Path
) -> None:
    make_user("Receptionist", email="desk@sunrise.example.in", password="Saffron-Teapot-2027")
    window = signed_in_window(qtbot, store, tmp_path, "desk@sunrise.example.in", "Saffron-Teapot-2027")
    assert "doctor" not in window.offered()


_ = QInputDialog  # the amendment and allergy questions are driven in the prescription service tests
