"""The demo clinic's optical counter: a small, realistic catalogue and the optical GST rules.

``seed_demo_catalog(tx)`` (called by ``hms_desktop.demo_clinical`` inside its transaction, as the system) adds:
- the optical tax rules in force since 22 Sep 2025, each only when no active optical rule for that HSN code is
  there already: frames 9003, spectacle and contact lenses 9001, corrective spectacles 900490 at 5%;
  sunglasses 900410 and contact-lens solution 3307 at 18% (``../shared/DOMAIN.md``);
- frames (full rim, half rim, rimless, a child's), two sunglasses, spectacle lenses made to order (single
  vision 1.50 / 1.60 / 1.67, a bifocal, two progressives, a plano blue-cut), three contact lenses (spherical,
  toric, daily), two solutions and a spectacle case, each through ``catalog.create_product`` (so every rule
  holds), and stock received for the stocked ones (``optical_stock.receive_optical_stock``).
A product whose name is already in the catalogue is skipped, so running it again adds nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from db.ids import uuid7
from db.models.hospital import TaxConfiguration
from db.models.optical import OpticalProduct
from hms_desktop.context import Transaction
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.optical.catalog import create_product
from hms_desktop.services.optical.catalog_rules import ProductInput
from hms_desktop.services.optical.optical_stock import receive_optical_stock
from hms_desktop.services.pharmacy.catalog_rules import gs1_check_digit

GST_2 = date(2025, 9, 22)
OPTICAL_TAXES = (
    ("Spectacle frames", "9003", "5"),
    ("Spectacle and contact lenses", "9001", "5"),
    ("Corrective spectacles", "900490", "5"),
    ("Sunglasses", "900410", "18"),
    ("Contact lens solution", "3307", "18"),
)


def _ean(body: str) -> str:
    return body + gs1_check_digit(body)


def _frame(name: str, brand: str, model: str, color: str, rim: str, box: str, material: str, mrp: str,
           cost: str, code: str, **more: Any) -> dict[str, Any]:  # fmt: skip
    a, b, dbl, temple = box.split("-")
    return dict(name=name, category="frame", brand=brand, model=model, color=color, rim_type=rim, frame_a=a,
                frame_b=b, frame_dbl=dbl, temple=temple, material=material, mrp=mrp, cost_price=cost,
                barcode=_ean(code), reorder_level="1", **more)  # fmt: skip


def _ends(span: str) -> tuple[str, str]:
    """ "-6.00..+4.00" -> ("-6.00", "+4.00"); "" -> ("", "")."""
    low, _, high = span.partition("..")
    return low, high


def _lens(name: str, brand: str, kind: str, index: str, sph: str, cyl: str, mrp: str, cost: str,
          add: str = "", **more: Any) -> dict[str, Any]:  # fmt: skip
    sphere_min, sphere_max = _ends(sph)
    cylinder_min, cylinder_max = _ends(cyl)
    add_min, add_max = _ends(add)
    return dict(name=name, category="lens", brand=brand, lens_type=kind, lens_index=index, sphere_min=sphere_min,
                sphere_max=sphere_max, cylinder_min=cylinder_min, cylinder_max=cylinder_max, add_min=add_min,
                add_max=add_max, mrp=mrp, cost_price=cost, **more)  # fmt: skip


# (product, pieces received)
DEMO_PRODUCTS: tuple[tuple[dict[str, Any], int], ...] = (
    (_frame("Titan TE-1021 black", "Titan", "TE-1021", "Black", "full_rim", "52-38-18-140", "Acetate", "2500",
            "1200", "890123450101"), 4),
    (_frame("Vincent Chase VC-5158 gunmetal", "Vincent Chase", "VC-5158", "Gunmetal", "half_rim", "54-36-17-145",
            "Stainless steel", "1999", "850", "890123450102"), 3),
    (_frame("Ray-Ban RX5154 Clubmaster", "Ray-Ban", "RX5154", "Tortoise / gold", "full_rim", "51-41-21-145",
            "Acetate and metal", "7590", "4800", "805289052830"), 2),
    (_frame("Carrera CA-8841 rimless", "Carrera", "CA-8841", "Silver", "rimless", "53-35-17-140", "Titanium",
            "5400", "3100", "890123450104"), 1),
    (_frame("Fastrack FT-1150 kids blue", "Fastrack", "FT-1150", "Blue", "full_rim", "46-32-16-125", "TR90",
            "1290", "560", "890123450105"), 3),
    (dict(name="Ray-Ban RB2140 Wayfarer", category="sunglasses", brand="Ray-Ban", model="RB2140", color="Black",
          rim_type="full_rim", frame_a="50", frame_b="40", frame_dbl="22", temple="150", tint="G-15 green",
          coatings="UV400", mrp="8990", cost_price="6000", barcode=_ean("805289126500"), reorder_level="1"), 2),
    (dict(name="Fastrack P357BK aviator", category="sunglasses", brand="Fastrack", model="P357BK",
          color="Gunmetal", rim_type="full_rim", frame_a="58", frame_b="48", frame_dbl="14", temple="135",
          tint="Grey polarised", coatings="Polarised, UV400", mrp="1495", cost_price="700",
          barcode=_ean("890123450202")), 5),
    (_lens("Essilor single vision 1.50", "Essilor", "single_vision", "1.50", "-6.00..+4.00", "-2.00..0", "1200",
           "400", material="CR-39", coatings="Hard coat, Anti-reflective"), 0),
    (_lens("Hoya single vision 1.60 blue cut", "Hoya", "single_vision", "1.60", "-8.00..+6.00", "-4.00..0",
           "3200", "1300", material="MR-8", coatings="Blue cut, Anti-reflective"), 0),
    (_lens("Zeiss single vision 1.67 DuraVision", "Zeiss", "single_vision", "1.67", "-10.00..+8.00", "-4.00..0",
           "6500", "3000", material="MR-7", coatings="DuraVision Platinum"), 0),
    (_lens("Kodak bifocal D-top 1.50", "Kodak", "bifocal", "1.50", "-4.00..+4.00", "-2.00..0", "1800", "700",
           add="+1.00..+3.00", material="CR-39", coatings="Hard coat"), 0),
    (_lens("Hoya progressive 1.60", "Hoya", "progressive", "1.60", "-8.00..+6.00", "-4.00..0", "6000", "2500",
           add="+0.75..+3.50", material="Resin", coatings="Anti-reflective, Blue cut"), 0),
    (_lens("Essilor Varilux Comfort 1.50", "Essilor", "progressive", "1.50", "-6.00..+6.00", "-4.00..0", "9500",
           "4200", add="+0.75..+3.50", material="Orma", coatings="Crizal Sapphire"), 0),
    (_lens("Plano blue cut 1.56", "Lenskart", "plano", "1.56", "", "", "900", "250", coatings="Blue cut"), 0),
    (dict(name="Acuvue Oasys (6)", category="contact_lens", brand="Johnson & Johnson", lens_type="spherical",
          base_curve="8.4", diameter="14.0", replacement_schedule="fortnightly", sphere_min="-12.00",
          sphere_max="+8.00", mrp="2100", cost_price="1300", reorder_level="2"), 6),
    (dict(name="Biofinity Toric (3)", category="contact_lens", brand="CooperVision", lens_type="toric",
          base_curve="8.7", diameter="14.5", replacement_schedule="monthly", sphere_min="-10.00",
          sphere_max="+8.00", cylinder_min="-2.25", cylinder_max="-0.75", mrp="3750", cost_price="2400"), 3),
    (dict(name="Acuvue Moist daily (30)", category="contact_lens", brand="Johnson & Johnson",
          lens_type="spherical", base_curve="8.5", diameter="14.2", replacement_schedule="daily",
          sphere_min="-12.00", sphere_max="+6.00", mrp="1650", cost_price="1050", reorder_level="2"), 4),
    (dict(name="ReNu multipurpose solution 360 ml", category="solution", brand="Bausch & Lomb", size="360 ml",
          mrp="450", cost_price="300", barcode=_ean("890123450301"), reorder_level="5"), 12),
    (dict(name="Opti-Free PureMoist 300 ml", category="solution", brand="Alcon", size="300 ml", mrp="520",
          cost_price="340", barcode=_ean("890123450302"), reorder_level="4"), 3),
    (dict(name="Hard spectacle case", category="accessory", hsn_code="4202", gst_rate="18", color="Black",
          mrp="150", cost_price="45", reorder_level="10"), 40),
)  # fmt: skip


def _add_taxes(tx: Transaction) -> None:
    have = set(
        tx.session.scalars(
            select(TaxConfiguration.hsn_sac_code).where(
                TaxConfiguration.applies_to == "optical",
                TaxConfiguration.is_active.is_(True),
                TaxConfiguration.deleted_at.is_(None),
            )
        )
    )
    for name, hsn, rate in OPTICAL_TAXES:
        if hsn not in have:
            create_tax(tx.ctx, TaxInput(name=name, rate_percent=rate, applies_to="optical", effective_from=GST_2,
                                        hsn_sac_code=hsn))  # fmt: skip


def seed_demo_catalog(tx: Transaction) -> int:
    """Add the demo taxes and products that are not there yet (see the module's docstring); the products added."""
    _add_taxes(tx)
    names = {
        n.lower() for n in tx.session.scalars(select(OpticalProduct.name).where(OpticalProduct.deleted_at.is_(None)))
    }
    added = 0
    for values, pieces in DEMO_PRODUCTS:
        if str(values["name"]).lower() in names:
            continue
        made = create_product(tx.ctx, ProductInput(**values), request_id=uuid7())
        if pieces:
            receive_optical_stock(tx.ctx, made.id, pieces, "Demo opening stock", request_id=uuid7())
        added += 1
    return added
