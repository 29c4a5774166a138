"""Optical stock through the ledger: receiving and counting stocked products (a retried Save moves nothing
twice), made-to-order lenses refusing both, bad quantities, who may do it, and the reorder alerts."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from db.models.inventory import StockMovement
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.optical.catalog import ProductInput, product, set_active, update_product
from hms_desktop.services.optical.optical_stock import count_optical_stock, optical_stock_alerts, receive_optical_stock
from tests.optical_catalog_fixtures import CatalogDay, catalog_day, written
from tests.optical_fixtures import optical_on_hand


@pytest.fixture
def cd(system_ctx, make_user) -> CatalogDay:  # type: ignore[no-untyped-def]
    return catalog_day(system_ctx, make_user)


def movements(cd: CatalogDay, product_id: uuid.UUID) -> list[tuple[str, int, str | None, str]]:
    with cd.system.transaction(readonly=True) as tx:
        rows = tx.session.scalars(
            select(StockMovement).where(StockMovement.optical_product_id == product_id).order_by(StockMovement.id)
        )
        return [(m.movement_type, m.quantity_delta, m.reference_type, m.note) for m in rows]


def test_receiving_stock_puts_it_on_the_shelf_once(cd: CatalogDay) -> None:
    frame = cd.od.products["frame"]
    key = uuid.uuid4()
    view = receive_optical_stock(cd.od.manager, frame, 5, "Titan delivery, bill T-2211", key)
    assert (view.stock_quantity, view.stock_text) == (8, "8 in stock")
    assert optical_on_hand(cd.system, frame) == 8
    assert movements(cd, frame)[-1] == ("receipt", 5, "optical_receipt", "Titan delivery, bill T-2211")
    before = written(cd.system)
    assert receive_optical_stock(cd.od.manager, frame, 5, "Titan delivery, bill T-2211", key) == view
    assert written(cd.system) == before and optical_on_hand(cd.system, frame) == 8
    assert receive_optical_stock(cd.system, frame, "2", "", uuid.uuid4()).stock_quantity == 10


def test_a_count_brings_the_ledger_to_the_shelf(cd: CatalogDay) -> None:
    solution = cd.od.products["solution"]  # 12 in stock
    key = uuid.uuid4()
    counted = count_optical_stock(cd.od.manager, solution, 9, "Monthly count", key)
    assert counted.stock_quantity == 9 and optical_on_hand(cd.system, solution) == 9
    assert movements(cd, solution)[-1] == ("cycle_count", -3, "optical_count", "Monthly count")
    before = written(cd.system)
    assert count_optical_stock(cd.od.manager, solution, 9, "Monthly count", key) == counted
    assert count_optical_stock(cd.od.manager, solution, "9", "", uuid.uuid4()).stock_quantity == 9  # already so
    assert written(cd.system) == before
    assert count_optical_stock(cd.od.manager, solution, 0, "", uuid.uuid4()).stock_text == "Out of stock"
    assert movements(cd, solution)[-1] == ("cycle_count", -9, "optical_count", "Shelf count")


def test_made_to_order_products_have_no_stock_movements(cd: CatalogDay) -> None:
    lens = cd.od.products["progressive"]
    before = written(cd.system)
    with pytest.raises(Conflict, match=r"Hoya progressive 1.60 \(OPP-00004\) is made to order for each patient: it "
                                       "has no stock to receive."):  # fmt: skip
        receive_optical_stock(cd.od.manager, lens, 2, "", uuid.uuid4())
    with pytest.raises(Conflict, match="it has no stock to count"):
        count_optical_stock(cd.od.manager, lens, 0, "", uuid.uuid4())
    assert written(cd.system) == before and movements(cd, lens) == []


@pytest.mark.parametrize(
    ("quantity", "words"),
    [(0, "from 1 to 100,000"), (-2, "from 1 to 100,000"), (100_001, "from 1 to 100,000"), ("two", "whole number"),
     (2.5, "whole number")],
)  # fmt: skip
def test_bad_quantities_are_refused_and_nothing_moves(cd: CatalogDay, quantity: object, words: str) -> None:
    before = written(cd.system)
    with pytest.raises(ValidationError) as err:
        receive_optical_stock(cd.od.manager, cd.od.products["frame"], quantity, "", uuid.uuid4())  # type: ignore[arg-type]
    assert err.value.field == "quantity" and words in err.value.message
    with pytest.raises(ValidationError, match="The counted quantity is from 0 to 100,000"):
        count_optical_stock(cd.od.manager, cd.od.products["frame"], -1, "", uuid.uuid4())
    with pytest.raises(ValidationError, match="at most 500 characters") as err:
        receive_optical_stock(cd.od.manager, cd.od.products["frame"], 1, "x" * 501, uuid.uuid4())
    with pytest.raises(NotFound):
        receive_optical_stock(cd.od.manager, uuid.uuid4(), 1, "", uuid.uuid4())
    with pytest.raises(ValidationError, match="its own id"):
        receive_optical_stock(cd.od.manager, cd.od.products["frame"], 1, "", "again")  # type: ignore[arg-type]
    assert written(cd.system) == before


def test_a_retired_product_can_still_be_counted_out(cd: CatalogDay) -> None:
    sun = cd.od.products["sunglasses"]
    set_active(cd.editor, sun, False)
    assert count_optical_stock(cd.od.manager, sun, 0, "Discontinued: sent back", uuid.uuid4()).stock_quantity == 0


def test_only_the_stock_room_moves_stock(cd: CatalogDay) -> None:
    frame = cd.od.products["frame"]
    before = written(cd.system)
    calls = (
        (lambda ctx: receive_optical_stock(ctx, frame, 1, "", uuid.uuid4()), "inventory.receive"),
        (lambda ctx: count_optical_stock(ctx, frame, 0, "", uuid.uuid4()), "inventory.count"),
    )
    for call, code in calls:  # the optician, the catalogue editor (see optical_stock's docstring), the front desk
        for ctx in (cd.od.optician, cd.editor, cd.od.day.receptionist_ctx):
            with pytest.raises(PermissionDenied) as err:
                call(ctx)
            assert err.value.code == code
    with pytest.raises(PermissionDenied) as err:
        optical_stock_alerts(cd.od.day.receptionist_ctx)
    assert err.value.code == "optical.view"
    assert written(cd.system) == before and product(cd.od.optician, frame).stock_quantity == 3


def test_stock_alerts_list_stocked_products_at_or_below_their_reorder_level(cd: CatalogDay) -> None:
    o, p = cd.od.optician, cd.od.products
    assert optical_stock_alerts(o) == []  # the fixture's products have no reorder level
    solution = ProductInput(name="ReNu multipurpose solution 360 ml", category="solution", mrp="450",
                            reorder_level="12")  # fmt: skip
    update_product(cd.editor, p["solution"], solution)  # 12 in stock: at the level
    update_product(cd.editor, p["frame"], ProductInput(name="Titan TE-1021 black", category="frame", frame_a="52",
                                                       frame_dbl="18", mrp="2500", reorder_level="2"))  # fmt: skip
    update_product(cd.editor, p["sunglasses"], ProductInput(name="Ray-Ban RB2140 Wayfarer", category="sunglasses",
                                                            mrp="8990", reorder_level="5"))  # fmt: skip
    alerts = optical_stock_alerts(o)
    assert [(a.name, a.on_hand, a.reorder_level, a.short_by) for a in alerts] == [
        ("Ray-Ban RB2140 Wayfarer", 2, 5, 4), ("ReNu multipurpose solution 360 ml", 12, 12, 1)]  # fmt: skip
    count_optical_stock(cd.od.manager, p["frame"], 1, "", uuid.uuid4())
    assert [(a.name, a.short_by) for a in optical_stock_alerts(o)] == [
        ("Ray-Ban RB2140 Wayfarer", 4),
        ("Titan TE-1021 black", 2),
        ("ReNu multipurpose solution 360 ml", 1),
    ]
    set_active(cd.editor, p["sunglasses"], False)
    assert "Ray-Ban RB2140 Wayfarer" not in {a.name for a in optical_stock_alerts(o)}
    assert product(o, p["solution"]).needs_reorder and not product(o, p["frame_out"]).needs_reorder
