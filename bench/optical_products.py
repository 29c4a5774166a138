"""The optical catalogue of the benchmark store (``bench.make_optical``): 2,000 product rows as dicts of
``optical_products`` columns, every CHECK of ``db.models.optical`` and every rule of
``services.optical.catalog_rules`` kept:

- 1,100 frames and 200 sunglasses: brand, model, colour, rim type, box size A-B-DBL and temple in whole mm
  (A 44-58, B 28-46, DBL 14-22), an EAN-13 barcode with its GS1 check digit, MRP Rs 990 to 9,890, stocked;
  sunglasses with a tint and UV400 (polarised ones say so);
- 400 spectacle lenses, made to order (not stocked): single vision, progressive, bifocal, office; index
  1.50 to 1.74 with the sphere range its material is made in, a minus-cylinder range, an ADD range for the
  multifocals (+0.75 to +3.50; office to +2.50), coatings;
- 150 contact lenses (spherical, toric with a CYL range, multifocal with an ADD range; BC, DIA, replacement
  schedule, pack size) and 150 solutions, stocked, with barcodes.
HSN codes are the catalogue's usual ones per category (``USUAL_HSN``), the own rate 5% (18% for sunglasses and
solutions): what the tax rules give since 22 Sep 2025. ``sku`` and ``stock_quantity`` are set by the builder.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from hms_desktop.services.optical.catalog_rules import USUAL_HSN
from hms_desktop.services.pharmacy.catalog_rules import gs1_check_digit

PRODUCTS = {"frame": 1_100, "sunglasses": 200, "lens": 400, "contact_lens": 150, "solution": 150}
RATES = {"frame": 500, "sunglasses": 1800, "lens": 500, "contact_lens": 500, "solution": 1800}
FRAME_BRANDS = (("Titan", "TE"), ("Vincent Chase", "VC"), ("Ray-Ban", "RX"), ("Carrera", "CA"), ("Fastrack", "FT"),
                ("John Jacobs", "JJ"), ("Vogue", "VO"), ("Oakley", "OX"), ("Tommy Hilfiger", "TH"), ("IDEE", "ID"),
                ("Police", "VPL"), ("Lenskart Air", "LA"))  # fmt: skip
COLOURS = ("Black", "Gunmetal", "Tortoise", "Blue", "Brown", "Gold", "Silver", "Wine", "Crystal", "Matte grey")
MATERIALS = ("Acetate", "TR90", "Stainless steel", "Titanium", "Acetate and metal", "Beta titanium")
TINTS = ("G-15 green", "Grey polarised", "Brown gradient", "Blue mirror", "Smoke")
LENS_LINES = (("Essilor", "Eyezen"), ("Essilor", "Varilux"), ("Hoya", "Nulux"), ("Hoya", "iD MyStyle"),
              ("Zeiss", "SmartLife"), ("Zeiss", "ClearView"), ("Kodak", "Unique"), ("Rodenstock", "Impression"),
              ("Shamir", "Autograph"), ("Nikon", "SeeMax"), ("Lenskart", "BLU"))  # fmt: skip
# index: (material, sphere min, sphere max), hundredths of a dioptre
INDEXES = {150: ("CR-39", -600, 400), 156: ("Resin", -600, 600), 159: ("Polycarbonate", -800, 600),
           160: ("MR-8", -800, 600), 167: ("MR-7", -1000, 800), 174: ("MR-174", -1200, 800)}  # fmt: skip
COATINGS = ("Hard coat", "Anti-reflective", "Blue cut, Anti-reflective", "Crizal Sapphire", "DuraVision Platinum")
CONTACT_LINES = (("Johnson & Johnson", "Acuvue Oasys", "fortnightly", 6), ("Johnson & Johnson", "Acuvue Moist",
                 "daily", 30), ("CooperVision", "Biofinity", "monthly", 3), ("Alcon", "Air Optix", "monthly", 6),
                 ("Bausch & Lomb", "SofLens", "monthly", 6), ("Alcon", "Dailies Total1", "daily", 30))  # fmt: skip
SOLUTIONS = (("Bausch & Lomb", "ReNu"), ("Alcon", "Opti-Free"), ("Bausch & Lomb", "Biotrue"), ("Alcon", "AOSept"))
BASE = dict(brand="", model="", color="", size="", lens_type=None, material="", stock_quantity=0, reorder_level=0,
            barcode=None, is_active=1, is_stocked=1, rim_type="", frame_a_mm=None, frame_b_mm=None,
            frame_dbl_mm=None, temple_mm=None, lens_index=None, coatings="", tint="", sphere_min=None,
            sphere_max=None, cylinder_min=None, cylinder_max=None, add_min=None, add_max=None,
            base_curve_mm_tenths=None, diameter_mm_tenths=None, replacement_schedule="")  # fmt: skip


class Row:
    """Makes product rows: the columns every product has, then the category's own."""

    def __init__(self, ids: Any, at: datetime, stamp: str) -> None:
        self.ids, self.at, self.stamp = ids, at, stamp

    def __call__(self, category: str, **values: Any) -> dict[str, Any]:
        return dict(BASE, id=self.ids.at(self.at), category=category, hsn_code=USUAL_HSN[category],
                    gst_rate_basis_points=RATES[category], created_at=self.stamp, updated_at=self.stamp,
                    **values)  # fmt: skip


def ean(n: int) -> str:
    body = f"890{n:09d}"
    return body + gs1_check_digit(body)


def products(rng: random.Random, ids: Any, at: datetime, stamp: str) -> dict[str, list[dict[str, Any]]]:
    """The catalogue by category (see the module's docstring)."""
    row = Row(ids, at, stamp)
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in PRODUCTS}
    for n in range(PRODUCTS["frame"] + PRODUCTS["sunglasses"]):
        brand, tag = rng.choice(FRAME_BRANDS)
        model, colour = f"{tag}-{rng.randrange(1000, 9999)}", rng.choice(COLOURS)
        a, b, dbl, temple = rng.randint(44, 58), rng.randint(28, 46), rng.randint(14, 22), rng.choice((135, 140, 145))
        mrp = rng.randrange(990, 9990, 100) * 100
        values = dict(brand=brand, model=model, color=colour, size=f"{a}-{dbl}-{temple}",
                      material=rng.choice(MATERIALS), rim_type=rng.choice(("full_rim", "full_rim", "half_rim",
                      "rimless")), frame_a_mm=a, frame_b_mm=b, frame_dbl_mm=dbl, temple_mm=temple, mrp_paise=mrp,
                      cost_price_paise=mrp * 45 // 100, barcode=ean(n), reorder_level=rng.choice((1, 2)))  # fmt: skip
        if n < PRODUCTS["frame"]:
            out["frame"].append(row("frame", name=f"{brand} {model} {colour.lower()}", **values))
        else:
            tint = rng.choice(TINTS)
            out["sunglasses"].append(row("sunglasses", name=f"{brand} {model} sunglasses", tint=tint,
                                         coatings="Polarised, UV400" if "polar" in tint else "UV400",
                                         **values))  # fmt: skip
    for _ in range(PRODUCTS["lens"]):
        brand, line = rng.choice(LENS_LINES)
        kind = rng.choices(("single_vision", "progressive", "bifocal", "office"), (50, 30, 12, 8))[0]
        index = rng.choice(tuple(INDEXES))
        material, low, high = INDEXES[index]
        multi = kind != "single_vision"
        mrp = rng.randrange(40, 250, 5) * 10_000 if multi else rng.randrange(9, 65) * 10_000
        out["lens"].append(row(
            "lens", name=f"{brand} {line} {kind.replace('_', ' ')} {index / 100:.2f}", brand=brand, model=line,
            lens_type=kind, lens_index=index, material=material, coatings=rng.choice(COATINGS), is_stocked=0,
            sphere_min=low, sphere_max=high, cylinder_min=rng.choice((-200, -400, -600)), cylinder_max=0,
            add_min=75 if multi else None, add_max=(250 if kind == "office" else 350) if multi else None,
            mrp_paise=mrp, cost_price_paise=mrp * 40 // 100,
        ))  # fmt: skip
    for n in range(PRODUCTS["contact_lens"]):
        brand, line, schedule, pack = rng.choice(CONTACT_LINES)
        kind = rng.choices(("spherical", "toric", "multifocal"), (65, 25, 10))[0]
        bc = rng.choice((83, 84, 85, 86, 87, 88, 90))
        mrp = rng.randrange(12, 60) * 10_000
        out["contact_lens"].append(row(
            "contact_lens", name=f"{line} {kind} {bc / 10:.1f} ({pack})", brand=brand, model=line, lens_type=kind,
            base_curve_mm_tenths=bc, diameter_mm_tenths=rng.choice((138, 140, 142, 145)),
            replacement_schedule=schedule, sphere_min=-1200, sphere_max=800,
            cylinder_min=-225 if kind == "toric" else None, cylinder_max=-75 if kind == "toric" else None,
            add_min=75 if kind == "multifocal" else None, add_max=250 if kind == "multifocal" else None,
            mrp_paise=mrp, cost_price_paise=mrp * 60 // 100, barcode=ean(5000 + n), reorder_level=2,
        ))  # fmt: skip
    for n in range(PRODUCTS["solution"]):
        brand, line = rng.choice(SOLUTIONS)
        ml = rng.choice((60, 120, 300, 360, 500))
        mrp = (150 + ml) * 100
        out["solution"].append(row("solution", name=f"{line} solution {ml} ml #{n + 1}", brand=brand, model=line,
                                   size=f"{ml} ml", mrp_paise=mrp, cost_price_paise=mrp * 65 // 100,
                                   barcode=ean(7000 + n), reorder_level=4))  # fmt: skip
    return out


def makeable(lens: dict[str, Any], eyes: dict[str, tuple[int, int | None, int | None, int | None]]) -> bool:
    """Whether ``lens`` is made in every eye's (sphere, minus cylinder, axis, add); the ADD only on multifocals."""
    return all(lens["sphere_min"] <= s <= lens["sphere_max"] and (c is None or lens["cylinder_min"] <= c)
               and (a is None) == (lens["add_min"] is None) and (a is None or lens["add_min"] <= a <= lens["add_max"])
               for s, c, _axis, a in eyes.values())  # fmt: skip
