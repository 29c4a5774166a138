"""The Inventory dock's Adjustments and Counts tabs, maker-checker in two windows over one store: Imran asks for a
damage write-off and cannot approve his own request (no button; the service's refusal shown if it is forced),
Asha approves it on her window and the batch's stock moves; Imran counts the shelf blind (no system quantity on
the sheet), typing the counts with Enter, finishes and sees the variance, cannot approve his own count and is
told why, and Asha's approval posts the correction so the batch holds what was counted. A Pharmacist sees the
tabs but no Approve."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.models.inventory import CycleCount, StockAdjustment
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.inventory_ui_support import ASHA, FARIDA, IMRAN, WAIT, shelf, tab_for
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day
from ui.docks.inventory.adjustments_tab import AdjustmentsTab
from ui.docks.inventory.counts_tab import CountsTab
from ui.docks.inventory.widget import TABS
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


def adjustment_rows(ctx: Context) -> list[StockAdjustment]:
    with ctx.transaction(readonly=True) as tx:
        rows = list(tx.session.scalars(select(StockAdjustment).order_by(StockAdjustment.code)))
        for r in rows:
            tx.session.expunge(r)
        return rows


def cell_texts(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]  # fmt: skip


def test_an_adjustment_is_approved_by_a_second_manager_and_the_stock_moves(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    made = shelf(pd)
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, AdjustmentsTab)
    QTest.keyClicks(tab.finder.edit, "dolo")
    QTest.keyClick(tab.finder.edit, Qt.Key.Key_Return)  # picks the first hit once the search answers
    qtbot.waitUntil(lambda: tab.batch.count() == 2, timeout=WAIT)
    assert tab.batch.itemText(0) == "DL-2, exp. 31 Jan 2027: 25 tablets (1 strip of 15 + 10)"
    tab.batch.setCurrentIndex(1)  # DL-1, 40 tablets
    tab.change.lineEdit().selectAll()
    QTest.keyClicks(tab.change.lineEdit(), "5")
    tab.reason.setCurrentIndex(tab.reason.findData("damage"))
    QTest.keyClicks(tab.reason_text, "Strip crushed under a carton")
    QTest.keyClick(tab.reason_text, Qt.Key.Key_Return)  # damage adding stock: refused under the change
    qtbot.waitUntil(lambda: bool(tab.errors.message_for("quantity_change")), timeout=WAIT)
    assert "enter a negative number (e.g. -5)" in tab.errors.message_for("quantity_change")
    assert adjustment_rows(pd.system) == []

    tab.change.lineEdit().selectAll()
    QTest.keyClicks(tab.change.lineEdit(), "-5")
    QTest.mouseClick(tab.request_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(tab.rows) == 1, timeout=WAIT)
    (row,) = adjustment_rows(pd.system)
    assert (row.status, row.quantity_change, row.reason, row.batch_id) == ("requested", -5, "damage", made.dl1)
    assert f"{row.code} requested" in tab.request_message.text() and on_hand(pd.system, made.dl1) == 40
    assert tab.table.item(0, 7).text() == "requested, needs another approver"
    tab.table.selectRow(0)
    assert not tab.approve_button.isVisible() and not tab.reject_button.isVisible()  # his own request
    assert "needs another approver" in tab.detail.text()
    tab.approve()  # forced past the screen: the service refuses, in its words
    qtbot.waitUntil(tab.decide_message.isVisible, timeout=WAIT)
    assert f"You requested {row.code}, so another member of staff" in tab.decide_message.text()
    assert adjustment_rows(pd.system)[0].status == "requested" and on_hand(pd.system, made.dl1) == 40

    asha = tab_for(qtbot, store, tmp_path, ASHA, pd, AdjustmentsTab)
    qtbot.waitUntil(lambda: asha.select(row.code), timeout=WAIT)
    assert asha.table.item(0, 7).text() == "to approve"
    assert asha.approve_button.isVisible() and asha.approve_button.isEnabled()
    QTest.mouseClick(asha.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "applied" in asha.decide_message.text(), timeout=WAIT)
    assert on_hand(pd.system, made.dl1) == 35 and "now holds 35" in asha.decide_message.text()
    applied = adjustment_rows(pd.system)[0]
    assert applied.status == "applied" and applied.approved_by_id != applied.requested_by_id
    qtbot.waitUntil(lambda: tab.rows == [], timeout=WAIT)  # Imran's "To decide" heard of it
    tab.filter.setCurrentIndex(tab.filter.findData("applied"))
    qtbot.waitUntil(lambda: len(tab.rows) == 1 and tab.table.item(0, 8).text() == "Asha Rao", timeout=WAIT)
    assert not no_dialogs


def test_a_blind_count_finished_and_approved_by_someone_who_did_not_count(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str], previews: list[Any]
) -> None:
    made = shelf(pd)
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, CountsTab)
    panel = tab.panel
    assert tab.scope.currentData() == "all"
    QTest.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.edits) == 3 and len(tab.counts) == 1, timeout=WAIT)
    count = tab.counts[0]
    headers = [panel.sheet.horizontalHeaderItem(c).text() for c in range(panel.sheet.columnCount())]
    assert headers == ["Medicine", "Batch", "Expiry", "Location", "Counted"]
    rows = cell_texts(panel.sheet)
    assert [r[:4] for r in rows] == [
        ["Dolo 650", "DL-2", "31 Jan 2027", "Rack A"],
        ["Dolo 650", "DL-1", "30 Sep 2027", "Rack A"],
        ["Pan 40", "PN-1", "31 Mar 2028", "Rack B"],
    ]  # shelf order; FEFO within a shelf
    assert all(r[4] == "" for r in rows) and [e.text() for e in panel.edits] == ["", "", ""]  # nothing to copy
    shown = " ".join(" ".join(r[1:]) for r in rows) + panel.title.text() + panel.hint.text()
    assert not set(re.findall(r"\d+", shown)) & {"25", "40", "60"} and "Blind count" in panel.hint.text()
    assert count.status == "in_progress" and count.id == panel.count.id

    QTest.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Count sheet {count.code}" and size == (210.0, 297.0)
    assert "DL-1" in pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()

    qtbot.waitUntil(lambda: panel.focusWidget() is panel.edits[0], timeout=WAIT)  # back to the first cell
    for i, value in enumerate(("25", "38", "60")):  # DL-2 right, DL-1 two short, PN-1 right
        assert panel.focusWidget() is panel.edits[i]
        QTest.keyClicks(panel.edits[i], value)
        QTest.keyClick(panel.edits[i], Qt.Key.Key_Return)  # recorded; the next row's cell
    assert panel.focusWidget() is panel.finish_button
    qtbot.waitUntil(lambda: panel.count.items_recorded == 3, timeout=WAIT)
    QTest.mouseClick(panel.finish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.report.isVisible() and panel.report.rowCount() == 3, timeout=WAIT)
    headers = [panel.report.horizontalHeaderItem(c).text() for c in range(panel.report.columnCount())]
    assert headers == ["Medicine", "Batch", "Expiry", "Location", "System", "Counted", "Variance", "Posted"]
    assert [r[1] + " " + " ".join(r[4:7]) for r in cell_texts(panel.report)] == ["DL-2 25 25 0", "DL-1 40 38 -2",
                                                                                  "PN-1 60 60 0"]  # fmt: skip
    assert "1 batch differ" in panel.message.text()
    assert not panel.approve_button.isEnabled() and panel.approve_button.isVisible()
    assert f"You counted {count.code}, so another member of staff" in panel.hint.text()
    assert on_hand(pd.system, made.dl1) == 40

    asha = tab_for(qtbot, store, tmp_path, ASHA, pd, CountsTab)
    qtbot.waitUntil(lambda: asha.select(count.code), timeout=WAIT)
    qtbot.waitUntil(lambda: asha.panel.report.rowCount() == 3 and asha.panel.approve_button.isEnabled(), timeout=WAIT)
    QTest.mouseClick(asha.panel.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "approved" in asha.panel.message.text(), timeout=WAIT)
    assert "1 correction posted" in asha.panel.message.text()
    assert on_hand(pd.system, made.dl1) == 38 and on_hand(pd.system, made.dl2) == 25
    posted = cell_texts(asha.panel.report)[1][7]
    assert posted.endswith("(-2)") and posted.startswith("ADJ")
    with pd.system.transaction(readonly=True) as tx:
        row = tx.session.get(CycleCount, count.id)
        assert row is not None and row.approved_by_id is not None and row.approved_by_id != row.counted_by_id
    qtbot.waitUntil(lambda: "Approved by Asha Rao" in panel.title.text(), timeout=WAIT)  # Imran's window heard
    assert not panel.approve_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not no_dialogs


def test_a_count_of_one_shelf_cancelled_with_a_reason(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    shelf(pd)
    tab = tab_for(qtbot, store, tmp_path, IMRAN, pd, CountsTab)
    tab.scope.setCurrentIndex(tab.scope.findData("shelf"))
    QTest.keyClicks(tab.location, "Rack Z")
    QTest.keyClick(tab.location, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(tab.errors.message_for("medicine_ids")), timeout=WAIT)
    assert "Nothing to count" in tab.errors.message_for("medicine_ids") and tab.counts == []
    tab.location.clear()
    QTest.keyClicks(tab.location, "rack b")
    QTest.keyClick(tab.location, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.panel.edits) == 1 and len(tab.counts) == 1, timeout=WAIT)
    assert tab.panel.sheet.item(0, 1).text() == "PN-1" and "shelf rack b" in tab.panel.title.text()
    QTest.mouseClick(tab.panel.cancel_button, Qt.MouseButton.LeftButton)  # no reason yet
    qtbot.waitUntil(tab.panel.message.isVisible, timeout=WAIT)
    assert "reason for cancelling" in tab.panel.message.text().lower()
    QTest.keyClicks(tab.panel.cancel_reason, "Shelf being moved today")
    QTest.keyClick(tab.panel.cancel_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.panel.count.status == "cancelled", timeout=WAIT)
    assert "Cancelled: Shelf being moved today" in tab.panel.title.text() and tab.panel.sheet.rowCount() == 0
    qtbot.waitUntil(lambda: tab.table.item(0, 2).text() == "cancelled", timeout=WAIT)
    assert not no_dialogs


def test_a_pharmacist_sees_the_stock_tabs_but_no_approve(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    shelf(pd)
    adjustments = tab_for(qtbot, store, tmp_path, FARIDA, pd, AdjustmentsTab)
    session = adjustments.session
    offered = [title for _target, title, codes in TABS if any(session.can(c) for c in codes)]
    assert {"Stock", "Alerts", "Adjustments", "Counts"} <= set(offered)
    assert not session.can("inventory.approve")
    assert adjustments.request_button.isVisible() and not adjustments.decide_row.isVisible()
    counts = tab_for(qtbot, store, tmp_path, FARIDA, pd, CountsTab)
    assert counts.start_button.isVisible() and not counts.panel.approve_button.isVisible()
    QTest.mouseClick(counts.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(counts.panel.edits) == 3, timeout=WAIT)
    for edit in counts.panel.edits:
        edit.setText("1")
    QTest.mouseClick(counts.panel.finish_button, Qt.MouseButton.LeftButton)  # what was typed is recorded first
    qtbot.waitUntil(lambda: counts.panel.report.rowCount() == 3, timeout=WAIT)
    assert not counts.panel.approve_button.isVisible() and "with approval rights must" in counts.panel.hint.text()
    assert not no_dialogs
