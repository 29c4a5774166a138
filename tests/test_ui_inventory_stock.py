"""The Inventory dock's Stock and Alerts tabs, driven as the inventory manager works them over a real store: a
medicine found as he types with its batches (earliest expiry first, on hand in tablets and strips), a medicine
added through the form (a bad HSN code refused under its field, nothing written), an item master imported from
an .xlsx with a bad row (the report names it), opening stock, a medicine retired and brought back, and the
alerts (a batch within three months, a medicine below its reorder level) refreshed by the change broadcast."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.inventory_ui_support import IMRAN, WAIT, set_reorder, shelf, tab_for
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, stocked
from ui.docks.inventory.alerts_tab import AlertsTab
from ui.docks.inventory.import_report import ImportReportDialog
from ui.docks.inventory.medicine_form import MedicineDialog, OpeningStockDialog
from ui.docks.inventory.stock_tab import COLUMNS, StockTab
from ui.qt import QMessageBox, Qt, QTest
from ui.worker import worker


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2:]}"))
    return shown


@pytest.fixture
def pd(system_ctx: Context, make_user: Any) -> PharmacyDay:
    return pharmacy_day(system_ctx, make_user)


def medicines(ctx: Context) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(Medicine)) or 0)


def medicine_named(ctx: Context, name: str) -> Medicine | None:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(Medicine).where(Medicine.name == name)).first()
        if row is not None:
            tx.session.expunge(row)
        return row


def texts(table: Any, row: int) -> list[str]:
    return [table.item(row, c).text() if table.item(row, c) else "" for c in range(table.columnCount())]


def test_a_medicine_found_as_you_type_shows_its_batches(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    shelf(pd)
    set_reorder(pd.system, pd.medicines["Pan 40"], 100)  # 60 on hand: below
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, StockTab)
    qtbot.waitUntil(lambda: len(tab.lines) > 50, timeout=WAIT)  # the empty box: the catalogue, below reorder first
    assert tab.lines[0].name == "Pan 40" and texts(tab.table, 0)[8] == "Below reorder"
    assert "below reorder, listed first" in tab.count.text()
    assert not tab.more.isVisible()  # 61 medicines: one page

    QTest.keyClicks(tab.search, "dolo")
    qtbot.waitUntil(lambda: [x.name for x in tab.lines] == ["Dolo 650"], timeout=WAIT)
    QTest.keyClick(tab.search, Qt.Key.Key_Return)  # Enter: the list, its first row chosen
    row = texts(tab.table, 0)
    assert [tab.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))] == list(COLUMNS)
    assert row[1:6] == ["Dolo 650", "Paracetamol 650 mg", "tablet, strip of 15 tablets", "",
                        "65 tablets (4 strips of 15 + 5)"]  # fmt: skip
    qtbot.waitUntil(lambda: tab.batch_table.rowCount() == 2, timeout=WAIT)
    first, second = texts(tab.batch_table, 0), texts(tab.batch_table, 1)
    assert first[:6] == ["DL-2", "31 Jan 2027", "25 tablets (1 strip of 15 + 10)", "Rs 33.60", "Rs 23.50", "Rack A"]
    assert first[6] == "Opening stock" and first[7] == "Expires in 62 days"  # within three months: amber
    assert tab.batch_table.item(0, 1).background().color().name() == "#fff4d6"
    assert second[:3] == ["DL-1", "30 Sep 2027", "40 tablets (2 strips of 15 + 10)"] and second[7] == ""
    assert "Dolo 650" in tab.batch_title.text()
    assert not no_dialogs


def test_a_new_medicine_through_the_form_and_a_bad_one_refused_under_its_field(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, StockTab)
    before = medicines(pd.system)
    QTest.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    form = tab.dialog
    assert isinstance(form, MedicineDialog) and form.isVisible()
    QTest.keyClicks(form.name, "Febrex Plus")
    QTest.keyClicks(form.generic, "Paracetamol + Phenylephrine + Chlorpheniramine")
    QTest.keyClicks(form.strength, "325 mg")
    form.pack.selectAll()
    QTest.keyClicks(form.pack, "10")
    QTest.keyClicks(form.hsn, "30A4")
    QTest.keyClicks(form.gst, "5")
    QTest.keyClicks(form.mrp, "42.50")
    form.schedule.setCurrentIndex(form.schedule.findData("H"))
    QTest.keyClick(form.mrp, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: bool(form.errors.message_for("hsn_code")), timeout=WAIT)
    assert "30A4 is not an HSN code" in form.errors.message_for("hsn_code")
    assert form.isVisible() and form.save_button.isEnabled() and medicines(pd.system) == before

    form.hsn.selectAll()
    QTest.keyClicks(form.hsn, "3004")
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
    made = medicine_named(pd.system, "Febrex Plus")
    assert made is not None and medicines(pd.system) == before + 1
    assert (made.strength, made.form, made.unit, made.pack_size, made.hsn_code) == ("325 mg", "tablet", "tablet", 10,
                                                                                    "3004")  # fmt: skip
    assert (made.gst_rate_basis_points, made.schedule, made.mrp_paise) == (500, "H", 4250)
    qtbot.waitUntil(lambda: tab.current() is not None and tab.current().id == made.id, timeout=WAIT)
    assert tab.search.text() == made.code and f"as {made.code}" in tab.message.text()

    QTest.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)  # edit: the form filled with what is stored
    qtbot.waitUntil(lambda: tab.dialog is not form and tab.dialog is not None, timeout=WAIT)
    edit = tab.dialog
    assert edit.name.text() == "Febrex Plus" and edit.gst.text() == "5" and edit.mrp.text() == "42.50"
    edit.reorder.selectAll()
    QTest.keyClicks(edit.reorder, "30")
    QTest.keyClick(edit.reorder, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not edit.isVisible(), timeout=WAIT)
    stored = medicine_named(pd.system, "Febrex Plus")
    assert stored is not None and stored.reorder_level == 30 and medicines(pd.system) == before + 1
    assert not no_dialogs


def test_an_xlsx_item_master_with_a_bad_row_shows_its_report(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Brand", "Generic", "Strength", "Form", "Unit", "Pack size", "HSN", "GST rate", "MRP", "Shelf"])
    sheet.append(["Zerodol", "Aceclofenac", "100 mg", "TAB", "tab", 10, "3004", 5, 65.5, "A1"])
    sheet.append(["Cetzine", "Cetirizine", "10 mg", "tablet", "tablet", 10, "12", 5, 18, "A2"])  # a bad HSN code
    sheet.append(["Dolo 650", "Paracetamol", "650 mg", "tablet", "tablet", 15, "3004", 5, 33.6, "A3"])  # known
    path = tmp_path / "item master.xlsx"
    book.save(path)
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, StockTab)
    before = medicines(pd.system)
    tab.import_file(str(path))  # what the file dialog's choice does
    qtbot.waitUntil(lambda: isinstance(tab.dialog, ImportReportDialog), timeout=WAIT)
    report = tab.dialog
    assert report.summary.text() == "<b>3 rows read: 1 added, 1 skipped (already in the catalogue), 1 refused.</b>"
    assert "Shelf" in report.ignored.text()
    assert report.table.rowCount() == 2
    refused, skipped = texts(report.table, 0), texts(report.table, 1)
    assert refused[:4] == ["3", "Refused", "Cetzine", ""] and "12 is not an HSN code" in refused[4]
    assert skipped[:3] == ["4", "Skipped", "Dolo 650"] and "already in the catalogue" in skipped[4]
    assert medicines(pd.system) == before + 1 and medicine_named(pd.system, "Cetzine") is None
    zerodol = medicine_named(pd.system, "Zerodol")
    assert zerodol is not None and zerodol.mrp_paise == 6550
    assert "1 refused" in tab.message.text() and tab.import_button.isEnabled()
    assert not no_dialogs


def test_opening_stock_for_the_chosen_medicine_and_retiring_it(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, StockTab)
    QTest.keyClicks(tab.search, "Azithral")
    qtbot.waitUntil(lambda: [x.name for x in tab.lines] == ["Azithral 500"], timeout=WAIT)
    tab.table.selectRow(0)
    qtbot.waitUntil(lambda: "no stock" in tab.batch_title.text(), timeout=WAIT)
    QTest.mouseClick(tab.opening_button, Qt.MouseButton.LeftButton)
    form = tab.dialog
    assert isinstance(form, OpeningStockDialog) and "strip of 5 tablets" in form.note.text()
    QTest.keyClicks(form.batch, "AZ-77")
    QTest.keyClicks(form.units, "30")
    QTest.keyClicks(form.mrp, "119")
    QTest.keyClicks(form.cost, "150")  # above the MRP: refused under the MRP
    QTest.keyClicks(form.location, "Rack C")
    QTest.keyClick(form.location, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message_for("mrp_paise")), timeout=WAIT)
    assert "MRP is below its cost" in form.errors.message_for("mrp_paise")
    form.cost.selectAll()
    QTest.keyClicks(form.cost, "83.30")
    QTest.keyClick(form.cost, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: tab.batch_table.rowCount() == 1, timeout=WAIT)  # the change broadcast
    assert texts(tab.batch_table, 0)[:6] == ["AZ-77", "30 Nov 2027", "30 tablets (6 strips of 5)", "Rs 119.00",
                                             "Rs 83.30", "Rack C"]  # fmt: skip
    with pd.system.transaction(readonly=True) as tx:
        batch_id = tx.session.scalar(select(MedicineBatch.id).where(MedicineBatch.batch_number == "AZ-77"))
    assert on_hand(pd.system, batch_id) == 30
    qtbot.waitUntil(lambda: texts(tab.table, 0)[5] == "30 tablets (6 strips of 5)", timeout=WAIT)

    QTest.mouseClick(tab.active_button, Qt.MouseButton.LeftButton)  # Deactivate
    qtbot.waitUntil(lambda: "is inactive" in tab.message.text(), timeout=WAIT)
    assert not medicine_named(pd.system, "Azithral 500").is_active  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: tab.lines == [], timeout=WAIT)  # the search finds active medicines only
    tab.inactive.setChecked(True)
    qtbot.waitUntil(lambda: [x.name for x in tab.lines] == ["Azithral 500"], timeout=WAIT)
    tab.table.selectRow(0)
    assert tab.active_button.text() == "&Activate" and not tab.opening_button.isEnabled()
    QTest.mouseClick(tab.active_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "active again" in tab.message.text(), timeout=WAIT)
    assert medicine_named(pd.system, "Azithral 500").is_active  # type: ignore[union-attr]
    assert not no_dialogs


def test_alerts_list_a_near_expiry_batch_and_a_medicine_below_reorder(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    shelf(pd)
    set_reorder(pd.system, pd.medicines["Pan 40"], 100)
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, AlertsTab)
    qtbot.waitUntil(lambda: tab.alerts is not None, timeout=WAIT)
    assert tab.title("within_3_months") == "Expiring within 3 months (1)"
    assert texts(tab.tables["within_3_months"], 0) == ["Dolo 650", "DL-2", "31 Jan 2027 (62 days)",
                                                       "25 tablets (1 strip of 15 + 10)", "Rack A"]  # fmt: skip
    assert tab.title("within_6_to_12_months") == "Expiring in 6 to 12 months (1)"  # DL-1, 30 Sep 2027
    assert tab.title("below_reorder") == "Below reorder level (1)"
    assert texts(tab.tables["below_reorder"], 0) == [
        "Pan 40", "60 tablets (6 strips of 10)", "100 tablets (10 strips of 10)", "40 tablets (4 strips of 10)",
    ]  # fmt: skip
    assert tab.title("expired") == "Expired, still on the shelf (0)" and "3 alerts" in tab.summary.text()

    stocked(pd.system, pd.medicines["Dolo 650"], "DL-3", date(2027, 2, 28), 15)  # here or on another PC
    qtbot.waitUntil(lambda: tab.title("within_3_months") == "Expiring within 3 months (2)", timeout=WAIT)
    assert [tab.tables["within_3_months"].item(r, 1).text() for r in range(2)] == ["DL-2", "DL-3"]
    assert not no_dialogs
