"""Optical tests' clinic: the clinical day (tests/clinical_fixtures.py: Monday 30 November 2026, 10:00 in
Bengaluru, Dr Meera Iyer, Kavya Nair checked in) with the optical counter:

- ``optician``: Omkar Patil (Optical Staff, discount limit 10%); ``optician2``: Nisha Gupta (Optical Staff);
- ``manager``: Imran Sheikh (Inventory Manager: the optical catalogue's editor needs optical.catalog, which
  the Admin grants; here the system context edits the catalogue);
- ``eye_rx``: Dr Iyer's eye prescription for Kavya (R -2.25 / -0.50 x 180 add +1.50, L -2.00 DS add +1.50,
  PD 62.5 mm);
- the GST rules for optical goods in force since 22 Sep 2025 (frames 9003 and lenses 9001: 5%, sunglasses
  900410: 18%, lens solution 3307: 18%);
- ``products``: a catalogue inserted as the system (as an import would), with opening stock through the
  stock ledger for stocked items: "frame" (Titan TE-1021, 3 in stock, MRP Rs 2,500), "frame_out" (Vogue
  VO-2210, none in stock), "sunglasses" (Ray-Ban RB2140, 2 in stock, MRP Rs 8,990), "progressive" (Hoya
  progressive 1.60, made to order, SPH -8.00..+6.00, CYL -4.00..0, ADD +0.75..+3.50, MRP Rs 6,000 a lens),
  "single_vision" (Essilor 1.50 single vision, made to order, SPH -6.00..+4.00, CYL -2.00..0, MRP Rs 1,200
  a lens), "contact" (Acuvue Oasys monthly, BC 8.4, DIA 14.0, 10 boxes, MRP Rs 1,800), "solution" (ReNu
  360 ml, 12 in stock, MRP Rs 450).

The catalogue service's own tests create products through it; these rows let the order and repair tests
run without depending on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from db.models.inventory import StockMovement
from db.models.optical import OpticalProduct
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context
from hms_desktop.series import OPTICAL_PRODUCTS, next_code
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.optical.eye_prescription_input import EyeInput, EyeRxInput
from hms_desktop.services.optical.eye_prescription_views import EyeRxView
from hms_desktop.services.optical.eye_prescriptions import save_eye_prescription
from hms_desktop.settings import clinic_settings
from tests.clinical_fixtures import ClinicalDay, clinical_day, signed_in

GST_2 = date(2025, 9, 22)
OPTICAL_TAXES = (
    ("Frames", "9003", "5"),
    ("Spectacle and contact lenses", "9001", "5"),
    ("Corrective spectacles", "900490", "5"),
    ("Sunglasses", "900410", "18"),
    ("Contact lens solution", "3307", "18"),
)

PRODUCTS: dict[str, dict[str, Any]] = {
    "frame": dict(name="Titan TE-1021 black", category="frame", brand="Titan", model="TE-1021", color="Black",
                  rim_type="full_rim", frame_a_mm=52, frame_b_mm=38, frame_dbl_mm=18, temple_mm=140,
                  material="Acetate", hsn_code="9003", mrp_paise=250_000, cost_price_paise=120_000,
                  barcode="8901234500026", stock=3),
    "frame_out": dict(name="Vogue VO-2210 tortoise", category="frame", brand="Vogue", model="VO-2210",
                      color="Tortoise", rim_type="half_rim", frame_a_mm=54, frame_b_mm=36, frame_dbl_mm=17,
                      temple_mm=145, hsn_code="9003", mrp_paise=420_000, cost_price_paise=210_000, stock=0),
    "sunglasses": dict(name="Ray-Ban RB2140 Wayfarer", category="sunglasses", brand="Ray-Ban", model="RB2140",
                       color="Black", rim_type="full_rim", frame_a_mm=50, frame_b_mm=40, frame_dbl_mm=22,
                       hsn_code="900410", mrp_paise=899_000, cost_price_paise=600_000, stock=2),
    "progressive": dict(name="Hoya progressive 1.60", category="lens", brand="Hoya", lens_type="progressive",
                        lens_index=160, coatings="Anti-reflective, Blue cut", material="Resin",
                        sphere_min=-800, sphere_max=600, cylinder_min=-400, cylinder_max=0, add_min=75,
                        add_max=350, hsn_code="9001", mrp_paise=600_000, cost_price_paise=250_000,
                        is_stocked=False),
    "single_vision": dict(name="Essilor single vision 1.50", category="lens", brand="Essilor",
                          lens_type="single_vision", lens_index=150, coatings="Hard coat, Anti-reflective",
                          material="CR-39", sphere_min=-600, sphere_max=400, cylinder_min=-200, cylinder_max=0,
                          hsn_code="9001", mrp_paise=120_000, cost_price_paise=40_000, is_stocked=False),
    "contact": dict(name="Acuvue Oasys monthly (6)", category="contact_lens", brand="Johnson & Johnson",
                    lens_type="spherical", base_curve_mm_tenths=84, diameter_mm_tenths=140,
                    replacement_schedule="monthly", sphere_min=-1200, sphere_max=800, hsn_code="9001",
                    mrp_paise=180_000, cost_price_paise=110_000, stock=10),
    "solution": dict(name="ReNu multipurpose solution 360 ml", category="solution", brand="Bausch & Lomb",
                     hsn_code="3307", mrp_paise=45_000, cost_price_paise=30_000, stock=12),
}  # fmt: skip


@dataclass(frozen=True)
class OpticalDay:
    day: ClinicalDay
    optician: Context  # Omkar Patil, Optical Staff
    optician2: Context  # Nisha Gupta, Optical Staff
    manager: Context  # Imran Sheikh, Inventory Manager
    eye_rx: EyeRxView  # Dr Iyer's, for Kavya
    products: dict[str, uuid.UUID]

    @property
    def system(self) -> Context:
        return self.day.system

    @property
    def patient_id(self) -> uuid.UUID:
        return self.day.patient.id


def add_optical_taxes(ctx: Context) -> None:
    for name, hsn, rate in OPTICAL_TAXES:
        create_tax(ctx, TaxInput(name=name, rate_percent=rate, applies_to="optical", effective_from=GST_2,
                                 hsn_sac_code=hsn))  # fmt: skip


def add_product(ctx: Context, *, stock_quantity: int = 0, **values: Any) -> uuid.UUID:
    """One catalogue row (as an import would write it) and its opening stock through the ledger."""
    with ctx.transaction() as tx:
        settings = clinic_settings(tx.session)
        sku = next_code(tx, OPTICAL_PRODUCTS.resolve(settings), local_today(settings, ctx.clock))
        rate = {"9003": 500, "9001": 500, "900490": 500, "900410": 1800, "3307": 1800}.get(values["hsn_code"], 1800)
        row = OpticalProduct(sku=sku, gst_rate_basis_points=rate, **values)
        tx.session.add(row)
        tx.session.flush()
        if stock_quantity:
            stock.move(tx, optical_product_id=row.id, quantity_delta=stock_quantity, movement_type="opening",
                       reference_type="optical_products", reference_id=row.id)  # fmt: skip
        tx.commit()
        return row.id


def optical_day(system_ctx: Context, make_user) -> OpticalDay:  # type: ignore[no-untyped-def]
    day = clinical_day(system_ctx, make_user)
    system = day.system
    omkar = make_user("Optical Staff", email="omkar@sunrise.example.in", name="Omkar Patil")
    nisha = make_user("Optical Staff", email="nisha@sunrise.example.in", name="Nisha Gupta")
    imran = make_user("Inventory Manager", email="imran@sunrise.example.in", name="Imran Sheikh")
    add_optical_taxes(system)
    products = {}
    for key, spec in PRODUCTS.items():
        values = dict(spec)
        products[key] = add_product(system, stock_quantity=values.pop("stock", 0), **values)
    eye_rx = save_eye_prescription(
        day.doctor_ctx,
        EyeRxInput(
            patient_id=day.patient.id,
            right=EyeInput(sphere="-2.25", cylinder="-0.50", axis="180", add="+1.50", distance_va="6/6"),
            left=EyeInput(sphere="-2.00", add="+1.50", distance_va="6/6"),
            pd="62.5",
            appointment_id=day.appointment.id,
            lens_recommendation="Progressive, anti-reflective",
        ),
    )
    return OpticalDay(
        day=day,
        optician=signed_in(system, omkar.id),
        optician2=signed_in(system, nisha.id),
        manager=signed_in(system, imran.id),
        eye_rx=eye_rx,
        products=products,
    )


def optical_on_hand(ctx: Context, product_id: uuid.UUID) -> int:
    """The ledger's sum for an optical product, read straight from ``stock_movements``."""
    with ctx.transaction(readonly=True) as tx:
        total = tx.session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity_delta), 0)).where(
                StockMovement.optical_product_id == product_id
            )
        )
        return int(total or 0)
