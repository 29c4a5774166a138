"""The Pharmacy dock, driven through its widgets as Farida (the pharmacist) works it over a real store: the doctor's
prescription appears on its own, FEFO's batches are shown, the Dolo pack is scanned (its EAN-13 rendered to an
image and read back with zxing-cpp, then typed into the scan field as a keyboard-wedge scanner does), one line is
given in part and the rest later; another batch than FEFO's needs its reason; a substitute with its note; and
roles that may not dispense do not get the dock. Counter, returns and the register: test_ui_pharmacy_returns.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import barcode
import pytest
import zxingcpp
from barcode.writer import ImageWriter
from sqlalchemy import select

from db.models.inventory import StockMovement
from db.models.pharmacy import PharmacyDispensingItem, ScheduleRegisterEntry
from db.models.prescriptions import Prescription
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.dispense_fixtures import LATER, edit_medicine, shelf, written
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, sent_rx, stocked
from tests.rx_fixtures import line
from tests.ui_support import signed_in_window
from ui.main_window import MainWindow
from ui.qt import QMessageBox, Qt, QTableWidget, QTest
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
FARIDA = "farida@sunrise.example.in"
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
def pd(system_ctx: Context, make_user: Any) -> PharmacyDay:
    return pharmacy_day(system_ctx, make_user)


def scanned_ean(first_12: str) -> str:
    """The pack's EAN-13 as a scanner reads it: rendered to an image (python-barcode) and decoded (zxing-cpp)."""
    image = barcode.get("ean13", first_12, writer=ImageWriter()).render()
    found = zxingcpp.read_barcodes(image)
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.EAN13]
    return str(found[0].text)


def pharmacy_window(qtbot: Any, store: Store, tmp_path: Path, pd: PharmacyDay, email: str = FARIDA) -> MainWindow:
    return signed_in_window(qtbot, store, tmp_path, email, PASSWORD, clock=pd.rx.day.clock)


def active(qtbot: Any, window: MainWindow) -> None:
    """The window the keyboard types into (a progress dialog shown and closed meanwhile takes that away)."""
    qtbot.waitUntil(worker().idle, timeout=WAIT)
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)


def rows(table: QTableWidget, columns: int | None = None) -> list[list[str]]:
    n = table.columnCount() if columns is None else columns
    return [[(table.item(r, c).text() if table.item(r, c) else "") for c in range(n)] for r in range(table.rowCount())]


def click_row(table: QTableWidget, row: int) -> None:
    rect = table.visualItemRect(table.item(row, 1))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_first(qtbot: Any, window: MainWindow) -> Any:
    """The To dispense tab with the first prescription of the list opened (clicked, as a pharmacist does)."""
    tab = window.dock_widget("pharmacy").pages["To dispense"]
    qtbot.waitUntil(lambda: tab.list.rowCount() >= 1, timeout=WAIT)
    click_row(tab.list, 0)
    qtbot.waitUntil(lambda: tab.panel.opened is not None, timeout=WAIT)
    return tab


def type_into(qtbot: Any, widget: Any, text: str, enter: bool = True) -> None:
    widget.setFocus()
    QTest.keyClicks(widget, text)
    if enter:
        QTest.keyClick(widget, Qt.Key.Key_Return)


def test_the_doctors_prescription_is_filled_by_fefo_with_the_scanner_in_two_goes(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    s = shelf(pd)  # Dolo 650: D1 (10, expires first), D2 (50), DX (100, expired)
    t1 = stocked(pd.system, pd.medicines["Taxim-O 200"], "T1", LATER, 30, mrp_paise=10900)
    ean = scanned_ean("890123456789")
    edit_medicine(pd, "Dolo 650", barcode=ean)
    window = pharmacy_window(qtbot, store, tmp_path, pd)
    assert "pharmacy" in window.offered()
    dock = window.dock_widget("pharmacy")
    assert [dock.tabs.tabText(i) for i in range(dock.tabs.count())] == ["To dispense", "Counter", "Returns",
                                                                         "H1 register"]  # fmt: skip
    tab = dock.pages["To dispense"]
    qtbot.waitUntil(lambda: dock.count.text() == "0 waiting to be dispensed", timeout=WAIT)
    qtbot.waitUntil(lambda: "1 expired with stock" in dock.alerts.button.text(), timeout=WAIT)
    assert "1 expiring within 3 months" in dock.alerts.button.text()  # D1, 31 Jan 2027

    rx = sent_rx(pd, line(pd.medicines["Dolo 650"], quantity=15), line(pd.medicines["Taxim-O 200"], quantity=10))
    qtbot.waitUntil(lambda: dock.list.rowCount() == 1, timeout=WAIT)  # on its own: the change broadcast
    assert dock.list.objectName() == "toDispense"
    assert rows(dock.list)[0][1:] == [f"{rx.code} v1", "Kavya Nair", "Dr Meera Iyer", "2"]
    open_first(qtbot, window)
    panel = tab.panel
    assert panel.title.objectName() == "dispenseTitle" and rx.code in panel.title.text()
    assert panel.table.objectName() == "dispenseItems"
    assert rows(panel.table, 5) == [
        ["", "Dolo 650", "15 tablets", "0 tablets", "15 tablets"],
        ["", "Taxim-O 200 [H1]", "10 tablets", "0 tablets", "10 tablets"],
    ]
    assert [r[:5] for r in rows(panel.plan.table)] == [  # FEFO: D1 first, split onto D2; DX expired, never sold
        ["Dolo 650", "D1", "31 Jan 2027", "10 tablets", "10 tablets (of a strip of 15)"],
        ["", "D2", "30 Jun 2027", "50 tablets", "5 tablets (of a strip of 15)"],
        ["Taxim-O 200 [H1]", "T1", "30 Jun 2027", "30 tablets", "10 tablets (1 strip of 10)"],
    ]
    assert rows(panel.plan.table)[0][5:] == ["Rs 2.24 each", "Rs 22.40"]

    # the Dolo pack scanned: a keyboard wedge types the digits and Enter into the focused scan field
    active(qtbot, window)
    qtbot.waitUntil(tab.scan.hasFocus, timeout=WAIT)  # opening a prescription hands the focus to the scanner
    assert tab.scan.toolTip() == "Scan a pack's barcode or type it and press Enter"
    QTest.keyClicks(tab.scan, ean)
    QTest.keyClick(tab.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.table.item(0, 0).text() == "✓", timeout=WAIT)
    assert panel.table.item(1, 0).text() == "" and "Dolo 650 confirmed (1 of 2 lines scanned)" in panel.scan_note.text()
    assert window.statusBar().currentMessage() == ""  # the app-wide scanner let the pack's digits through
    QTest.keyClicks(tab.scan, "8901234567883")
    QTest.keyClick(tab.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.scan_note.text() == "No medicine has the barcode 8901234567883.", timeout=WAIT)

    # Taxim-O given in part: 4 now, 6 left pending (Tab from the scanner goes through the quantities)
    QTest.keyClick(tab.scan, Qt.Key.Key_Tab)
    assert panel.table.cellWidget(0, 5).hasFocus()
    QTest.keyClick(panel.table.cellWidget(0, 5), Qt.Key.Key_Tab)
    give = panel.table.cellWidget(1, 5)
    assert give.hasFocus()
    give.selectAll()
    QTest.keyClicks(give, "4")
    qtbot.waitUntil(lambda: rows(panel.plan.table)[2][4] == "4 tablets (of a strip of 10)", timeout=WAIT)
    assert "Total Rs 77.20" in panel.plan.total.text()  # 15 x 2.24 + 4 x 10.90
    first_request = panel.request_id
    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "DSP-2026-000001" in panel.summary.text(), timeout=WAIT)
    assert "Rs 77.20" in panel.summary.text() and "1 register entry written" in panel.summary.text()
    with pd.system.transaction(readonly=True) as tx:
        items = tx.session.scalars(select(PharmacyDispensingItem).order_by(PharmacyDispensingItem.line_no)).all()
        assert [(i.batch_id, i.quantity, i.dispensing_id) for i in items] == [
            (s.d1, 10, first_request), (s.d2, 5, first_request), (t1, 4, first_request)]  # fmt: skip
        moves = tx.session.scalars(select(StockMovement).where(StockMovement.movement_type == "dispense")).all()
        assert sorted(m.quantity_delta for m in moves) == [-10, -5, -4]
        entry = tx.session.scalars(select(ScheduleRegisterEntry)).one()
        assert (entry.batch_number, entry.quantity, entry.patient_name, entry.prescriber_name) == (
            "T1", 4, "Kavya Nair", "Dr Meera Iyer")  # fmt: skip
        assert tx.session.get(Prescription, rx.id).status == "sent_to_pharmacy"  # type: ignore[union-attr]
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2), on_hand(pd.system, t1)) == (0, 45, 26)
    qtbot.waitUntil(lambda: rows(dock.list)[0][4] == "part given, 1 left", timeout=WAIT)  # still listed, what remains
    qtbot.waitUntil(lambda: rows(panel.table, 5)[1][3:] == ["4 tablets", "6 tablets"], timeout=WAIT)
    assert panel.request_id != first_request  # the rest is another dispensing
    assert [r[4] for r in rows(panel.plan.table)] == ["Dispensed in full.", "6 tablets (of a strip of 10)"]

    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)  # the rest
    qtbot.waitUntil(lambda: "DSP-2026-000002" in panel.summary.text(), timeout=WAIT)
    assert f"{rx.code} is dispensed in full" in panel.summary.text()
    qtbot.waitUntil(lambda: dock.list.rowCount() == 0, timeout=WAIT)  # it leaves the list
    assert panel.opened is None and panel.title.text() == "Choose a prescription from the list"
    with pd.system.transaction(readonly=True) as tx:
        assert tx.session.get(Prescription, rx.id).status == "dispensed"  # type: ignore[union-attr]
        assert len(tx.session.scalars(select(ScheduleRegisterEntry)).all()) == 2
    assert on_hand(pd.system, t1) == 20
    QTest.mouseClick(dock.alerts.button, Qt.MouseButton.LeftButton)  # where the alerts' details are
    if "inventory" in window.docks:
        inventory = window.dock_widget("inventory")
        assert inventory.tabs.currentWidget() is inventory.pages["Alerts"]
    else:
        assert dock.alerts.note.text() == "Each batch is listed, with what to do, in the Inventory dock's Alerts tab."
    assert not no_dialogs


def test_another_batch_than_fefos_needs_a_reason_and_a_substitute_its_note(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    s = shelf(pd)
    crocin = stocked(pd.system, pd.medicines["Crocin Advance"], "C1", LATER, 30, mrp_paise=2040)
    sent_rx(pd, line(pd.medicines["Dolo 650"], quantity=15), line(pd.medicines["Dolo 650"], quantity=5))
    window = pharmacy_window(qtbot, store, tmp_path, pd)
    tab = open_first(qtbot, window)
    panel = tab.panel
    active(qtbot, window)
    panel.table.selectRow(0)
    assert [panel.batch.itemText(i) for i in range(panel.batch.count())] == [
        "FEFO: the earliest expiry first",
        "D1, expires 31 Jan 2027, 10 tablets on hand, MRP Rs 33.60",
        "D2, expires 30 Jun 2027, 50 tablets on hand, MRP Rs 33.60",  # the expired DX is not offered
    ]
    panel.batch.setFocus()
    QTest.keyClick(panel.batch, Qt.Key.Key_Down)
    QTest.keyClick(panel.batch, Qt.Key.Key_Down)  # D2
    qtbot.waitUntil(lambda: rows(panel.plan.table)[0][1] == "D2  (chosen)", timeout=WAIT)
    assert "give the reason" in panel.plan.shortages.text()

    # the second line: Crocin Advance instead of Dolo, with the note
    panel.table.selectRow(1)
    QTest.mouseClick(panel.substitute_button, Qt.MouseButton.LeftButton)
    dialog = panel.substitute_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    type_into(qtbot, dialog.pick.search, "Crocin")
    qtbot.waitUntil(lambda: dialog.medicine is not None, timeout=WAIT)
    assert dialog.note.hasFocus()
    QTest.keyClicks(dialog.note, "Same generic; the patient asked for the smaller dose")
    QTest.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "(substitute)" in panel.table.item(1, 1).text(), timeout=WAIT)
    assert panel.table.item(1, 1).text() == "Dolo 650  ->  Crocin Advance (Paracetamol 500 mg) (substitute)"
    qtbot.waitUntil(lambda: rows(panel.plan.table)[-1][:2] == ["Crocin Advance  (substitute)", "C1"], timeout=WAIT)

    before = written(pd.system)
    active(qtbot, window)  # the dialog has closed
    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)  # no reason for D2 yet
    qtbot.waitUntil(panel.message.isVisible, timeout=WAIT)
    assert panel.message.text() == "Dolo 650: say why this batch is given instead of the one that expires first."
    assert written(pd.system) == before  # nothing written
    assert panel.reason.hasFocus() and panel.current() == 0
    why = "Patient travels abroad for six months"
    QTest.keyClicks(panel.reason, why)
    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "DSP-2026-000001" in panel.summary.text(), timeout=WAIT)
    with pd.system.transaction(readonly=True) as tx:
        items = tx.session.scalars(select(PharmacyDispensingItem).order_by(PharmacyDispensingItem.line_no)).all()
        assert [(i.batch_id, i.quantity, i.pick_reason, i.substitute_note) for i in items] == [
            (s.d2, 15, why, ""),
            (crocin, 5, "", "Same generic; the patient asked for the smaller dose"),
        ]
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2), on_hand(pd.system, crocin)) == (10, 35, 25)
    assert not no_dialogs


def test_a_double_click_on_dispense_dispenses_once(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    shelf(pd)
    sent_rx(pd, line(pd.medicines["Dolo 650"], quantity=15))
    window = pharmacy_window(qtbot, store, tmp_path, pd)
    panel = open_first(qtbot, window).panel
    hold = threading.Event()
    worker().submit(lambda: hold.wait(5))  # the worker is busy: the dispensing waits behind it
    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    assert not panel.dispense_button.isEnabled()
    hold.set()
    qtbot.waitUntil(lambda: "DSP-2026-000001" in panel.summary.text(), timeout=WAIT)
    assert written(pd.system)["pharmacy_dispensing"] == 1 and not panel.message.isVisible()
    assert not no_dialogs


@pytest.mark.parametrize("role", ["Cashier", "Receptionist", "Inventory Manager"])
def test_a_role_that_may_not_dispense_does_not_get_the_dock(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, make_user: Any, role: str
) -> None:
    email = f"{role.split(maxsplit=1)[0].lower()}@sunrise.example.in"
    make_user(role, email=email, name="Someone Else")
    window = pharmacy_window(qtbot, store, tmp_path, pd, email)
    assert "pharmacy" not in window.offered()
    assert "Pharmacy" not in [a.text() for a in window.view_menu.actions()]
    qtbot.waitUntil(worker().idle, timeout=WAIT)  # the docks it does get have read what they show
