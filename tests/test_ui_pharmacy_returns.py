"""The Pharmacy dock's Counter, Returns and H1 register tabs, driven as Farida works them over a real store: an
over-the-counter sale to a registered patient (a Schedule H1 medicine refused in the service's words), a strip
coming back (one part restocked, an opened part not) with the refund and where it goes, and the H1 register
listing a supply as it happens and printing it through the preview."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.models.pharmacy import PharmacyReturn, PharmacyReturnItem
from hms_desktop.context import Context
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.storage.store import Store
from tests.dispense_fixtures import LATER, edit_medicine, rx_item, rx_lines, shelf, take
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, sent_rx, stocked
from tests.rx_fixtures import line
from tests.test_ui_pharmacy import active, click_row, pharmacy_window, rows, scanned_ean, type_into
from ui.qt import QMessageBox, Qt, QTest
from ui.worker import worker

WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(_n))
    return shown


@pytest.fixture
def pd(system_ctx: Context, make_user: Any) -> PharmacyDay:
    return pharmacy_day(system_ctx, make_user)


def set_spin(spin: Any, value: int) -> None:
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, str(value))


def test_an_over_the_counter_sale_then_a_strip_comes_back(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    s = shelf(pd)
    stocked(pd.system, pd.medicines["Taxim-O 200"], "T1", LATER, 30, mrp_paise=10900)
    window = pharmacy_window(qtbot, store, tmp_path, pd)
    dock = window.dock_widget("pharmacy")
    counter = dock.show_tab("Counter")
    active(qtbot, window)
    qtbot.waitUntil(counter.scan.hasFocus, timeout=WAIT)  # the scanner first, as on every selling tab
    assert not counter.dispense_button.isEnabled()
    type_into(qtbot, counter.patient.search, "Kavya")  # Enter at once: the first patient found
    qtbot.waitUntil(lambda: counter.patient.patient is not None, timeout=WAIT)
    assert counter.patient.current.text().startswith("<b>Kavya Nair (PAT-2026-00001)")
    edit_medicine(pd, "Dolo 650", barcode=scanned_ean("890123456789"))
    QTest.keyClicks(counter.scan, "8901234567890")  # a pack scanned at the counter adds its line
    QTest.keyClick(counter.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(counter.lines) == 1, timeout=WAIT)
    assert counter.scan_note.text() == "Dolo 650 added."
    assert rows(counter.table, 2) == [["Dolo 650 (Paracetamol 650 mg)", "60 tablets"]]  # DX's 100 are expired
    assert counter.table.cellWidget(0, 2).value() == 15  # a strip
    qtbot.waitUntil(lambda: [r[1] for r in rows(counter.plan.table)] == ["D1", "D2"], timeout=WAIT)

    type_into(qtbot, counter.medicine.search, "Taxim")  # a Schedule H1 medicine over the counter
    qtbot.waitUntil(counter.message.isVisible, timeout=WAIT)
    assert counter.message.text() == "Taxim-O 200 is a Schedule H1 medicine: it is sold only against a prescription."
    assert counter.table.currentRow() == 1 and counter.plan.table.rowCount() == 0
    counter.table.setFocus()
    QTest.keyClick(counter.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: counter.plan.table.rowCount() == 2 and not counter.message.isVisible(), timeout=WAIT)
    QTest.mouseClick(counter.dispense_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "DSP-2026-000001" in counter.summary.text(), timeout=WAIT)
    assert "sold to Kavya Nair: Rs 33.60 for 2 lines" in counter.summary.text()
    assert counter.lines == [] and counter.patient.patient is None  # ready for the next customer
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (0, 45)

    # the strip comes back: D1's ten sealed (restocked), D2's five opened (recorded, not restocked)
    returns = dock.show_tab("Returns")
    active(qtbot, window)
    type_into(qtbot, returns.patient.search, "Kavya")
    qtbot.waitUntil(lambda: returns.list.rowCount() == 1, timeout=WAIT)
    assert rows(returns.list)[0][1:] == ["DSP-2026-000001", "counter sale", "Rs 33.60", "dispensed"]
    click_row(returns.list, 0)
    qtbot.waitUntil(lambda: returns.lines.rowCount() == 2, timeout=WAIT)
    assert rows(returns.lines, 5) == [
        ["Dolo 650 (Paracetamol 650 mg)", "D1", "31 Jan 2027", "10 tablets", "-"],
        ["Dolo 650 (Paracetamol 650 mg)", "D2", "30 Jun 2027", "5 tablets", "-"],
    ]
    assert [box.isChecked() for box in returns.restocks] == [True, True]  # restock by default
    set_spin(returns.lines.cellWidget(0, 5), 10)
    set_spin(returns.lines.cellWidget(1, 5), 5)
    QTest.mouseClick(returns.restocks[1], Qt.MouseButton.LeftButton)  # opened: not back on the shelf
    assert not returns.restocks[1].isChecked()
    assert "Refund: <b>Rs 33.60</b>" in returns.refund.text()
    type_into(qtbot, returns.reason, "Fever settled; the doctor stopped it")  # Enter takes it back
    qtbot.waitUntil(lambda: "PRT-2026-00001" in returns.summary.text(), timeout=WAIT)
    text = returns.summary.text()
    assert "Refund <b>Rs 33.60</b>" in text and "10 of Dolo 650 (Paracetamol 650 mg) (batch D1, restocked)" in text
    assert "(batch D2, not restocked)" in text
    assert "Rs 33.60 was not billed yet: the charge is reduced, so the patient's bill is lower." in text
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (10, 45)
    with pd.system.transaction(readonly=True) as tx:
        r = tx.session.scalars(select(PharmacyReturn)).one()
        assert (r.refund_amount_paise, r.reason) == (3360, "Fever settled; the doctor stopped it")
        items = tx.session.scalars(select(PharmacyReturnItem)).all()
        assert sorted((i.quantity_returned, i.restock) for i in items) == [(5, False), (10, True)]
    qtbot.waitUntil(lambda: rows(returns.list)[0][4] == "returned", timeout=WAIT)
    assert not returns.return_button.isEnabled()  # nothing more can come back on it
    assert not no_dialogs


def test_the_h1_register_lists_a_supply_as_it_happens_and_prints(
    qtbot: Any, store: Store, pd: PharmacyDay, tmp_path: Path, no_dialogs: list[str], previews: list[Any]
) -> None:
    stocked(pd.system, pd.medicines["Taxim-O 200"], "T1", LATER, 30, mrp_paise=10900)
    rx = sent_rx(pd, line(pd.medicines["Taxim-O 200"], quantity=10))
    window = pharmacy_window(qtbot, store, tmp_path, pd)
    register = window.dock_widget("pharmacy").show_tab("H1 register")
    assert (register.date_from.date().toString("yyyy-MM-dd"), register.date_to.date().toString("yyyy-MM-dd")) == (
        "2026-11-01", "2026-11-30")  # this month  # fmt: skip
    qtbot.waitUntil(lambda: register.count.text() == "0 entries", timeout=WAIT)
    item = rx_item(rx, "Taxim-O 200")
    dispense(pd.pharmacist, rx_lines(rx, take(pd, "Taxim-O 200", 10, prescription_item_id=item)),
             request_id=uuid.uuid4())  # fmt: skip
    qtbot.waitUntil(lambda: register.table.rowCount() == 1, timeout=WAIT)  # on its own
    assert rows(register.table)[0][1:] == ["DSP-2026-000001", rx.code, "Kavya Nair", "-", "Dr Meera Iyer",
                                           "Taxim-O 200 (Cefixime 200 mg)", "T1", "30 Jun 2027", "10",
                                           "Farida Khan"]  # fmt: skip
    register.schedule.setCurrentIndex(1)  # Schedule X
    qtbot.waitUntil(lambda: register.count.text() == "0 entries", timeout=WAIT)
    register.schedule.setCurrentIndex(0)
    qtbot.waitUntil(lambda: register.count.text() == "1 entry", timeout=WAIT)
    QTest.mouseClick(register.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert (title, size) == ("Schedule H1 register", (297.0, 210.0))
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    for expected in ("Kavya Nair", "T1", "DSP-2026-000001", "Meera Iyer"):
        assert expected in text
    assert register.print_button.isEnabled() and not no_dialogs
