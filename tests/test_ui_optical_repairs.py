"""The Optical dock's Repairs tab, driven as Omkar (Optical Staff) works it over a real store: a repair logged for
Kavya through the form (the patient found by name, the estimate typed in rupees), the estimate approved by phone,
the work started, stopped for a part and resumed, marked ready (the charge left for billing), the slip printed
(its PDF read back), the item delivered; Deliver not offered before the patient approves; a revised estimate
approved again; refusals in the service's words under their fields; an overdue repair in red and in words."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.ids import uuid7
from db.models.clinical import Charge
from db.models.optical import OpticalRepair
from hms_desktop.context import Context
from hms_desktop.services.optical.repairs import RepairInput, approve_estimate, log_repair
from hms_desktop.storage.store import Store
from tests.optical_fixtures import OpticalDay, optical_day
from tests.reception_fixtures import MONDAY
from tests.ui_support import signed_in_window
from ui.main_window import MainWindow
from ui.qt import QBrush, QMessageBox, Qt, QTest
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
OMKAR = "omkar@sunrise.example.in"
WAIT = 5000
ITEM = "Titan TE-1021 black frame with lenses"
FAULT = "Left hinge broken"


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2:3]}"))
    return shown


@pytest.fixture
def day(system_ctx: Context, make_user: Any) -> OpticalDay:
    return optical_day(system_ctx, make_user)


def repairs_tab(qtbot: Any, store: Store, tmp_path: Path, day: OpticalDay) -> tuple[MainWindow, Any]:
    window = signed_in_window(qtbot, store, tmp_path, OMKAR, PASSWORD, clock=day.day.clock)
    tab = window.dock_widget("optical").show_tab("Repairs")
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    return window, tab


def stored(ctx: Context, repair_id: uuid.UUID) -> OpticalRepair:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(OpticalRepair).where(OpticalRepair.id == repair_id)).one()
        tx.session.expunge(row)
        return row


def charged(ctx: Context, repair_id: uuid.UUID) -> list[tuple[int, int, str]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(Charge).where(Charge.source_id == repair_id).order_by(Charge.line_no))
        return [(c.line_no, c.unit_price_paise, c.status) for c in rows]


def type_into(widget: Any, text: str, enter: bool = False) -> None:
    widget.setFocus()
    QTest.keyClicks(widget, text)
    if enter:
        QTest.keyClick(widget, Qt.Key.Key_Return)


def click(qtbot: Any, button: Any) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=WAIT)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def logged_by_service(day: OpticalDay, **kw: Any) -> Any:
    data = RepairInput(patient_id=day.patient_id, item_description=ITEM, issue_description=FAULT, parts="200",
                       labour="150", **kw)  # fmt: skip
    return log_repair(day.optician, data, request_id=uuid7())


def test_a_repair_from_the_counter_to_the_patients_hands(
    qtbot: Any, store: Store, day: OpticalDay, tmp_path: Path, no_dialogs: list[str], previews: list[Any]
) -> None:
    window, tab = repairs_tab(qtbot, store, tmp_path, day)
    qtbot.waitUntil(lambda: tab.count.text() == "0 open", timeout=WAIT)
    QTest.keyClick(tab.list, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # Alt+N: the form
    form, detail = tab.form, tab.detail
    assert form.isVisible() and form.patient.search.hasFocus()
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.patient.patient is not None, timeout=WAIT)
    assert "Kavya Nair" in form.patient.current.text()
    type_into(form.item, ITEM)
    form.whose.setCurrentIndex(1)  # bought here
    type_into(form.fault, FAULT)
    type_into(form.parts, "200")
    type_into(form.labour, "150")
    assert "Rs 350.00" in form.total.text()
    assert form.promised_date() == MONDAY + timedelta(days=3)
    type_into(form.notes, "Collects after 5 pm", enter=True)  # Enter logs it
    qtbot.waitUntil(lambda: detail.isVisible() and detail.view is not None, timeout=WAIT)
    view = detail.view
    row = stored(day.system, view.id)
    assert (row.patient_id, row.item_description, row.own_item, row.parts_paise, row.labour_paise) == (
        day.patient_id, ITEM, False, 20000, 15000,
    )  # fmt: skip
    assert row.status == "received" and row.estimated_completion == MONDAY + timedelta(days=3)
    assert row.estimate_approved_at is None
    qtbot.waitUntil(lambda: [s.code for s in tab.repairs] == [view.code], timeout=WAIT)
    assert tab.list.item(0, 1).text() == "Kavya Nair" and tab.list.item(0, 3).text() == "Received"
    assert tab.list.item(0, 1).toolTip() == f"Kavya Nair ({view.patient_code})"
    assert "Not yet approved by the patient" in detail.facts.text() and "bought here" in detail.facts.text()

    # not approved yet: neither Start nor Deliver is offered, only the approval
    assert not detail.deliver_button.isVisible() and not detail.start_button.isVisible()
    assert detail.approve.isVisible() and "approves the estimate of Rs 350.00" in detail.hint.text()
    detail.approved_by.setCurrentIndex(1)  # "Patient, by phone"
    detail.approved_by.lineEdit().setFocus()
    QTest.keyClick(detail.approved_by.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: detail.view.estimate_approved, timeout=WAIT)
    assert stored(day.system, view.id).estimate_approved_by == "Patient, by phone"
    assert not detail.approve.isVisible() and not detail.deliver_button.isVisible()

    click(qtbot, detail.start_button)
    qtbot.waitUntil(lambda: detail.view.status == "in_progress", timeout=WAIT)
    click(qtbot, detail.wait_toggle)
    assert detail.wait.isVisible() and detail.part.hasFocus()
    type_into(detail.part, "Left hinge, ordered from Titan", enter=True)
    qtbot.waitUntil(lambda: detail.view.status == "waiting_for_parts", timeout=WAIT)
    assert not detail.ready_button.isVisible() and detail.resume_button.isVisible()
    qtbot.waitUntil(lambda: tab.list.item(0, 3).text() == "Waiting for parts", timeout=WAIT)
    click(qtbot, detail.resume_button)
    qtbot.waitUntil(lambda: detail.view.status == "in_progress", timeout=WAIT)
    click(qtbot, detail.ready_button)
    qtbot.waitUntil(lambda: detail.view.status == "ready", timeout=WAIT)
    assert "Rs 350.00 sent to billing" in detail.info.text()
    assert charged(day.system, view.id) == [(1, 15000, "unbilled"), (2, 20000, "unbilled")]

    QTest.keyClick(detail.history, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P: the slip
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Repair slip {view.code}" and size == (105.0, 148.0)
    text = "".join(page.get_textpage().get_text_range() for page in pdf_pages(pdf))
    for words in (view.code, "Kavya Nair", "Left hinge broken", "350.00", "owner's risk"):
        assert words in text

    click(qtbot, detail.deliver_button)
    qtbot.waitUntil(lambda: detail.view.status == "delivered", timeout=WAIT)
    assert stored(day.system, view.id).delivered_at is not None
    qtbot.waitUntil(lambda: tab.repairs == [], timeout=WAIT)  # no longer open; still shown on the right
    steps = [detail.history.item(r, 1).text() for r in range(detail.history.rowCount())]
    assert steps == ["Received", "Received", "In progress", "Waiting for parts", "In progress", "Ready to collect",
                     "Delivered"]  # fmt: skip
    assert detail.history.item(3, 3).text() == "Left hinge, ordered from Titan"
    assert {detail.history.item(r, 2).text() for r in range(7)} == {"Omkar Patil"}
    assert not any(b.isVisible() for b in (detail.deliver_button, detail.cancel_toggle, detail.revise_toggle))
    assert not no_dialogs


def pdf_pages(pdf: bytes) -> list[Any]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i] for i in range(len(doc))]


def test_delivery_waits_for_the_approval_and_a_new_estimate_is_approved_again(
    qtbot: Any, store: Store, day: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    first = logged_by_service(day)
    window, tab = repairs_tab(qtbot, store, tmp_path, day)
    qtbot.waitUntil(lambda: tab.select(first.id), timeout=WAIT)
    detail = tab.detail
    qtbot.waitUntil(lambda: detail.view is not None and detail.view.id == first.id, timeout=WAIT)
    assert not detail.deliver_button.isVisible() and not detail.ready_button.isVisible()
    detail.do_deliver()  # asked anyway (a stale screen): the service's own sentence
    qtbot.waitUntil(detail.message.isVisible, timeout=WAIT)
    assert detail.message.text() == (
        f"The patient has not approved the estimate of Rs 350.00 for {first.code}; record their approval before "
        "handing the item back."
    )
    assert stored(day.system, first.id).status == "received"

    approve_estimate(day.optician2, first.id, "Patient, in person")  # at the other counter
    qtbot.waitUntil(lambda: detail.view.estimate_approved and detail.start_button.isVisible(), timeout=WAIT)
    click(qtbot, detail.revise_toggle)
    assert detail.new_parts.text() == "200.00" and detail.new_parts.hasFocus()
    detail.new_parts.setText("450")
    QTest.keyClick(detail.new_parts, Qt.Key.Key_Return)  # no reason given: refused under "Why"
    qtbot.waitUntil(lambda: detail.revise.errors.message_for("note") != "", timeout=WAIT)
    assert detail.revise.errors.message_for("note") == "Why the estimate changes is required."
    assert stored(day.system, first.id).parts_paise == 20000
    type_into(detail.why, "Both hinges need replacing", enter=True)
    qtbot.waitUntil(lambda: detail.view.parts_paise == 45000, timeout=WAIT)
    assert not detail.view.estimate_approved and detail.approve.isVisible()  # approved again before work
    assert "Rs 600.00" in detail.hint.text() and not detail.start_button.isVisible()

    click(qtbot, detail.cancel_toggle)
    QTest.keyClick(detail.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: detail.cancel.errors.message_for("reason") != "", timeout=WAIT)
    assert detail.cancel.errors.message_for("reason") == "The reason for cancelling is required."
    type_into(detail.reason, "Patient will buy a new frame", enter=True)
    qtbot.waitUntil(lambda: detail.view.status == "cancelled", timeout=WAIT)
    assert stored(day.system, first.id).status == "cancelled"
    qtbot.waitUntil(lambda: tab.repairs == [], timeout=WAIT)
    assert not no_dialogs


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(
    qtbot: Any, store: Store, day: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    window, tab = repairs_tab(qtbot, store, tmp_path, day)
    click(qtbot, tab.new_button)
    form = tab.form
    type_into(form.item, ITEM)
    type_into(form.fault, FAULT)
    type_into(form.parts, "two hundred")
    QTest.keyClick(form.parts, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.errors.message_for("patient_id") != "", timeout=WAIT)
    assert form.errors.message_for("patient_id").startswith("Choose the patient the item belongs to")
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.patient.patient is not None, timeout=WAIT)
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: form.errors.message_for("parts") != "", timeout=WAIT)
    assert form.errors.message_for("parts").startswith("The parts estimate:")
    assert form.parts.hasFocus() and form.item.text() == ITEM and form.fault.text() == FAULT
    form.parts.setText("200")
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: tab.detail.view is not None, timeout=WAIT)
    assert stored(day.system, tab.detail.view.id).parts_paise == 20000
    assert not no_dialogs


def test_a_double_click_on_log_repair_logs_one(
    qtbot: Any, store: Store, day: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    window, tab = repairs_tab(qtbot, store, tmp_path, day)
    form = tab.form
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.patient.patient is not None, timeout=WAIT)
    type_into(form.item, ITEM)
    type_into(form.fault, FAULT)
    hold = threading.Event()
    worker().submit(lambda: hold.wait(5))  # the worker is busy: the first click waits behind it
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.save_button.isEnabled()
    hold.set()
    qtbot.waitUntil(lambda: tab.detail.view is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: len(tab.repairs) == 1, timeout=WAIT)
    with day.system.transaction(readonly=True) as tx:
        assert len(tx.session.scalars(select(OpticalRepair)).all()) == 1
    assert not no_dialogs


def test_an_overdue_repair_is_red_and_says_so(
    qtbot: Any, store: Store, day: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    late = logged_by_service(day, promised_date=MONDAY + timedelta(days=1))
    on_time = logged_by_service(day, promised_date=MONDAY + timedelta(days=7))
    day.day.clock.advance(days=3)  # Thursday: the first was promised for Tuesday
    window, tab = repairs_tab(qtbot, store, tmp_path, day)
    qtbot.waitUntil(lambda: len(tab.repairs) == 2, timeout=WAIT)
    assert [s.id for s in tab.repairs] == [late.id, on_time.id]  # overdue first
    assert tab.list.item(0, 4).text() == "01 Dec 2026 OVERDUE" and tab.list.item(0, 3).text() == "Received"
    assert tab.list.item(1, 4).text() == "07 Dec 2026" and tab.count.text() == "2 open, 1 overdue"
    red: QBrush = tab.list.item(0, 0).foreground()
    assert red.color().name() == "#7a1020" and tab.list.item(1, 0).foreground().color().name() != "#7a1020"
    tab.list.selectRow(0)
    qtbot.waitUntil(lambda: tab.detail.view is not None and tab.detail.badge.isVisible(), timeout=WAIT)
    assert tab.detail.badge.text() == "OVERDUE: promised 01 Dec 2026"
    assert not no_dialogs
