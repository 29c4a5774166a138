"""The Optical dock's Orders tab, driven through its widgets as Omkar (the optician) works it over a real store:
Kavya's order from Dr Iyer's eye prescription (the Titan frame, the Hoya progressive lens), a bad PD refused in
the service's words under its field, saved as a draft and confirmed, the job card printed, then through the lab,
a failed quality check with its reason, the lab again, a pass and the delivery, the board showing the order in
its column at each step; a draft edited in the form it was made in; an order with nothing for the lab ready at
the counter; overdue orders red and in words; and the roles that do not get the tab."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.ids import uuid7
from db.models.optical import OpticalOrder, OpticalOrderItem, OpticalStatusEvent
from hms_desktop.context import Context
from hms_desktop.services.optical import orders
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput
from hms_desktop.storage.store import Store
from tests.clinical_fixtures import MONDAY
from tests.optical_fixtures import PRODUCTS, OpticalDay, optical_day, optical_on_hand
from tests.ui_support import signed_in_window
from ui.docks.optical.board import Board
from ui.docks.optical.order_common import OVERDUE_BG
from ui.docks.optical.orders_tab import OrdersTab
from ui.main_window import MainWindow
from ui.qt import QMessageBox, QPushButton, Qt, QTest, QWidget
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
OMKAR = "omkar@sunrise.example.in"
REMAKE = "Left lens axis off by 10 degrees"
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
def od(system_ctx: Context, make_user: Any) -> OpticalDay:
    return optical_day(system_ctx, make_user)


def window_of(qtbot: Any, store: Store, tmp_path: Path, od: OpticalDay, email: str = OMKAR) -> MainWindow:
    folder = tmp_path / email.split("@", maxsplit=1)[0]
    folder.mkdir()
    return signed_in_window(qtbot, store, folder, email, PASSWORD, clock=od.day.clock)


def orders_tab(qtbot: Any, window: MainWindow) -> OrdersTab:
    tab = window.dock_widget("optical").show_tab("Orders")
    assert isinstance(tab, OrdersTab)
    qtbot.waitUntil(lambda: tab.board.isVisible() and not tab.board.busy and not tab.board.dirty, timeout=WAIT)
    return tab


def click(qtbot: Any, button: QPushButton) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=WAIT)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(widget: QWidget, text: str, enter: bool = False) -> None:
    widget.setFocus()
    QTest.keySequence(widget, "Ctrl+A")
    QTest.keyClicks(widget, text)
    if enter:
        QTest.keyClick(widget, Qt.Key.Key_Return)


def stored(ctx: Context, order_id: Any) -> OpticalOrder:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(OpticalOrder).where(OpticalOrder.id == order_id)).one()
        tx.session.expunge(row)
        return row


def order_count(ctx: Context) -> int:
    with ctx.transaction(readonly=True) as tx:
        return len(tx.session.scalars(select(OpticalOrder.id)).all())


def active(qtbot: Any, widget: QWidget) -> None:
    """The window the keyboard types into (a progress dialog shown and closed meanwhile takes that away)."""
    qtbot.waitUntil(worker().idle, timeout=WAIT)
    window = widget.window()
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)


def press(qtbot: Any, widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
          ) -> None:  # fmt: skip
    """``key`` typed with the keyboard's focus in ``widget`` (a page's shortcut, as a person presses it)."""
    active(qtbot, widget)
    widget.setFocus()
    QTest.keyClick(widget, key, modifier)


def on_board(qtbot: Any, tab: OrdersTab, order_id: Any, column: str) -> str:
    """Back to the board (Esc, as the optician goes): the order's card is in ``column``; returns its text."""
    page = tab.current()
    press(qtbot, page.focusWidget() or page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.board.isVisible() and tab.board.column_of(order_id) == column, timeout=WAIT)
    return tab.board.card(order_id)


def open_card(qtbot: Any, tab: OrdersTab, column: str, status: str) -> None:
    """Enter on the column's first card opens it."""
    cards = tab.board.lists[column]
    cards.setFocus()
    cards.setCurrentRow(0)
    QTest.keyClick(cards, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: tab.detail.view.status == status, timeout=WAIT)


def step(qtbot: Any, tab: OrdersTab, button: QPushButton, status: str) -> None:
    click(qtbot, button)
    qtbot.waitUntil(lambda: tab.detail.view.status == status and not tab.detail.busy, timeout=WAIT)


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "".join(page.get_textpage().get_text_range() for page in doc)


def fill_kavyas_order(qtbot: Any, tab: OrdersTab, od: OpticalDay) -> None:
    """Kavya found by name, Dr Iyer's prescription shown, the Titan frame scanned, the Hoya progressive chosen."""
    form = tab.form
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.rx.stored is not None, timeout=WAIT)
    assert od.eye_rx.code in form.rx.title.text() and "Dr Meera Iyer" in form.rx.title.text()
    assert [form.rx.shown[("right", c)].text() for c in range(4)] == ["-2.25", "-0.50", "180", "+1.50"]
    assert "PD 62.5 mm" in form.fitting.hint.text()  # binocular only: each eye to be measured
    type_into(form.frame_pick.search, PRODUCTS["frame"]["barcode"], enter=True)  # the frame's tag scanned
    qtbot.waitUntil(lambda: form.frame is not None, timeout=WAIT)
    assert [form.fitting.text(k) for k in ("box_a", "box_b", "dbl")] == ["52", "38", "18"]  # from the frame
    qtbot.waitUntil(lambda: form.lens.lens.count() > 1, timeout=WAIT)
    names = [form.lens.lens.itemText(i) for i in range(form.lens.lens.count())]
    assert any("Hoya progressive 1.60" in n for n in names) and not any("Essilor" in n for n in names)  # ADD
    form.lens.lens.setCurrentIndex(next(i for i, n in enumerate(names) if "Hoya" in n))
    type_into(form.lens.coating.lineEdit(), "Blue cut")
    assert [line.product.name for line in form.lines.lines] == ["Titan TE-1021 black", "Hoya progressive 1.60"]
    assert "Total Rs 14,500.00" in form.lines.total.text()
    type_into(form.lines.edits[0], "250")
    assert "Total Rs 14,250.00" in form.lines.total.text()  # the running total follows the discount
    for key, text in (("right_pd", "20"), ("left_pd", "31.5"), ("right_fitting_height", "22"),
                      ("left_fitting_height", "22.5")):  # fmt: skip
        type_into(form.fitting.fields[key], text)
    type_into(form.lab, "Essilor Rx lab, Peenya")


def test_kavyas_progressives_from_draft_through_the_lab_and_a_remake_to_delivery(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path, no_dialogs: list[str], previews: list[Any]
) -> None:
    window = window_of(qtbot, store, tmp_path, od)
    tab = orders_tab(qtbot, window)
    click(qtbot, tab.board.new_button)
    qtbot.waitUntil(tab.form.isVisible, timeout=WAIT)
    fill_kavyas_order(qtbot, tab, od)

    click(qtbot, tab.form.save_button)  # a PD of 20 mm: refused under its field, nothing saved
    qtbot.waitUntil(lambda: bool(tab.form.messages.text("right_pd")), timeout=WAIT)
    assert tab.form.messages.text("right_pd") == "A monocular PD (one eye) runs from 25 to 40 mm."
    assert order_count(od.system) == 0 and tab.form.isVisible()
    type_into(tab.form.fitting.fields["right_pd"], "31")
    click(qtbot, tab.form.save_button)
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view is not None, timeout=WAIT)
    view = tab.detail.view
    assert view.status == "draft" and "Saved as draft" in tab.detail.info.text()
    row = stored(od.system, view.id)
    assert (row.right_pd_mm_tenths, row.left_pd_mm_tenths, row.left_fitting_height_mm_tenths) == (310, 315, 225)
    assert (row.box_a_mm_tenths, row.dbl_mm_tenths, row.total_paise, row.lab_name) == (
        520, 180, 1_425_000, "Essilor Rx lab, Peenya")  # fmt: skip
    assert view.lines[1].options == {"coating": "Blue cut"}
    card = on_board(qtbot, tab, view.id, "draft")
    assert card.splitlines() == [view.code, "Kavya Nair", "Due 05 Dec"]

    open_card(qtbot, tab, "draft", "draft")
    step(qtbot, tab, tab.detail.confirm_button, "confirmed")
    assert optical_on_hand(od.system, od.products["frame"]) == 2  # the frame is off the shelf
    click(qtbot, tab.detail.card_button)
    qtbot.waitUntil(lambda: len(previews) == 1, timeout=WAIT)
    pdf, title, size = previews[0]
    assert title == f"Job card {view.code}" and size == (148.0, 210.0)
    assert pdf.startswith(b"%PDF") and view.code in pdf_text(pdf) and "Essilor Rx lab, Peenya" in pdf_text(pdf)
    on_board(qtbot, tab, view.id, "confirmed")

    open_card(qtbot, tab, "confirmed", "confirmed")
    assert tab.detail.lab_name.text() == "Essilor Rx lab, Peenya"  # the order's lab, prefilled
    type_into(tab.detail.lab_ref, "ESS-4471")
    step(qtbot, tab, tab.detail.send_button, "in_lab")
    assert stored(od.system, view.id).lab_reference == "ESS-4471"
    on_board(qtbot, tab, view.id, "in_lab")
    open_card(qtbot, tab, "in_lab", "in_lab")
    step(qtbot, tab, tab.detail.back_button, "received")
    on_board(qtbot, tab, view.id, "received")

    open_card(qtbot, tab, "received", "received")
    click(qtbot, tab.detail.fail_button)  # no reason: refused in the service's words, under the reason
    qtbot.waitUntil(lambda: bool(tab.detail.messages.text("reason")), timeout=WAIT)
    assert tab.detail.messages.text("reason") == (
        f"Say why order {view.code} failed quality check: the lab remakes it from that."
    )
    assert stored(od.system, view.id).status == "received"
    type_into(tab.detail.qc_reason, REMAKE)
    step(qtbot, tab, tab.detail.fail_button, "in_lab")
    assert stored(od.system, view.id).remake_count == 1
    assert on_board(qtbot, tab, view.id, "in_lab").splitlines()[-1] == "Remake 1"
    open_card(qtbot, tab, "in_lab", "in_lab")
    step(qtbot, tab, tab.detail.back_button, "received")
    step(qtbot, tab, tab.detail.pass_button, "ready")
    on_board(qtbot, tab, view.id, "ready")
    open_card(qtbot, tab, "ready", "ready")
    active(qtbot, tab)
    qtbot.waitUntil(tab.detail.deliver_button.hasFocus, timeout=WAIT)  # the keys on the next step
    QTest.keyClick(tab.detail.deliver_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: tab.detail.view.status == "delivered" and not tab.detail.busy, timeout=WAIT)
    assert not tab.detail.steps.isVisible()  # nothing more to do
    history = tab.detail.history
    assert [history.item(r, 1).text() for r in range(history.rowCount())] == [
        "Draft", "Confirmed", "Sent to lab", "Back from lab", "Sent to lab", "Back from lab", "Ready to collect",
        "Delivered"]  # fmt: skip
    assert {history.item(r, 2).text() for r in range(history.rowCount())} == {"Omkar Patil"}
    assert history.item(4, 3).text() == f"Quality check failed; remake 1: {REMAKE}"
    assert on_board(qtbot, tab, view.id, "done").splitlines()[2] == "Delivered"
    assert stored(od.system, view.id).status == "delivered" and no_dialogs == []


def test_a_saved_draft_is_edited_in_its_form_and_saved_back_as_the_same_order(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    tab = orders_tab(qtbot, window_of(qtbot, store, tmp_path, od))
    click(qtbot, tab.board.new_button)
    fill_kavyas_order(qtbot, tab, od)
    type_into(tab.form.fitting.fields["right_pd"], "31")
    type_into(tab.form.notes, "Thin rims: check the edge")
    click(qtbot, tab.form.save_button)
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view is not None, timeout=WAIT)
    code, draft_id = tab.detail.view.code, tab.detail.view.id
    on_board(qtbot, tab, draft_id, "draft")
    open_card(qtbot, tab, "draft", "draft")
    assert "Ctrl+E" in tab.detail.edit_button.toolTip()
    editor = tab.editor

    def edit() -> None:  # Ctrl+E on the draft's page: the form filled with the draft as saved
        press(qtbot, tab.detail.back_to_board, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: editor.isVisible() and editor.lens.current() is not None, timeout=WAIT)
        assert editor.title.text().startswith(f"Edit draft {code}") and editor.patient.patient.full_name == "Kavya Nair"
        assert od.eye_rx.code in editor.rx.title.text() and not editor.rx.is_outside()
        assert [line.product.name for line in editor.lines.lines] == ["Titan TE-1021 black", "Hoya progressive 1.60"]
        assert (editor.lens.eye.currentData(), editor.lens.coating.currentText()) == ("both", "Blue cut")
        assert [e.text() for e in editor.lines.edits] == ["250", ""]  # the discounts as typed
        assert "Total Rs 14,250.00" in editor.lines.total.text()
        assert [editor.fitting.text(k) for k in ("right_pd", "left_pd", "left_fitting_height", "box_a", "dbl")] == [
            "31", "31.5", "22.5", "52", "18"]  # fmt: skip
        assert (editor.lab.text(), editor.notes.text()) == ("Essilor Rx lab, Peenya", "Thin rims: check the edge")
        assert editor.promised.date().toString("dd-MM-yyyy") == "05-12-2026"

    edit()
    type_into(editor.lab, "Lab typed and dropped")
    press(qtbot, editor.lab, Qt.Key.Key_Escape)  # back to the draft: nothing changed
    qtbot.waitUntil(tab.detail.isVisible, timeout=WAIT)
    assert stored(od.system, draft_id).lab_name == "Essilor Rx lab, Peenya"
    edit()  # filled again from the draft as saved, not from what was typed and dropped
    type_into(editor.lines.edits[0], "150")
    type_into(editor.lab, "Zeiss Vision lab, Jayanagar")
    assert "Total Rs 14,350.00" in editor.lines.total.text()
    press(qtbot, editor.lab, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S: update_order
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view.lab_name.startswith("Zeiss"), timeout=WAIT)
    assert tab.detail.info.text() == f"Draft {code} saved." and order_count(od.system) == 1
    row = stored(od.system, draft_id)
    assert (row.status, row.lab_name, row.discount_paise, row.total_paise, row.right_pd_mm_tenths,
            row.optical_prescription_id) == ("draft", "Zeiss Vision lab, Jayanagar", 15_000, 1_435_000, 310,
                                             od.eye_rx.id)  # fmt: skip
    with od.system.transaction(readonly=True) as tx:
        items = tx.session.scalars(select(OpticalOrderItem).where(OpticalOrderItem.order_id == draft_id)
                                   .order_by(OpticalOrderItem.line_no)).all()  # fmt: skip
        live = [(i.line_no, i.discount_paise, i.customization) for i in items if i.deleted_at is None]
        gone = [i.discount_paise for i in items if i.deleted_at is not None]
        steps = tx.session.scalars(select(OpticalStatusEvent.to_status).where(OpticalStatusEvent.order_id == draft_id)
                                   ).all()  # fmt: skip
    assert live == [(1, 15_000, {}), (2, 0, {"coating": "Blue cut"})] and gone == [25_000, 0]  # the old lines kept
    assert steps == ["draft"]  # update_order logs no step: the history keeps its one "Draft"
    history = tab.detail.history
    assert [history.item(r, 1).text() for r in range(history.rowCount())] == ["Draft"] and no_dialogs == []


def test_sunglasses_and_solution_are_confirmed_from_the_form_and_ready_at_the_counter(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    tab = orders_tab(qtbot, window_of(qtbot, store, tmp_path, od))
    press(qtbot, tab.board.search, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # Alt+N: a new order
    qtbot.waitUntil(tab.form.isVisible, timeout=WAIT)
    form = tab.form
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.rx.stored is not None, timeout=WAIT)
    type_into(form.frame_pick.search, "RB2140", enter=True)
    qtbot.waitUntil(lambda: form.frame is not None, timeout=WAIT)
    type_into(form.item_pick.search, "ReNu", enter=True)
    qtbot.waitUntil(lambda: len(form.lines.lines) == 2, timeout=WAIT)
    assert "Total Rs 9,440.00" in form.lines.total.text()
    press(qtbot, form.lab, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: confirm
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: tab.detail.view.status == "confirmed", timeout=WAIT)
    assert not tab.detail.send_button.isVisible() and not tab.detail.card_button.isVisible()  # nothing for a lab
    step(qtbot, tab, tab.detail.counter_button, "ready")
    step(qtbot, tab, tab.detail.deliver_button, "delivered")
    assert optical_on_hand(od.system, od.products["sunglasses"]) == 1 and no_dialogs == []


def test_an_outside_prescription_typed_in_lists_the_lenses_for_its_powers_and_needs_its_prescriber(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    tab = orders_tab(qtbot, window_of(qtbot, store, tmp_path, od))
    click(qtbot, tab.board.new_button)
    form = tab.form
    type_into(form.patient.search, "Kavya", enter=True)
    qtbot.waitUntil(lambda: form.rx.stored is not None, timeout=WAIT)
    QTest.mouseClick(form.rx.outside_box, Qt.MouseButton.LeftButton)
    assert form.rx.is_outside() and form.rx.editor.isVisible() and not form.rx.table.isVisible()
    for key, text in (("right_sphere", "-1.00"), ("left_sphere", "-1.25")):
        type_into(form.rx.cells[key], text)
    type_into(form.rx.pd, "62")
    qtbot.waitUntil(lambda: form.lens.lens.count() == 2, timeout=WAIT)  # no ADD: single vision only
    assert "Essilor single vision 1.50" in form.lens.lens.itemText(1)
    form.lens.lens.setCurrentIndex(1)
    type_into(form.frame_pick.search, "TE-1021", enter=True)
    qtbot.waitUntil(lambda: form.frame is not None, timeout=WAIT)
    for key in ("right_pd", "left_pd"):
        type_into(form.fitting.fields[key], "31")
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: bool(form.messages.text("outside_rx.prescriber")), timeout=WAIT)
    assert form.messages.text("outside_rx.prescriber") == (
        "Give the name of the doctor or optometrist who wrote the outside prescription."
    )
    type_into(form.rx.prescriber, "Dr R Rao, Vasan Eye Care")
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: tab.detail.isVisible() and tab.detail.view is not None, timeout=WAIT)
    view = tab.detail.view
    assert view.outside_prescriber == "Dr R Rao, Vasan Eye Care" and view.prescription is not None
    assert view.prescription.right.rx_text == "-1.00 DS" and view.lines[1].description.startswith("Essilor")
    assert "Outside prescription" in tab.detail.rx.text() and no_dialogs == []


def test_an_order_past_its_promised_date_is_red_and_says_how_late_in_words(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path
) -> None:
    lines = [OrderLineInput(product_id=od.products["frame"])]
    late = orders.create_order(od.optician, OrderInput(patient_id=od.patient_id, lines=lines, promised_date=MONDAY),
                               uuid7())  # fmt: skip
    later = MONDAY + timedelta(days=4)
    due = orders.create_order(od.optician, OrderInput(patient_id=od.patient_id, lines=lines, promised_date=later),
                              uuid7())  # fmt: skip
    orders.confirm_order(od.optician, due.id)
    od.day.clock.advance(days=2)
    tab = orders_tab(qtbot, window_of(qtbot, store, tmp_path, od))
    board: Board = tab.board
    qtbot.waitUntil(lambda: board.column_of(late.id) == "draft", timeout=WAIT)
    assert board.card(late.id).splitlines()[2:] == ["Overdue 2 days", "promised 30 Nov"]
    assert board.lists["draft"].item(0).background().color().name() == OVERDUE_BG
    assert board.card(due.id).splitlines()[2] == "Due 04 Dec" and "1 overdue" in board.titles["draft"].text()
    assert board.count.text() == "2 open orders, 1 overdue"
    type_into(board.search, late.code, enter=True)  # the job card's code typed (or scanned) opens it
    qtbot.waitUntil(lambda: tab.detail.view is not None and tab.detail.view.id == late.id, timeout=WAIT)
    assert tab.detail.badge.text() == "Overdue 2 days"


def test_a_receptionist_gets_no_optical_dock_and_the_stock_room_no_orders_tab(
    qtbot: Any, store: Store, od: OpticalDay, tmp_path: Path
) -> None:
    desk = window_of(qtbot, store, tmp_path, od, "desk@sunrise.example.in")
    assert "optical" not in desk.offered()
    imran = window_of(qtbot, store, tmp_path, od, "imran@sunrise.example.in")  # Inventory Manager: optical.view
    if "optical" in imran.offered():
        assert "Orders" not in imran.dock_widget("optical").pages
