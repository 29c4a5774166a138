"""The Inventory dock's purchase tabs, driven through their widgets: the inventory manager adds a supplier through the
form (a bad GSTIN first: its message under the field, nothing written), raises a purchase order of two medicines
found by search (their stock and reorder level in the hits), sends and prints it; then receives it with a GRN
typed into the grid (batch, expiry, MRP; Tab moving from cell to cell): the store holds the GRN, its batches and
receipt movements and the PO is partly received (one line short); a second GRN of the same bill is refused in
the service's words with its lines kept, an expiry in the past is refused naming the line, and the corrected
receipt completes the PO. A pharmacist may receive but not raise an order; a receptionist sees none of this."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.models.inventory import GoodsReceiptNote, PurchaseOrder, StockMovement, Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day, stocked
from tests.purchase_fixtures import MEDPLUS_GSTIN, PurchaseDay, order, purchase_day, written
from tests.ui_support import signed_in_window
from ui.docks.inventory.grn_lines import ACCEPTED, BATCH, EXPIRY, MRP
from ui.docks.inventory.orders_tab import OrdersTab
from ui.docks.inventory.po_lines import COST, PACKS
from ui.docks.inventory.receipts_tab import ReceiptsTab
from ui.docks.inventory.suppliers_tab import SuppliersTab
from ui.docks.inventory.widget import TABS, InventoryDock
from ui.forms import find_data
from ui.main_window import MainWindow
from ui.qt import QApplication, QInputDialog, QMessageBox, Qt, QTest, QWidget
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
IMRAN, FARIDA, DESK = "imran@sunrise.example.in", "farida@sunrise.example.in", "desk@sunrise.example.in"
WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2]}"))
    return shown


def window_as(qtbot: Any, store: Store, tmp_path: Path, email: str, pd: PharmacyDay) -> MainWindow:
    folder = tmp_path / email.split("@", maxsplit=1)[0]
    folder.mkdir()
    return signed_in_window(qtbot, store, folder, email, PASSWORD, clock=pd.rx.day.clock)


def tab(qtbot: Any, cls: Any, window: MainWindow) -> Any:
    page = cls(window.session)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    active(qtbot, page)
    return page


def active(qtbot: Any, widget: QWidget) -> None:
    """Make the widget's window the one the keyboard types into (a progress dialog shown and closed meanwhile,
    for a call over 300 ms on a busy machine, takes that away)."""
    qtbot.waitUntil(worker().idle, timeout=WAIT)
    window = widget.window()
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_row(qtbot: Any, table: Any, row: int, column: int, *values: str | None) -> None:
    """Open the cell with Enter, then type each value (None: leave the cell as it is) and Tab to the next."""
    active(qtbot, table)
    table.setFocus()
    table.setCurrentCell(row, column)
    QTest.keyClick(table, Qt.Key.Key_Return)
    for value in values:
        qtbot.waitUntil(lambda: focused() is not table, timeout=WAIT)  # the cell's editor
        editor = focused()
        if value is not None:
            editor.selectAll()
            QTest.keyClicks(editor, value)
        QTest.keyClick(editor, Qt.Key.Key_Tab)


def stored(ctx: Context, model: Any, *where: Any) -> list[Any]:
    with ctx.transaction(readonly=True) as tx:
        rows = list(tx.session.scalars(select(model).where(*where)))
        for r in rows:
            tx.session.expunge(r)
        return rows


def reorder_at(ctx: Context, medicine_id: Any, units: int) -> None:
    with ctx.transaction() as tx:
        m = tx.session.get(Medicine, medicine_id)
        assert m is not None
        m.reorder_level = units
        tx.commit()


def pick(qtbot: Any, picker: Any, text: str) -> str:
    """Search a medicine as typed and add the first hit with Enter; the hit's text."""
    active(qtbot, picker)
    picker.edit.setFocus()
    QTest.keyClicks(picker.edit, text)
    qtbot.waitUntil(lambda: picker.hits.count() > 0, timeout=WAIT)
    shown = picker.hits.item(0).text()
    QTest.keyClick(picker.edit, Qt.Key.Key_Return)
    return shown


def test_a_supplier_is_added_then_a_po_raised_by_search_sent_and_printed(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path, no_dialogs: list[str],
    previews: list[Any],
) -> None:  # fmt: skip
    pd = pharmacy_day(system_ctx, make_user)
    dolo = pd.medicines["Dolo 650"]
    stocked(pd.system, dolo, "OLD-1", date(2027, 3, 31), 45)
    reorder_at(pd.system, dolo, 150)
    window = window_as(qtbot, store, tmp_path, IMRAN, pd)
    suppliers = tab(qtbot, SuppliersTab, window)
    qtbot.waitUntil(lambda: suppliers.count.text() == "0 suppliers", timeout=WAIT)
    QTest.keyClicks(suppliers.name, "MedPlus Distributors")
    QTest.keyClicks(suppliers.contact, "Ravi Kumar")
    QTest.keyClicks(suppliers.phone, "080 4123 4567")
    QTest.keyClicks(suppliers.gstin, MEDPLUS_GSTIN[:-1] + ("A" if MEDPLUS_GSTIN[-1] != "A" else "B"))
    assert suppliers.state.currentText() == "Karnataka (29)" and not suppliers.state.isEnabled()
    QTest.keyClick(suppliers.gstin, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: bool(suppliers.errors.message_for("gstin")), timeout=WAIT)
    assert suppliers.errors.message_for("gstin") == "The GSTIN's check digit is wrong; please re-check the number."
    assert written(pd.system)["suppliers"] == 0
    suppliers.gstin.setFocus()
    QTest.keyClick(suppliers.gstin, Qt.Key.Key_Backspace)
    QTest.keyClicks(suppliers.gstin, MEDPLUS_GSTIN[-1])
    QTest.keyClicks(suppliers.licence, "KA-BNG-20B-12345")
    QTest.mouseClick(suppliers.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: suppliers.table.rowCount() == 1, timeout=WAIT)
    assert suppliers.message.text().startswith("Added SUP-") and not suppliers.errors.message_for("gstin")
    (row,) = stored(pd.system, Supplier)
    assert (row.name, row.gstin, row.state_code, row.payment_terms_days) == ("MedPlus Distributors", MEDPLUS_GSTIN,
                                                                            "29", 30)  # fmt: skip
    assert suppliers.table.item(0, 3).text() == "Karnataka" and suppliers.active_button.text() == "Deactivate"

    orders = tab(qtbot, OrdersTab, window)
    form = orders.editor
    qtbot.waitUntil(lambda: form.supplier.count() == 2, timeout=WAIT)
    form.supplier.setCurrentIndex(find_data(form.supplier, row.id))
    hit = pick(qtbot, form.picker, "dolo 650")
    assert "on hand 45 tablets (3 strips of 15), reorder at 150 tablets" in hit and "BELOW REORDER" in hit
    qtbot.waitUntil(lambda: form.lines.rowCount() == 1 and focused() is not form.picker.edit, timeout=WAIT)
    editor = focused()  # the packs cell of the new line, open for typing
    QTest.keyClicks(editor, "10")
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), "25.00")
    QTest.keyClick(focused(), Qt.Key.Key_Return)  # past the last cell: back to the search
    qtbot.waitUntil(form.picker.edit.hasFocus, timeout=WAIT)
    assert form.lines.item(0, 2).text() == "45 tablets (3 strips of 15)"
    pick(qtbot, form.picker, "azithromycin")
    qtbot.waitUntil(lambda: form.lines.rowCount() == 2, timeout=WAIT)
    type_row(qtbot, form.lines, 1, PACKS, "5", "90")
    assert form.lines.item(0, 0).text() == "Dolo 650" and form.lines.item(1, 0).text() == "Azithral 500"
    assert form.lines.item(1, PACKS).text() == "5" and form.lines.item(1, COST).text() == "90"
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.po is not None, timeout=WAIT)
    po = form.po
    assert po.status == "draft" and form.title.text() == f"{po.po_number}   Draft"
    # 10 x Rs 25 + 5 x Rs 90, GST 5% on both, as the service saved it
    assert (
        form.totals.text() == "Subtotal Rs 700.00 &middot; GST Rs 35.00 (CGST + SGST) &middot; <b>Total Rs 735.00</b>"
    )
    assert form.lines.item(0, 7).text() == "Rs 250.00"
    QTest.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.po is not None and form.po.status == "sent", timeout=WAIT)
    assert not form.save_button.isEnabled() and form.close_button.isEnabled()
    (saved,) = stored(pd.system, PurchaseOrder)
    assert (saved.status, saved.subtotal_paise, saved.supplier_id) == ("sent", 70000, row.id)
    qtbot.waitUntil(lambda: orders.table.rowCount() == 1 and orders.table.item(0, 3).text() == "Sent", timeout=WAIT)
    QTest.mouseClick(form.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Purchase order {po.po_number}" and size == (210.0, 297.0)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    for expected in (po.po_number, "MedPlus Distributors", "Dolo 650", "Azithral 500", MEDPLUS_GSTIN):
        assert expected in text
    assert not no_dialogs


def test_a_po_is_received_with_a_grn_typed_in_the_grid_and_bad_receipts_lose_nothing(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path, no_dialogs: list[str]
) -> None:
    day = purchase_day(system_ctx, make_user)
    po = order(day, ("Dolo 650", 10, 2500), ("Azithral 500", 5, 9000))
    window = window_as(qtbot, store, tmp_path, IMRAN, day.pd)
    grn = tab(qtbot, ReceiptsTab, window)
    qtbot.waitUntil(lambda: find_data(grn.order, po.id) > 0, timeout=WAIT)
    assert grn.received.date() == grn.received.maximumDate()  # today, the clinic's
    grn.order.setCurrentIndex(find_data(grn.order, po.id))  # its supplier and what is to come
    assert grn.supplier.currentData() == day.medplus.id and grn.lines.rowCount() == 2
    assert grn.lines.item(0, 3).text() == "10" and grn.lines.item(1, 6).text() == "90.00"
    QTest.keyClicks(grn.bill, "MP-7781")
    type_row(qtbot, grn.lines, 0, BATCH, "DL2405A", "06/2028", None, None, None, None, "33.60", None, "Rack A2")
    type_row(qtbot, grn.lines, 1, BATCH, "AZ-88", "09/2027", None, "4", None, None, "119", "One strip crushed")
    assert grn.lines.item(1, ACCEPTED).text() == "4" and grn.lines.item(0, MRP).text() == "33.60"
    before = written(day.system)
    QTest.mouseClick(grn.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(grn.posted.isVisible, timeout=WAIT)
    (note,) = stored(day.system, GoodsReceiptNote)
    assert grn.posted_title.text() == f"{note.grn_number}   posted" and note.total_paise == 10 * 2500 + 4 * 9000
    shown = grn.posted_text.text()
    assert f"Bill MP-7781 of MedPlus Distributors, against {po.po_number}" in shown and "total Rs 610.00" in shown
    assert "New batch DL2405A of Dolo 650, expiry 06/2028: 150 tablets (10 strips of 15)" in shown
    assert "New batch AZ-88 of Azithral 500, expiry 09/2027: 20 tablets (4 strips of 5)" in shown
    batches = {b.batch_number: b for b in stored(day.system, MedicineBatch)}
    assert (batches["DL2405A"].quantity_on_hand, batches["DL2405A"].mrp_paise, batches["DL2405A"].location) == (
        150, 3360, "Rack A2")  # fmt: skip
    assert batches["AZ-88"].expiry_date == date(2027, 9, 30) and batches["AZ-88"].quantity_on_hand == 20
    moves = stored(day.system, StockMovement, StockMovement.movement_type == "receipt")
    assert sorted(m.quantity_delta for m in moves) == [20, 150]
    assert written(day.system)["goods_receipt_notes"] == before["goods_receipt_notes"] + 1
    (saved,) = stored(day.system, PurchaseOrder)
    assert saved.status == "partially_received"  # one strip of Azithral short
    qtbot.waitUntil(lambda: grn.table.rowCount() == 1, timeout=WAIT)

    active(qtbot, grn)
    QTest.keyClick(grn, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # New receipt: the rest, on the same bill
    qtbot.waitUntil(grn.entry.isVisible, timeout=WAIT)
    assert grn.lines.rowCount() == 0 and grn.bill.text() == ""
    qtbot.waitUntil(lambda: "partly received" in grn.order.itemText(find_data(grn.order, po.id)), timeout=WAIT)
    grn.order.setCurrentIndex(find_data(grn.order, po.id))
    assert grn.lines.rowCount() == 1 and grn.lines.item(0, 3).text() == "1"
    QTest.keyClicks(grn.bill, "MP-7781")
    type_row(qtbot, grn.lines, 0, BATCH, "AZ-91", "10/2026", None, None, None, None, "119")  # expired last month
    pick(qtbot, grn.picker, "crocin")
    qtbot.waitUntil(lambda: grn.lines.rowCount() == 2, timeout=WAIT)
    type_row(qtbot, grn.lines, 1, BATCH, "CR-5", "12/2027", "3", None, None, "15", "20.40")
    before = written(day.system)
    QTest.mouseClick(grn.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(grn.message.isVisible, timeout=WAIT)
    assert grn.message.text() == (f"Bill MP-7781 of MedPlus Distributors is already entered as {note.grn_number} "
                                  "(received 30/11/2026); a bill is received once.")  # fmt: skip
    assert grn.bill.hasFocus() and grn.lines.rowCount() == 2 and grn.lines.item(1, BATCH).text() == "CR-5"
    grn.bill.selectAll()
    QTest.keyClicks(grn.bill, "MP-7790")
    QTest.mouseClick(grn.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "expired" in grn.message.text(), timeout=WAIT)
    assert grn.message.text() == ("Line 1: batch AZ-91 of Azithral 500 expired on 31/10/2026; expired stock "
                                  "cannot be received.")  # fmt: skip
    assert (grn.lines.currentRow(), grn.lines.currentColumn()) == (0, EXPIRY) and grn.entry.isVisible()
    assert written(day.system) == before and grn.lines.item(0, BATCH).text() == "AZ-91"
    type_row(qtbot, grn.lines, 0, EXPIRY, "10/2027")
    QTest.keyClick(focused(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter posts
    qtbot.waitUntil(lambda: grn.posted.isVisible() and "MP-7790" in grn.posted_text.text(), timeout=WAIT)
    assert "New batch CR-5 of Crocin Advance, expiry 12/2027: 45 tablets (3 strips of 15)" in grn.posted_text.text()
    (saved,) = stored(day.system, PurchaseOrder)
    assert saved.status == "received" and len(stored(day.system, GoodsReceiptNote)) == 2
    assert not no_dialogs


def test_a_double_click_on_post_posts_once(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path, no_dialogs: list[str]
) -> None:
    day = purchase_day(system_ctx, make_user)
    po = order(day, ("Pan 40", 4, 11000))
    window = window_as(qtbot, store, tmp_path, FARIDA, day.pd)  # a pharmacist receives goods
    grn = tab(qtbot, ReceiptsTab, window)
    qtbot.waitUntil(lambda: find_data(grn.order, po.id) > 0, timeout=WAIT)
    grn.order.setCurrentIndex(find_data(grn.order, po.id))
    QTest.keyClicks(grn.bill, "MP-1")
    type_row(qtbot, grn.lines, 0, BATCH, "P40-1", "1/28", None, None, None, None, "155")
    hold = threading.Event()
    worker().submit(lambda: hold.wait(5))  # the worker is busy: the post waits behind it
    QTest.mouseClick(grn.post_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(grn.post_button, Qt.MouseButton.LeftButton)
    assert not grn.post_button.isEnabled()
    hold.set()
    qtbot.waitUntil(grn.posted.isVisible, timeout=WAIT)
    assert len(stored(day.system, GoodsReceiptNote)) == 1 and not grn.message.isVisible()
    (batch,) = stored(day.system, MedicineBatch)
    assert batch.expiry_date == date(2028, 1, 31) and batch.quantity_on_hand == 4 * 10
    assert not no_dialogs


def test_what_each_role_is_offered(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path, no_dialogs: list[str]
) -> None:
    day: PurchaseDay = purchase_day(system_ctx, make_user)
    order(day, ("Dolo 650", 2, 2500))
    farida = window_as(qtbot, store, tmp_path, FARIDA, day.pd)
    offered = [title for _target, title, codes in TABS if farida.session.can(*codes)]
    assert {"Suppliers", "Purchase orders", "Receipts"} <= set(offered)
    orders = tab(qtbot, OrdersTab, farida)
    form = orders.editor
    qtbot.waitUntil(lambda: orders.table.rowCount() == 1, timeout=WAIT)
    assert not orders.new_button.isVisible() and not form.save_button.isVisible()
    assert not form.send_button.isVisible() and not form.picker.isVisible()
    orders.table.selectRow(0)
    assert form.po is not None and form.print_button.isEnabled()  # she may read and print it
    receipts = tab(qtbot, ReceiptsTab, farida)
    assert receipts.new_button.isVisible() and receipts.post_button.isVisible()
    suppliers = tab(qtbot, SuppliersTab, farida)
    qtbot.waitUntil(lambda: len(suppliers.rows) == 2, timeout=WAIT)
    assert not suppliers.save_button.isVisible() and not suppliers.name.isEnabled()

    desk = window_as(qtbot, store, tmp_path, DESK, day.pd)
    assert not [title for _target, title, codes in TABS if desk.session.can(*codes)]
    dock = InventoryDock(desk)
    qtbot.addWidget(dock)
    assert dock.pages == {} and dock.tabs.count() == 0
    assert not no_dialogs


def test_a_draft_is_cancelled_with_a_reason(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path, no_dialogs: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    day = purchase_day(system_ctx, make_user)
    po = order(day, ("Dolo 650", 2, 2500), send=False)
    answers = iter([("", True), ("Ordered twice by mistake", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    window = window_as(qtbot, store, tmp_path, IMRAN, day.pd)
    orders = tab(qtbot, OrdersTab, window)
    qtbot.waitUntil(lambda: orders.table.rowCount() == 1, timeout=WAIT)
    orders.table.selectRow(0)
    form = orders.editor
    assert form.po is not None and form.po.id == po.id and form.cancel_button.isEnabled()
    assert not form.close_button.isEnabled()  # a draft is cancelled, not closed
    QTest.mouseClick(form.cancel_button, Qt.MouseButton.LeftButton)  # no reason given
    qtbot.waitUntil(form.message.isVisible, timeout=WAIT)
    assert form.message.text() == "A reason for cancelling is required."
    QTest.mouseClick(form.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.po is not None and form.po.status == "cancelled", timeout=WAIT)
    assert form.title.text() == f"{po.po_number}   Cancelled" and not form.save_button.isEnabled()
    (saved,) = stored(day.system, PurchaseOrder)
    assert saved.status == "cancelled" and "Ordered twice by mistake" in saved.notes
    qtbot.waitUntil(lambda: orders.table.item(0, 3).text() == "Cancelled", timeout=WAIT)
    assert not no_dialogs
