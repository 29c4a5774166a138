"""The optical catalogue tests' clinic: the optical day (``tests/optical_fixtures.py``) with a catalogue editor,
Meena Das, whose role "Optical Manager" (made by the admin, as a clinic would) holds optical.view and
optical.catalog; ``written`` counts what a refused action must leave as it was."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.hospital import IdSequence, TaxConfiguration
from db.models.inventory import StockMovement
from db.models.optical import OpticalProduct
from hms_desktop.context import Context
from hms_desktop.services.admin.roles import create_role
from hms_desktop.services.optical.catalog_rules import ProductInput
from tests.clinical_fixtures import signed_in
from tests.optical_fixtures import OpticalDay, optical_day

FRAME = ProductInput(name="Lenskart Air LA-E1220 matte black", category="frame", brand="Lenskart Air",
                     model="LA-E1220", color="Matte black", rim_type="full rim", frame_a="52", frame_b="38",
                     frame_dbl="18", temple="140", material="TR90", mrp="2,499.50", cost_price="900",
                     barcode="8901234501238")  # fmt: skip
PROGRESSIVE = ProductInput(name="Zeiss progressive 1.67", category="lens", brand="Zeiss", lens_type="progressive",
                           lens_index="1.67", coatings="DuraVision", sphere_min="-10.00", sphere_max="+8",
                           cylinder_min="-4.00", add_min="+0.75", add_max="3.50", mrp="14000",
                           cost_price="6000")  # fmt: skip
CONTACT = ProductInput(name="Biofinity toric (3)", category="contact lens", brand="CooperVision", lens_type="toric",
                       base_curve="8.7", diameter="14.5", replacement_schedule="monthly", sphere_min="-10.00",
                       sphere_max="+8.00", cylinder_min="-2.25", cylinder_max="-0.75", mrp="3750")  # fmt: skip


@dataclass(frozen=True)
class CatalogDay:
    od: OpticalDay
    editor: Context  # Meena Das, Optical Manager (optical.view + optical.catalog)

    @property
    def system(self) -> Context:
        return self.od.system


def catalog_day(system_ctx: Context, make_user) -> CatalogDay:  # type: ignore[no-untyped-def]
    od = optical_day(system_ctx, make_user)
    create_role(od.system, "Optical Manager", ["optical.view", "optical.catalog"], "Runs the optical catalogue")
    meena = make_user("Optical Manager", email="meena@sunrise.example.in", name="Meena Das")
    return CatalogDay(od=od, editor=signed_in(od.system, meena.id))


def written(ctx: Context) -> dict[str, int]:
    """Row counts of what the catalogue and stock services write, and the numbers issued."""
    with ctx.transaction(readonly=True) as tx:
        out = {
            t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (OpticalProduct, StockMovement, TaxConfiguration)
        }
        out["numbers"] = int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0)
        out["changes"] = int(
            tx.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action != "permission_denied"))
            or 0
        )
        return out
