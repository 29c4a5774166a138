"""The Optical dock's Catalogue tab over a real store: Meena (a role given optical.catalog) adds a frame and a
progressive lens through the form whose fields follow the category, a bad value answered in the service's words
under its field and nothing written; the Super Admin receives and counts a frame's stock and retires and restores
it; Omkar (Optical Staff) searches, filters and scans the catalogue and sees it read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models.optical import OpticalProduct
from hms_desktop.context import Context
from hms_desktop.storage.store import Store
from tests.optical_catalog_fixtures import CatalogDay, catalog_day, written
from tests.optical_fixtures import PRODUCTS, optical_on_hand
from tests.ui_support import signed_in_window
from ui.forms import find_data
from ui.main_window import MainWindow
from ui.qt import QMessageBox, Qt, QTest
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"  # make_user's default
MEENA, OMKAR = "meena@sunrise.example.in", "omkar@sunrise.example.in"
WAIT = 5000


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
def cd(system_ctx: Context, make_user: Any) -> CatalogDay:
    return catalog_day(system_ctx, make_user)


def catalog_tab(qtbot: Any, store: Store, tmp_path: Path, cd: CatalogDay, email: str, password: str = PASSWORD
                ) -> tuple[MainWindow, Any]:  # fmt: skip
    window = signed_in_window(qtbot, store, tmp_path, email, password, clock=cd.od.day.clock)
    tab = window.dock_widget("optical").show_tab("Catalogue")
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.waitUntil(lambda: len(tab.products) == len(PRODUCTS), timeout=WAIT)
    return window, tab


def stored(ctx: Context, sku: str) -> OpticalProduct:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.scalars(select(OpticalProduct).where(OpticalProduct.sku == sku)).one()
        tx.session.expunge(row)
        return row


def type_into(widget: Any, text: str, enter: bool = False) -> None:
    widget.setFocus()
    QTest.keyClicks(widget, text)
    if enter:
        QTest.keyClick(widget, Qt.Key.Key_Return)


def click(qtbot: Any, button: Any) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=WAIT)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def names(tab: Any) -> list[str]:
    return [tab.list.item(r, 1).text() for r in range(tab.list.rowCount())]


def test_the_catalogue_editor_adds_a_frame_and_a_progressive_lens(
    qtbot: Any, store: Store, cd: CatalogDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    window, tab = catalog_tab(qtbot, store, tmp_path, cd, MEENA)
    assert list(window.dock_widget("optical").pages) == ["Catalogue"]  # no orders or repairs for this role
    form = tab.form
    assert form.title.text() == "New product" and form.save_button.isVisible()
    assert "frame_a" in form.grid.shown and "sphere_min" not in form.grid.shown  # a frame's fields
    for name, text in (
        ("name", "Lenskart Air LA-E1220 matte black"),
        ("brand", "Lenskart Air"),
        ("model", "LA-E1220"),
        ("color", "Matte black"),
        ("frame_a", "95"),
        ("frame_b", "38"),
        ("frame_dbl", "18"),
        ("temple", "140"),
        ("mrp", "2,499.50"),
        ("barcode", "8901234501238"),
    ):
        type_into(form.edits[name], text)  # fmt: skip
    form.rim_type.setCurrentIndex(find_data(form.rim_type, "full_rim"))
    before = written(cd.system)
    QTest.keyClick(form.edits["barcode"], Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: form.grid.message_for("frame_a") != "", timeout=WAIT)
    assert form.grid.message_for("frame_a") == "A (the lens width) is in whole millimetres, from 20 to 90 (for " \
                                               "example 55)."  # fmt: skip
    assert form.edits["frame_a"].hasFocus() and written(cd.system) == before  # nothing written
    form.edits["frame_a"].setText("52")
    QTest.keyClick(form.edits["frame_a"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.product is not None, timeout=WAIT)
    frame = form.product
    assert form.grid.message_for("frame_a") == "" and form.title.text() == f"{frame.sku}  Lenskart Air LA-E1220 " \
                                                                            "matte black"  # fmt: skip
    row = stored(cd.system, frame.sku)
    assert (row.category, row.frame_a_mm, row.frame_b_mm, row.frame_dbl_mm, row.temple_mm, row.rim_type) == (
        "frame", 52, 38, 18, 140, "full_rim")  # fmt: skip
    assert (row.mrp_paise, row.hsn_code, row.gst_rate_basis_points, row.is_stocked) == (249_950, "9003", 500, True)
    qtbot.waitUntil(lambda: "Lenskart Air LA-E1220 matte black" in names(tab), timeout=WAIT)
    r = names(tab).index("Lenskart Air LA-E1220 matte black")
    assert [tab.list.item(r, c).text() for c in (0, 2, 3, 4, 5, 6)] == [
        frame.sku, "Frame", "Rs 2,499.50", "5%", "Out of stock", "52-18-140"]  # fmt: skip

    click(qtbot, form.new_button)
    assert form.product is None and form.edits["name"].text() == ""
    form.category.setCurrentIndex(find_data(form.category, "lens"))
    assert "frame_a" not in form.grid.shown and not form.stocked.isChecked()  # a lens is made to order
    form.lens_type.setCurrentIndex(find_data(form.lens_type, "progressive"))
    assert {"lens_index", "coatings", "tint", "sphere_min", "cylinder_min", "add_min"} <= set(form.grid.shown)
    for name, text in (
        ("name", "Zeiss progressive 1.67"),
        ("brand", "Zeiss"),
        ("lens_index", "1.67"),
        ("coatings", "DuraVision"),
        ("sphere_min", "-10.00"),
        ("sphere_max", "+8"),
        ("cylinder_min", "-4.00"),
        ("mrp", "14000"),
    ):
        type_into(form.edits[name], text)  # fmt: skip
    click(qtbot, form.save_button)  # no ADD range: the service names the field
    qtbot.waitUntil(lambda: form.grid.message_for("add_min") != "", timeout=WAIT)
    assert form.grid.message_for("add_min") == "A progressive lens gives its ADD range, for example +0.75 to +3.50."
    type_into(form.edits["add_min"], "+0.75")
    type_into(form.edits["add_max"], "3.50", enter=True)
    qtbot.waitUntil(lambda: form.product is not None, timeout=WAIT)
    lens = stored(cd.system, form.product.sku)
    assert (lens.category, lens.lens_type, lens.lens_index, lens.is_stocked) == ("lens", "progressive", 167, False)
    assert (lens.sphere_min, lens.sphere_max, lens.cylinder_min, lens.cylinder_max, lens.add_min, lens.add_max) == (
        -1000, 800, -400, 0, 75, 350)  # fmt: skip
    qtbot.waitUntil(lambda: "Zeiss progressive 1.67" in names(tab), timeout=WAIT)
    r = names(tab).index("Zeiss progressive 1.67")
    assert tab.list.item(r, 5).text() == "Made to order"
    assert tab.list.item(r, 6).text().replace("\u00a0", " ") == (
        "SPH -10.00 to +8.00, CYL -4.00 to 0.00, ADD +0.75 to +3.50"
    )
    assert not tab.stock.isVisible() and not no_dialogs  # Meena moves no stock (no inventory rights)


def test_the_super_admin_receives_counts_retires_and_restores(
    qtbot: Any, store: Store, cd: CatalogDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    window, tab = catalog_tab(qtbot, store, tmp_path, cd, "admin@sunrise.example.in", "Marigold-Ledger-2026")
    frame_id = cd.od.products["frame"]
    assert tab.select(frame_id)
    stock = tab.stock
    qtbot.waitUntil(stock.isVisible, timeout=WAIT)
    assert stock.heading.text() == "<b>Stock</b>: 3 in stock"
    type_into(stock.quantity, "0", enter=True)
    qtbot.waitUntil(lambda: stock.receive.errors.message_for("quantity") != "", timeout=WAIT)
    assert stock.receive.errors.message_for("quantity").startswith("The quantity received")
    assert optical_on_hand(cd.system, frame_id) == 3
    stock.quantity.setText("5")
    type_into(stock.receive_note, "Titan invoice 4471", enter=True)
    qtbot.waitUntil(lambda: "8 in stock" in stock.heading.text(), timeout=WAIT)
    assert optical_on_hand(cd.system, frame_id) == 8 and stock.info.text() == (
        "Received: Titan TE-1021 black now 8 in stock (was 3).")  # fmt: skip
    qtbot.waitUntil(lambda: tab.list.item(tab.row_of(frame_id), 5).text() == "8 in stock", timeout=WAIT)
    type_into(stock.counted, "6", enter=True)
    qtbot.waitUntil(lambda: "6 in stock" in stock.heading.text(), timeout=WAIT)
    assert optical_on_hand(cd.system, frame_id) == 6

    assert tab.select(cd.od.products["progressive"])  # made to order: no stock to move
    qtbot.waitUntil(lambda: not stock.isVisible(), timeout=WAIT)

    assert tab.select(frame_id)
    click(qtbot, tab.form.active_button)  # Retire
    qtbot.waitUntil(lambda: tab.row_of(frame_id) < 0, timeout=WAIT)  # out of the search
    assert not stored(cd.system, "OPP-00001").is_active and tab.form.active_button.text() == "Restore"
    tab.retired.setChecked(True)
    qtbot.waitUntil(lambda: "Titan TE-1021 black (retired)" in names(tab), timeout=WAIT)
    click(qtbot, tab.form.active_button)  # Restore
    qtbot.waitUntil(lambda: "Titan TE-1021 black" in names(tab), timeout=WAIT)
    assert stored(cd.system, "OPP-00001").is_active and not no_dialogs


def test_the_optician_searches_scans_and_reads_the_catalogue(
    qtbot: Any, store: Store, cd: CatalogDay, tmp_path: Path, no_dialogs: list[str]
) -> None:
    window, tab = catalog_tab(qtbot, store, tmp_path, cd, OMKAR)
    form = tab.form
    assert not any(b.isVisible() for b in (form.save_button, form.new_button, form.active_button))
    assert not tab.retired.isVisible() and not form.grid.isVisible()  # nothing to edit, nothing chosen yet
    qtbot.waitUntil(tab.search.hasFocus, timeout=WAIT)  # the scanner types into the search
    QTest.keyClicks(tab.search, PRODUCTS["frame"]["barcode"])
    QTest.keyClick(tab.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.product is not None, timeout=WAIT)
    assert form.product.id == cd.od.products["frame"] and names(tab) == ["Titan TE-1021 black"]
    assert form.edits["name"].isReadOnly() and not form.category.isEnabled() and not tab.stock.isVisible()
    assert "Read-only" in form.note.text() and form.edits["frame_a"].text() == "52"

    tab.search.clear()
    tab.category.setCurrentIndex(find_data(tab.category, "lens"))
    qtbot.waitUntil(lambda: sorted(names(tab)) == ["Essilor single vision 1.50", "Hoya progressive 1.60"],
                    timeout=WAIT)  # fmt: skip
    tab.category.setCurrentIndex(find_data(tab.category, "frame"))
    qtbot.waitUntil(lambda: sorted(names(tab)) == ["Titan TE-1021 black", "Vogue VO-2210 tortoise"], timeout=WAIT)
    tab.in_stock.setChecked(True)  # the Vogue frame has none on the shelf
    qtbot.waitUntil(lambda: names(tab) == ["Titan TE-1021 black"], timeout=WAIT)
    tab.in_stock.setChecked(False)
    tab.category.setCurrentIndex(0)
    type_into(tab.search, "8900000000000", enter=True)
    qtbot.waitUntil(lambda: tab.count.text() == "No product has the barcode or SKU 8900000000000.", timeout=WAIT)
    assert not no_dialogs
