"""The Lab dock, driven through its widgets as a technician works it: a doctor's order on the worklist, the sample
collected, the values typed with Enter moving from cell to cell (an out-of-range one flagged), the technician
who entered them refused as verifier with the service's message, a second technician verifying, the report's
PDF, and the worklists of both PCs refreshed by the change broadcast."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.models.lab import LabOrder
from hms_desktop.context import Context
from hms_desktop.services.clinical.lab_orders import LabOrderView, order_lab_tests
from hms_desktop.storage.store import Store
from tests.lab_fixtures import LabDay, lab_day, person, visit
from tests.ui_support import signed_in_window
from ui.main_window import MainWindow
from ui.qt import QMessageBox, Qt, QTest
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
RAVI, SUNITA = "ravi@sunrise.example.in", "sunita@sunrise.example.in"
CBC_VALUES = ("9.1", "7000", "2.5", "4.5", "42", "60", "30", "3", "5")  # haemoglobin low for a woman (12 - 15)
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
def day(system_ctx: Context, make_user: Any) -> LabDay:
    return lab_day(system_ctx, make_user)


def cbc_order(day: LabDay) -> LabOrderView:
    kavya = person(day.system, "Kavya Nair", "9846012345", "F", date(1985, 6, 1))
    return order_lab_tests(day.doctor_ctx, kavya.id, [day.tests["CBC"]], visit(day, kavya).id, notes="Pale, tired")[0]


def lab_window(qtbot: Any, store: Store, tmp_path: Path, email: str, day: LabDay) -> MainWindow:
    folder = tmp_path / email.split("@", maxsplit=1)[0]
    folder.mkdir()
    return signed_in_window(qtbot, store, folder, email, PASSWORD, clock=day.clock)


def active(qtbot: Any, window: MainWindow) -> None:
    """The window the keyboard types into (a progress dialog shown and closed meanwhile takes that away)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)


def stored(ctx: Context, order_id: Any) -> LabOrder:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(LabOrder).where(LabOrder.id == order_id)).one()
        tx.session.expunge(row)
        return row


def unexpected(shown: list[str]) -> list[str]:
    """Every message box shown: a Lab Technician's session shows none (the Reception dock it is also offered
    does not ask for the doctors list it may not read)."""
    return list(shown)


def test_collect_enter_verify_by_a_second_technician_and_print(
    qtbot: Any, store: Store, day: LabDay, tmp_path: Path, no_dialogs: list[str], previews: list[Any]
) -> None:
    order = cbc_order(day)
    window = lab_window(qtbot, store, tmp_path, RAVI, day)
    assert "lab" in window.offered()
    lab = window.dock_widget("lab")
    worklist, panel = lab.worklist, lab.panel
    worklist.set_filter("ordered")  # To collect
    qtbot.waitUntil(lambda: [o.id for o in worklist.orders] == [order.id], timeout=WAIT)
    assert worklist.table.item(0, 2).text() == order.code and worklist.table.item(0, 4).text() == "CBC"
    worklist.table.selectRow(0)
    qtbot.waitUntil(lambda: panel.order is not None and panel.collect_button.isEnabled(), timeout=WAIT)
    assert not panel.save_button.isEnabled() and "Collect the sample first" in panel.hint.text()
    assert "Pale, tired" in panel.trail.text()

    QTest.mouseClick(panel.collect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.order.status == "sample_collected" and len(panel.edits) == 9, timeout=WAIT)
    active(qtbot, window)
    qtbot.waitUntil(panel.edits[0].hasFocus, timeout=WAIT)  # straight on to the values
    assert panel.table.item(0, 0).text() == "Haemoglobin" and panel.table.item(0, 2).text() == "g/dL"
    assert panel.table.item(0, 3).text() == "12 - 15"  # the range for this patient: a woman of 41
    qtbot.waitUntil(lambda: worklist.orders == [], timeout=WAIT)  # no longer to collect; still open on the right
    assert stored(day.system, order.id).sample_collected_by_id is not None

    for i, value in enumerate(CBC_VALUES):
        assert panel.edits[i].hasFocus()
        QTest.keyClicks(panel.edits[i], value)
        QTest.keyClick(panel.edits[i], Qt.Key.Key_Return)  # Enter: the next value cell
    assert panel.summary.hasFocus()
    QTest.keyClicks(panel.summary, "Mild anaemia.")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.order.status == "completed", timeout=WAIT)
    assert panel.table.item(0, 4).text() == "L"  # flagged once saved
    assert {panel.table.item(r, 4).text() for r in range(1, 9)} == {"Normal"}
    assert "1 value outside the range" in panel.info.text()
    row = stored(day.system, order.id)
    assert row.status == "completed" and row.result_flag == "abnormal" and row.result_summary == "Mild anaemia."

    QTest.mouseClick(panel.verify_button, Qt.MouseButton.LeftButton)  # Ravi entered it: he may not verify it
    qtbot.waitUntil(panel.message.isVisible, timeout=WAIT)
    assert panel.message.text() == "You entered this result; another member of staff must verify it."
    assert stored(day.system, order.id).status == "completed"
    worklist.set_filter("completed")  # To verify
    qtbot.waitUntil(lambda: [o.id for o in worklist.orders] == [order.id], timeout=WAIT)

    second = lab_window(qtbot, store, tmp_path, SUNITA, day)
    lab2 = second.dock_widget("lab")
    lab2.worklist.set_filter("completed")
    qtbot.waitUntil(lambda: len(lab2.worklist.orders) == 1, timeout=WAIT)
    lab2.worklist.table.selectRow(0)
    qtbot.waitUntil(lambda: lab2.panel.verify_button.isEnabled() and len(lab2.panel.edits) == 9, timeout=WAIT)
    assert lab2.panel.edits[0].text() == "9.1" and lab2.panel.table.item(0, 4).text() == "L"
    QTest.mouseClick(lab2.panel.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab2.panel.order.status == "verified", timeout=WAIT)
    assert lab2.panel.edits[0].isReadOnly() and lab2.panel.report_button.isEnabled()
    qtbot.waitUntil(lambda: worklist.orders == [], timeout=WAIT)  # Ravi's "To verify" heard of it
    qtbot.waitUntil(lambda: panel.order.status == "verified", timeout=WAIT)  # and his open order too
    lab2.worklist.set_filter("verified")  # Verified today
    qtbot.waitUntil(lambda: [o.id for o in lab2.worklist.orders] == [order.id], timeout=WAIT)

    QTest.mouseClick(lab2.panel.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Lab report {order.code}" and size == (210.0, 297.0)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    for expected in ("Kavya Nair", order.code, "Haemoglobin", "9.1", "12 - 15", "Mild anaemia.", "Ravi Kumar",
                     "Sunita Rao"):  # fmt: skip
        assert expected in text
    row = stored(day.system, order.id)
    assert row.status == "verified" and row.verified_by_id != row.reported_by_id
    assert not unexpected(no_dialogs)


def test_a_missing_or_mistyped_value_is_named_and_nothing_is_written(
    qtbot: Any, store: Store, day: LabDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    order = cbc_order(day)
    window = lab_window(qtbot, store, tmp_path, RAVI, day)
    lab = window.dock_widget("lab")
    qtbot.waitUntil(lambda: len(lab.worklist.orders) == 1, timeout=WAIT)  # All open
    lab.worklist.table.selectRow(0)
    qtbot.waitUntil(lab.panel.collect_button.isEnabled, timeout=WAIT)
    QTest.mouseClick(lab.panel.collect_button, Qt.MouseButton.LeftButton)
    panel = lab.panel
    qtbot.waitUntil(lambda: panel.order.status == "sample_collected" and len(panel.edits) == 9, timeout=WAIT)
    active(qtbot, window)
    for edit, value in zip(panel.edits[:-2], CBC_VALUES, strict=False):
        edit.setText(value)
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.message.isVisible, timeout=WAIT)
    assert panel.message.text() == "Enter a value for Eosinophils, Monocytes."
    assert panel.edits[7].hasFocus() and panel.edits[7].styleSheet()  # the first one named, outlined
    panel.edits[7].setText("3")
    panel.edits[8].setText("five")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Monocytes: enter a number" in panel.message.text(), timeout=WAIT)
    assert panel.edits[8].hasFocus() and not panel.edits[7].styleSheet()
    row = stored(day.system, order.id)
    assert row.status == "sample_collected" and row.result is None and row.completed_at is None
    panel.edits[8].setText("5")
    panel.edits[0].setText("6.5")  # below the critical limit of 7
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.order.status == "completed", timeout=WAIT)
    assert panel.table.item(0, 4).text() == "Critical L" and not panel.message.isVisible()
    assert stored(day.system, order.id).result_flag == "critical"
    assert not unexpected(no_dialogs)


def test_a_double_click_on_collect_collects_once(
    qtbot: Any, store: Store, day: LabDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    order = cbc_order(day)
    window = lab_window(qtbot, store, tmp_path, RAVI, day)
    panel = window.dock_widget("lab").panel
    qtbot.waitUntil(lambda: window.dock_widget("lab").worklist.select(order.id), timeout=WAIT)
    qtbot.waitUntil(panel.collect_button.isEnabled, timeout=WAIT)
    hold = threading.Event()
    worker().submit(lambda: hold.wait(5))  # the worker is busy: the collect waits behind it
    QTest.mouseClick(panel.collect_button, Qt.MouseButton.LeftButton)  # a double click: two clicks in a row
    QTest.mouseClick(panel.collect_button, Qt.MouseButton.LeftButton)
    assert not panel.collect_button.isEnabled()
    hold.set()
    qtbot.waitUntil(lambda: panel.order.status == "sample_collected", timeout=WAIT)
    assert not panel.message.isVisible()  # no "already collected": it was asked once
    assert not unexpected(no_dialogs)


def test_the_worklist_puts_stat_first_then_urgent_then_by_time(
    qtbot: Any, store: Store, day: LabDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    arrivals = (("Asha Rao", "routine"), ("Bala Nair", "urgent"), ("Chitra Das", "stat"), ("Dev Shah", "routine"))
    for i, (name, priority) in enumerate(arrivals):  # five minutes apart
        p = person(day.system, name, f"984600000{i}", "F", date(1990, 1, 1))
        order_lab_tests(day.doctor_ctx, p.id, [day.tests["FBS"]], priority=priority)
        day.clock.advance(minutes=5)
    window = lab_window(qtbot, store, tmp_path, RAVI, day)
    worklist = window.dock_widget("lab").worklist
    worklist.set_filter("ordered")
    qtbot.waitUntil(lambda: len(worklist.orders) == 4, timeout=WAIT)
    assert [worklist.table.item(r, 3).text() for r in range(4)] == [
        "Chitra Das, 36F", "Bala Nair, 36F", "Asha Rao, 36F", "Dev Shah, 36F",
    ]  # fmt: skip
    assert [worklist.table.item(r, 0).text() for r in range(4)] == ["STAT", "URGENT", "routine", "routine"]
    assert worklist.count.text() == "4 orders" and not unexpected(no_dialogs)
