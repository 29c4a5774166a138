"""A barcode scanned anywhere in the window opens what it names at the optical counter: the lab job card's order
code opens the order, a repair slip's code the repair, a product's SKU the catalogue entry (``MainWindow.
open_scanned`` routes by the code's series)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from db.ids import uuid7
from hms_desktop.context import Context
from hms_desktop.services.optical import orders, repairs
from hms_desktop.services.optical.catalog import product
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput
from hms_desktop.services.optical.repairs import RepairInput
from hms_desktop.storage.store import Store
from tests.optical_fixtures import OpticalDay, optical_day
from tests.ui_support import signed_in_window
from ui.worker import worker

WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def test_scanned_optical_codes_open_their_order_repair_and_product(
    qtbot: Any, store: Store, tmp_path: Path, system_ctx: Context, make_user: Any
) -> None:
    od: OpticalDay = optical_day(system_ctx, make_user)
    made = orders.create_order(
        od.optician,
        OrderInput(patient_id=od.patient_id, lines=[OrderLineInput(product_id=od.products["sunglasses"])]),
        request_id=uuid7(),
    )
    job = repairs.log_repair(
        od.optician,
        RepairInput(patient_id=od.patient_id, item_description="Own frame", issue_description="Loose hinge"),
        request_id=uuid7(),
    )
    sku = product(od.optician, od.products["frame"]).sku
    window = signed_in_window(qtbot, store, tmp_path, "omkar@sunrise.example.in", "Marigold-Ledger-2026",
                              clock=od.day.clock)  # fmt: skip
    dock = window.dock_widget("optical")
    tab = dock.show_tab("Orders")
    qtbot.waitUntil(
        lambda: not tab.board.busy and not tab.board.dirty and tab.board.column_of(made.id) == "draft", timeout=WAIT
    )

    window.open_scanned(made.code)
    qtbot.waitUntil(lambda: tab.detail.view is not None and tab.detail.view.id == made.id, timeout=WAIT)
    assert tab.current() is tab.detail and dock.tabs.currentWidget() is tab

    repairs_page = dock.pages["Repairs"]
    dock.show_tab("Repairs")
    qtbot.waitUntil(lambda: any(r.id == job.id for r in repairs_page.repairs), timeout=WAIT)
    dock.show_tab("Orders")
    window.open_scanned(job.code)
    assert dock.tabs.currentWidget() is repairs_page
    qtbot.waitUntil(lambda: repairs_page.detail.view is not None and repairs_page.detail.view.id == job.id,
                    timeout=WAIT)  # fmt: skip

    window.open_scanned(sku)
    catalogue = dock.pages["Catalogue"]
    assert dock.tabs.currentWidget() is catalogue
    qtbot.waitUntil(lambda: catalogue.search.text() == sku and bool(catalogue.products), timeout=WAIT)
    assert [p.id for p in catalogue.products] == [od.products["frame"]]
