"""What the screens, the order form and the printouts read of an optical product: every column, and the same
values written the way the counter writes them (``power_range_text`` "SPH -8.00 to +6.00, CYL -4.00 to 0.00",
``box_text`` "52-18-140", ``stock_text`` "3 in stock" / "Out of stock" / "Made to order")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from db.models.optical import OpticalProduct
from hms_desktop.money import rupees_text
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.catalog_rules import CATEGORY_LABELS, LENS_TYPE_LABELS
from hms_desktop.services.pharmacy.catalog_rules import percent_text


@dataclass(frozen=True, kw_only=True)
class ProductView:
    id: uuid.UUID
    sku: str  # OPP-00001
    name: str
    category: str
    brand: str
    model: str
    color: str
    size: str
    material: str
    hsn_code: str
    gst_rate_basis_points: int  # the product's own rate (used when no tax rule covers its HSN)
    tax_rate_basis_points: int  # the rate in force today (``pricing.optical_rate_on``)
    mrp_paise: int  # GST included
    cost_price_paise: int
    stock_quantity: int  # the ledger's balance (0 for made-to-order products)
    reorder_level: int
    barcode: str | None
    is_active: bool
    is_stocked: bool  # False: made to order
    rim_type: str
    frame_a_mm: int | None
    frame_b_mm: int | None
    frame_dbl_mm: int | None
    temple_mm: int | None
    lens_type: str | None
    lens_index: int | None  # hundredths: 160 = 1.60
    coatings: str
    tint: str
    sphere_min: int | None  # hundredths of a dioptre
    sphere_max: int | None
    cylinder_min: int | None  # minus-cylinder form
    cylinder_max: int | None
    add_min: int | None
    add_max: int | None
    base_curve_mm_tenths: int | None  # 84 = 8.4 mm
    diameter_mm_tenths: int | None
    replacement_schedule: str

    @property
    def category_label(self) -> str:
        """ "frame", "spectacle lens", "contact lens" ..."""
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def lens_type_label(self) -> str:
        return LENS_TYPE_LABELS.get(self.lens_type or "", "")

    @property
    def is_lens(self) -> bool:
        return self.category in ("lens", "contact_lens")

    @property
    def power_range_text(self) -> str:
        """ "SPH -8.00 to +6.00, CYL -4.00 to 0.00, ADD +0.75 to +3.50"; "" for a product without powers."""
        return power_range_text(self)

    @property
    def box_text(self) -> str:
        """A-DBL-temple as printed on the temple ("52-18-140", "52-18"); "" without A and DBL."""
        if self.frame_a_mm is None or self.frame_dbl_mm is None:
            return ""
        temple = f"-{self.temple_mm}" if self.temple_mm is not None else ""
        return f"{self.frame_a_mm}-{self.frame_dbl_mm}{temple}"

    @property
    def stock_text(self) -> str:
        if not self.is_stocked:
            return "Made to order"
        return f"{self.stock_quantity} in stock" if self.stock_quantity > 0 else "Out of stock"

    @property
    def needs_reorder(self) -> bool:
        return self.is_stocked and self.reorder_level > 0 and self.stock_quantity <= self.reorder_level

    @property
    def index_text(self) -> str:
        return "" if self.lens_index is None else f"{self.lens_index // 100}.{self.lens_index % 100:02d}"

    @property
    def base_curve_text(self) -> str:
        return _tenths(self.base_curve_mm_tenths)

    @property
    def diameter_text(self) -> str:
        return _tenths(self.diameter_mm_tenths)

    @property
    def mrp_text(self) -> str:
        return rupees_text(self.mrp_paise)

    @property
    def tax_rate_text(self) -> str:
        """ "5%", "18%"."""
        return f"{percent_text(self.tax_rate_basis_points)}%"


class Ranged(Protocol):
    """Anything with a lens's power range: a ``ProductView`` or an ``OpticalProduct`` row."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def lens_type(self) -> str | None: ...
    @property
    def sphere_min(self) -> int | None: ...
    @property
    def sphere_max(self) -> int | None: ...
    @property
    def cylinder_min(self) -> int | None: ...
    @property
    def cylinder_max(self) -> int | None: ...
    @property
    def add_min(self) -> int | None: ...
    @property
    def add_max(self) -> int | None: ...


def _tenths(value: int | None) -> str:
    return "" if value is None else f"{value // 10}.{value % 10}"


def power_range_text(p: Ranged) -> str:
    parts = []
    for label, low, high in (("SPH", p.sphere_min, p.sphere_max), ("CYL", p.cylinder_min, p.cylinder_max),
                             ("ADD", p.add_min, p.add_max)):  # fmt: skip
        if low is not None and high is not None:
            parts.append(f"{label} {rx.format_power(low)} to {rx.format_power(high)}")
    return ", ".join(parts)


def view_of(p: OpticalProduct, tax_rate_basis_points: int) -> ProductView:
    return ProductView(
        id=p.id, sku=p.sku, name=p.name, category=p.category, brand=p.brand, model=p.model, color=p.color,
        size=p.size, material=p.material, hsn_code=p.hsn_code, gst_rate_basis_points=p.gst_rate_basis_points,
        tax_rate_basis_points=tax_rate_basis_points, mrp_paise=p.mrp_paise, cost_price_paise=p.cost_price_paise,
        stock_quantity=p.stock_quantity, reorder_level=p.reorder_level, barcode=p.barcode, is_active=p.is_active,
        is_stocked=p.is_stocked, rim_type=p.rim_type, frame_a_mm=p.frame_a_mm, frame_b_mm=p.frame_b_mm,
        frame_dbl_mm=p.frame_dbl_mm, temple_mm=p.temple_mm, lens_type=p.lens_type, lens_index=p.lens_index,
        coatings=p.coatings, tint=p.tint, sphere_min=p.sphere_min, sphere_max=p.sphere_max,
        cylinder_min=p.cylinder_min, cylinder_max=p.cylinder_max, add_min=p.add_min, add_max=p.add_max,
        base_curve_mm_tenths=p.base_curve_mm_tenths, diameter_mm_tenths=p.diameter_mm_tenths,
        replacement_schedule=p.replacement_schedule,
    )  # fmt: skip
