"""The optical catalogue: a new frame, lens and contact lens with their category's fields, the rate of their HSN
(sunglasses 18% by 900410, frames 5% by 9003), a double-clicked Save, every field rule refused with one sentence
and nothing written, the one-barcode rule, changes, retiring, the searches and the scan, who may do what, and the
demo catalogue."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from db.models.optical import OpticalProduct
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.optical.catalog import (
    ProductInput,
    create_product,
    find_products,
    product,
    product_by_barcode,
    set_active,
    update_product,
)
from hms_desktop.services.optical.catalog_rules import clean_product
from hms_desktop.services.optical.demo_catalog import DEMO_PRODUCTS, seed_demo_catalog
from tests.clinical_fixtures import clinical_day
from tests.optical_catalog_fixtures import CONTACT, FRAME, PROGRESSIVE, CatalogDay, catalog_day, written

SOLUTION = ProductInput(name="Bio True solution 300 ml", category="solution", brand="Bausch & Lomb", mrp="495")


@pytest.fixture
def cd(system_ctx: Context, make_user) -> CatalogDay:  # type: ignore[no-untyped-def]
    return catalog_day(system_ctx, make_user)


def new(cd: CatalogDay, data: ProductInput, request_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    return create_product(cd.editor, data, request_id or uuid.uuid4())


def test_a_new_frame_has_its_code_box_size_prices_and_the_rate_of_its_hsn(cd: CatalogDay) -> None:
    f = new(cd, FRAME)
    assert (f.sku, f.name, f.category, f.category_label, f.brand, f.model) == (
        "OPP-00008", "Lenskart Air LA-E1220 matte black", "frame", "frame", "Lenskart Air", "LA-E1220")  # fmt: skip
    assert (f.rim_type, f.frame_a_mm, f.frame_b_mm, f.frame_dbl_mm, f.temple_mm) == ("full_rim", 52, 38, 18, 140)
    assert (f.box_text, f.size) == ("52-18-140", "52-18-140")
    assert (f.mrp_paise, f.mrp_text, f.cost_price_paise) == (249_950, "2499.50", 90_000)
    assert (f.hsn_code, f.gst_rate_basis_points, f.tax_rate_basis_points, f.tax_rate_text) == ("9003", 500, 500, "5%")
    assert (f.is_stocked, f.stock_quantity, f.stock_text, f.is_active, f.barcode) == (
        True, 0, "Out of stock", True, "8901234501238")  # fmt: skip
    assert (f.lens_type, f.lens_index, f.power_range_text, f.base_curve_mm_tenths) == (None, None, "", None)
    assert product(cd.od.optician, f.id) == f


def test_sunglasses_are_taxed_18_percent_by_their_hsn_and_frames_5(cd: CatalogDay) -> None:
    shades = new(cd, ProductInput(name="Fastrack P357BK aviator", category="sunglasses", frame_a="58",
                                  frame_dbl="14", tint="Grey polarised", coatings="UV400", mrp="1495"))  # fmt: skip
    assert (shades.hsn_code, shades.tax_rate_basis_points, shades.gst_rate_basis_points) == ("900410", 1800, 1800)
    assert (shades.tint, shades.coatings, shades.box_text) == ("Grey polarised", "UV400", "58-14")
    plain = new(cd, replace(FRAME, barcode="", hsn_code=""))
    assert (plain.hsn_code, plain.tax_rate_basis_points) == ("9003", 500)
    typed = new(cd, ProductInput(name="Lens cloth", category="accessory", hsn_code="6307", gst_rate="5", mrp="50"))
    assert (typed.hsn_code, typed.gst_rate_basis_points, typed.tax_rate_basis_points) == ("6307", 500, 500)


def test_a_lens_has_its_type_index_and_power_range_and_is_made_to_order(cd: CatalogDay) -> None:
    lens = new(cd, PROGRESSIVE)
    assert (lens.category_label, lens.lens_type, lens.lens_type_label, lens.lens_index, lens.index_text) == (
        "spectacle lens", "progressive", "progressive", 167, "1.67")  # fmt: skip
    assert (lens.sphere_min, lens.sphere_max, lens.cylinder_min, lens.cylinder_max) == (-1000, 800, -400, 0)
    assert (lens.add_min, lens.add_max, lens.hsn_code, lens.tax_rate_basis_points) == (75, 350, "9001", 500)
    assert lens.power_range_text == "SPH -10.00 to +8.00, CYL -4.00 to 0.00, ADD +0.75 to +3.50"
    assert (lens.is_stocked, lens.stock_text, lens.box_text) == (False, "Made to order", "")
    plano = new(cd, ProductInput(name="Plano blue cut 1.56", category="lens", lens_type="Plano", lens_index="1.56",
                                 coatings="Blue cut", mrp="900"))  # fmt: skip
    assert (plano.sphere_min, plano.sphere_max, plano.power_range_text) == (0, 0, "SPH 0.00 to 0.00")
    stocked = new(cd, replace(PROGRESSIVE, name="Stock single vision 1.50", lens_type="single vision", add_min="",
                              add_max="", is_stocked=True))  # fmt: skip
    assert (stocked.is_stocked, stocked.lens_type, stocked.add_min) == (True, "single_vision", None)


def test_a_contact_lens_has_its_base_curve_diameter_and_cylinder(cd: CatalogDay) -> None:
    c = new(cd, CONTACT)
    assert (c.category, c.lens_type, c.base_curve_text, c.diameter_text, c.replacement_schedule) == (
        "contact_lens", "toric", "8.7", "14.5", "monthly")  # fmt: skip
    assert c.power_range_text == "SPH -10.00 to +8.00, CYL -2.25 to -0.75"
    assert (c.is_stocked, c.hsn_code, c.tax_rate_basis_points) == (True, "9001", 500)


def test_a_double_clicked_create_makes_one_product(cd: CatalogDay) -> None:
    key = uuid.uuid4()
    first = new(cd, FRAME, key)
    before = written(cd.system)
    assert new(cd, replace(FRAME, name="Something else"), key) == first
    assert first.id == key and written(cd.system) == before


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (replace(FRAME, name=" "), "name", "The product's name is required."),
        (replace(FRAME, category="goggles"), "category", "goggles is not a category"),
        (replace(FRAME, frame_a="95"), "frame_a", "A (the lens width) is in whole millimetres, from 20 to 90"),
        (replace(FRAME, frame_a="19"), "frame_a", "from 20 to 90"),
        (replace(FRAME, frame_a="52.5"), "frame_a", "whole millimetres"),
        (replace(FRAME, frame_b="75"), "frame_b", "B (the lens height) is in whole millimetres, from 10 to 70"),
        (replace(FRAME, frame_dbl="7"), "frame_dbl", "DBL (the bridge) is in whole millimetres, from 8 to 30"),
        (replace(FRAME, frame_dbl="31"), "frame_dbl", "from 8 to 30"),
        (replace(FRAME, temple="180"), "temple", "from 100 to 170"),
        (replace(FRAME, frame_dbl=""), "frame_dbl", "at least A (lens width) and DBL (bridge)"),
        (replace(FRAME, rim_type="wire"), "rim_type", "wire is not a rim type"),
        (
            replace(FRAME, lens_index="1.60"),
            "lens_index",
            "The lens index is for spectacle lenses; leave it empty for a frame.",
        ),  # fmt: skip
        (replace(FRAME, sphere_min="-2.00"), "sphere_min", "A power range is for spectacle and contact lenses"),
        (
            replace(FRAME, base_curve="8.6"),
            "base_curve",
            "The base curve is for contact lenses; leave it empty for a frame.",
        ),  # fmt: skip
        (replace(SOLUTION, tint="Blue"), "tint", "A tint is for lenses and sunglasses; leave it empty for a solution"),
        (
            replace(PROGRESSIVE, frame_a="52"),
            "frame_a",
            "The box size (A) is for frames and sunglasses; leave it empty for a spectacle lens.",
        ),  # fmt: skip
        (replace(CONTACT, lens_index="1.50"), "lens_index", "leave it empty for a contact lens"),
        (replace(PROGRESSIVE, lens_index="1.39"), "lens_index", "The lens index is from 1.40 to 2.00"),
        (replace(PROGRESSIVE, lens_index="2.01"), "lens_index", "from 1.40 to 2.00"),
        (replace(PROGRESSIVE, lens_index="1.605"), "lens_index", "from 1.40 to 2.00"),
        (
            replace(PROGRESSIVE, lens_type=""),
            "lens_type",
            "Choose the lens type of Zeiss progressive 1.67: single vision, bifocal, progressive, office, plano.",
        ),  # fmt: skip
        (replace(PROGRESSIVE, lens_type="toric"), "lens_type", "toric is not a spectacle lens type"),
        (
            replace(PROGRESSIVE, sphere_min="", sphere_max=""),
            "sphere_min",
            "Give the sphere range Zeiss progressive 1.67 is made in",
        ),  # fmt: skip
        (replace(PROGRESSIVE, sphere_max=""), "sphere_max", "Give the sphere range's both ends."),
        (
            replace(PROGRESSIVE, sphere_min="-8.10"),
            "sphere_min",
            "-8.10 is not in 0.25 D steps; nearest are -8.00 and -8.25",
        ),  # fmt: skip
        (replace(PROGRESSIVE, sphere_min="-31"), "sphere_min", "Sphere runs from -30.00 to +30.00 D."),
        (
            replace(PROGRESSIVE, sphere_min="+8.00", sphere_max="-10.00"),
            "sphere_min",
            "The sphere range runs from the lower power to the higher, for example -10.00 to +8.00.",
        ),  # fmt: skip
        (
            replace(PROGRESSIVE, cylinder_min="+1.00"),
            "cylinder_min",
            "Write the cylinder range in minus form (for example -4.00 to 0.00); +1.00 is a plus cylinder.",
        ),  # fmt: skip
        (replace(PROGRESSIVE, cylinder_max="+0.50"), "cylinder_max", "minus form"),
        (
            replace(PROGRESSIVE, cylinder_min="", cylinder_max="-1.00"),
            "cylinder_min",
            "Give the cylinder range's both ends.",
        ),  # fmt: skip
        (replace(PROGRESSIVE, add_min="", add_max=""), "add_min", "A progressive lens gives its ADD range"),
        (replace(PROGRESSIVE, add_max="4.25"), "add_max", "Add runs from +0.75 to +4.00 D."),
        (
            replace(PROGRESSIVE, lens_type="single vision"),
            "add_min",
            "A single vision lens has no reading addition; leave the ADD range empty.",
        ),  # fmt: skip
        (replace(PROGRESSIVE, lens_type="plano", add_min="", add_max=""), "sphere_min", "A plano lens has no power"),
        (replace(CONTACT, base_curve=""), "base_curve", "Give the base curve of Biofinity toric (3)"),
        (replace(CONTACT, diameter=""), "diameter", "Give the diameter of Biofinity toric (3)"),
        (replace(CONTACT, base_curve="6.5"), "base_curve", "The base curve is from 7.0 to 10.0 mm, to 0.1 mm"),
        (replace(CONTACT, diameter="14.25"), "diameter", "The diameter is from 8.0 to 16.0 mm, to 0.1 mm"),
        (
            replace(CONTACT, cylinder_min="", cylinder_max=""),
            "cylinder_min",
            "A toric contact lens gives its cylinder range",
        ),  # fmt: skip
        (replace(CONTACT, lens_type="spherical"), "cylinder_min", "A spherical contact lens has no cylinder"),
        (replace(CONTACT, lens_type="progressive"), "lens_type", "progressive is not a contact lens type"),
        (
            replace(CONTACT, replacement_schedule="weekly"),
            "replacement_schedule",
            "weekly is not a replacement schedule",
        ),  # fmt: skip
        (replace(FRAME, hsn_code="900"), "hsn_code", "900 is not an HSN code: it has 4, 6 or 8 digits"),
        (
            replace(FRAME, hsn_code="900410"),
            "hsn_code",
            "HSN 900410 is for sunglasses (18%); a corrective frame is 9003 (5%).",
        ),  # fmt: skip
        (
            replace(FRAME, category="sunglasses", hsn_code="9003"),
            "hsn_code",
            "Sunglasses are HSN 900410 (taxed 18%)",
        ),  # fmt: skip
        (
            ProductInput(name="Case", category="accessory", mrp="150"),
            "hsn_code",
            "The HSN code is required for an accessory",
        ),  # fmt: skip
        (replace(FRAME, gst_rate="101"), "gst_rate", "A tax rate is from 0 to 100 percent."),
        (replace(FRAME, mrp=""), "mrp", "The MRP is required"),
        (replace(FRAME, mrp="-100"), "mrp", "The MRP cannot be negative."),
        (replace(FRAME, mrp="12.345"), "mrp", "at most 2 decimals"),
        (replace(FRAME, mrp="two thousand"), "mrp", "Enter the amount in rupees"),
        (replace(FRAME, cost_price="-1"), "cost_price", "The cost price cannot be negative."),
        (replace(FRAME, reorder_level="-1"), "reorder_level", "The reorder level is from 0 to 100,000"),
        (replace(FRAME, barcode="8901234500011"), "barcode", "has a wrong check digit: it should end in 9"),
        (replace(FRAME, barcode="AB"), "barcode", "AB is not a barcode"),
    ],
)
def test_bad_details_are_refused_with_one_sentence(data: ProductInput, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        clean_product(data)
    assert err.value.field == field and words in err.value.message


def test_a_refused_product_writes_nothing(cd: CatalogDay) -> None:
    before = written(cd.system)
    refused = (
        (replace(FRAME, frame_a="95"), "frame_a"),
        (replace(PROGRESSIVE, sphere_min="-8.10"), "sphere_min"),
        (replace(CONTACT, base_curve=""), "base_curve"),
        (replace(FRAME, mrp="-100"), "mrp"),
    )
    for data, field in refused:
        with pytest.raises(ValidationError) as err:
            new(cd, data)
        assert err.value.field == field
    with pytest.raises(ValidationError, match="No optical tax rule covers HSN 4202: enter the GST rate") as err:
        new(cd, ProductInput(name="Case", category="accessory", hsn_code="4202", mrp="150"))
    assert err.value.field == "gst_rate"
    assert written(cd.system) == before


def test_a_cost_above_the_mrp_and_a_free_item_are_the_clinics_choice(cd: CatalogDay) -> None:
    clearance = new(cd, replace(FRAME, mrp="999", cost_price="1,200.00", barcode=""))
    assert (clearance.mrp_paise, clearance.cost_price_paise) == (99_900, 120_000)
    assert new(cd, replace(SOLUTION, mrp="0")).mrp_paise == 0


def test_a_barcode_is_on_one_live_product(cd: CatalogDay) -> None:
    upc = new(cd, replace(FRAME, barcode="036000291452"))
    before = written(cd.system)
    with pytest.raises(Conflict, match=r"The barcode 0036000291452 is already on Lenskart Air LA-E1220 matte black "
                                       r"\(OPP-00008\); each product has its own."):  # fmt: skip
        new(cd, replace(SOLUTION, barcode="0036000291452"))  # the same code as EAN-13
    assert written(cd.system) == before
    set_active(cd.editor, upc.id, False)
    with pytest.raises(Conflict, match=r"\(OPP-00008, inactive\)"):
        new(cd, replace(SOLUTION, barcode="036000291452"))
    with cd.system.transaction() as tx:  # removed (a tombstone): its barcode is free again
        row = tx.session.get(OpticalProduct, upc.id)
        assert row is not None
        row.deleted_at = cd.system.clock.now()
        tx.commit()
    assert new(cd, replace(SOLUTION, barcode="036000291452")).barcode == "036000291452"
    with pytest.raises(NotFound):
        product(cd.editor, upc.id)


def test_changing_a_product_keeps_its_sku_and_stock(cd: CatalogDay) -> None:
    frame_id = cd.od.products["frame"]
    before = product(cd.editor, frame_id)
    changed = update_product(cd.editor, frame_id, replace(FRAME, name="Titan TE-1021 black (2026)", mrp="2600",
                                                          barcode=""))  # fmt: skip
    assert (changed.sku, changed.stock_quantity, changed.name, changed.mrp_paise) == (
        before.sku, 3, "Titan TE-1021 black (2026)", 260_000)  # fmt: skip
    assert product(cd.od.optician, frame_id) == changed
    other = new(cd, replace(SOLUTION, barcode="8901234501245"))
    with pytest.raises(Conflict, match="already on Bio True solution 300 ml"):
        update_product(cd.editor, frame_id, replace(FRAME, barcode="8901234501245"))
    with pytest.raises(NotFound):
        update_product(cd.editor, uuid.uuid4(), FRAME)
    assert update_product(cd.editor, other.id, replace(SOLUTION, barcode="8901234501245")).barcode == "8901234501245"


def test_a_product_with_stock_cannot_become_made_to_order(cd: CatalogDay) -> None:
    frame_id = cd.od.products["frame"]
    before = written(cd.system)
    with pytest.raises(Conflict, match=r"Titan TE-1021 black \(OPP-00001\) has 3 on the shelf, so it cannot become "
                                       "made to order; count the stock out first."):  # fmt: skip
        update_product(cd.editor, frame_id, replace(FRAME, barcode="", is_stocked=False))
    assert written(cd.system) == before and product(cd.editor, frame_id).is_stocked
    empty = update_product(cd.editor, cd.od.products["frame_out"], replace(FRAME, barcode="", is_stocked=False))
    assert (empty.is_stocked, empty.stock_text) == (False, "Made to order")


def test_a_retired_product_leaves_the_searches_but_is_still_found_by_its_code(cd: CatalogDay) -> None:
    sun = cd.od.products["sunglasses"]
    off = set_active(cd.editor, sun, False)
    assert off.is_active is False and set_active(cd.editor, sun, False) == off
    assert sun not in {p.id for p in find_products(cd.od.optician, "ray-ban")}
    assert sun in {p.id for p in find_products(cd.od.optician, "ray-ban", include_inactive=True)}
    found = product_by_barcode(cd.od.optician, off.sku.lower())
    assert found is not None and found.id == sun
    assert set_active(cd.editor, sun, True).is_active is True
    with pytest.raises(ValidationError, match="Say whether the product is active"):
        set_active(cd.editor, sun, "no")  # type: ignore[arg-type]


def test_searching_the_catalogue(cd: CatalogDay) -> None:
    o = cd.od.optician
    assert [p.name for p in find_products(o, "hoya")] == ["Hoya progressive 1.60"]
    assert [p.name for p in find_products(o, "te-1021")] == ["Titan TE-1021 black"]
    assert [p.name for p in find_products(o, category="lens")] == ["Essilor single vision 1.50",
                                                                  "Hoya progressive 1.60"]  # fmt: skip
    frames = [p.name for p in find_products(o, category="frame", in_stock_only=True)]
    assert frames == ["Titan TE-1021 black"]  # the Vogue frame has none on the shelf
    assert {p.category for p in find_products(o, in_stock_only=True)} >= {"lens", "frame", "solution"}
    assert [p.sku for p in find_products(o, "opp-00003")] == ["OPP-00003"]  # the SKU, any case
    titan = new(cd, replace(FRAME, name="Acme titan-look frame", barcode="8901234500019"))
    by_code = find_products(o, "8901234500019")
    assert [p.id for p in by_code] == [titan.id]
    assert [p.name for p in find_products(o, "titan")] == ["Acme titan-look frame", "Titan TE-1021 black"]
    assert len(find_products(o, limit=2)) == 2
    with pytest.raises(ValidationError, match="goggles is not a category"):
        find_products(o, category="goggles")
    with pytest.raises(ValidationError, match="Ask for 1 to 500 products."):
        find_products(o, limit=0)


def test_a_scanned_barcode_finds_its_product(cd: CatalogDay) -> None:
    o = cd.od.optician
    found = product_by_barcode(o, " 8901234500026 ")
    assert found is not None and (found.name, found.stock_text) == ("Titan TE-1021 black", "3 in stock")
    assert product_by_barcode(o, "0000000000000") is None and product_by_barcode(o, "") is None
    upc = new(cd, replace(FRAME, barcode="036000291452"))
    scanned = product_by_barcode(o, "0036000291452")
    assert scanned is not None and scanned.id == upc.id


def test_optical_staff_see_the_catalogue_but_do_not_edit_it(cd: CatalogDay) -> None:
    o, frame_id = cd.od.optician, cd.od.products["frame"]
    assert product(o, frame_id).name == "Titan TE-1021 black" and find_products(cd.od.manager, "titan")
    before = written(cd.system)
    for call in (lambda ctx: create_product(ctx, FRAME, uuid.uuid4()), lambda ctx: update_product(ctx, frame_id, FRAME),
                 lambda ctx: set_active(ctx, frame_id, False)):  # fmt: skip
        for ctx in (o, cd.od.manager, cd.od.day.doctor_ctx):
            with pytest.raises(PermissionDenied) as err:
                call(ctx)
            assert err.value.code == "optical.catalog"
    assert written(cd.system) == before


def test_a_receptionist_may_not_see_the_catalogue(cd: CatalogDay) -> None:
    front = cd.od.day.receptionist_ctx
    for call in (lambda: find_products(front), lambda: product(front, cd.od.products["frame"]),
                 lambda: product_by_barcode(front, "8901234500026")):  # fmt: skip
        with pytest.raises(PermissionDenied) as err:
            call()
        assert err.value.code == "optical.view"


def test_the_demo_catalogue_adds_its_taxes_and_products_once(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    day = clinical_day(system_ctx, make_user)
    ctx = day.system
    with ctx.transaction() as tx:
        assert seed_demo_catalog(tx) == len(DEMO_PRODUCTS)
        tx.commit()
    before = written(ctx)
    with ctx.transaction() as tx:
        assert seed_demo_catalog(tx) == 0
        tx.commit()
    assert written(ctx) == before
    assert before["tax_configurations"] == 5
    wayfarer = find_products(ctx, "wayfarer")[0]
    assert (wayfarer.hsn_code, wayfarer.tax_rate_basis_points, wayfarer.stock_text) == ("900410", 1800, "2 in stock")
    lenses = find_products(ctx, category="lens")
    assert len(lenses) == 7 and all(not p.is_stocked and p.power_range_text for p in lenses)
    with ctx.transaction(readonly=True) as tx:
        stocked = tx.session.scalars(select(OpticalProduct).where(OpticalProduct.is_stocked.is_(True))).all()
        assert stocked and all(p.stock_quantity > 0 for p in stocked)
