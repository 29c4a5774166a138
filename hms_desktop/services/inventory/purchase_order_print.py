"""Printing a purchase order (``inventory.view``): the PDF the clinic sends to its supplier.

The clinic's letterhead (name, address, phone, email, GSTIN, drug licence, logo) from the hospital record;
the supplier's name, address, GSTIN, drug licence and contact; the PO number, date, expected date and payment
terms; each line's medicine (brand, composition and strength), pack, HSN, packs, cost per pack, GST rate and
amount; the subtotal, the GST split as CGST + SGST (the supplier in the clinic's state) or IGST, and the
total. A draft prints marked "DRAFT, NOT SENT". Every print is an audited event.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from db.models.hospital import Hospital
from db.models.inventory import Supplier
from hms_desktop.audit.trail import record
from hms_desktop.context import Context
from hms_desktop.printing.purchase_order import PurchaseOrderPrint, PurchaseOrderPrintLine, render_purchase_order
from hms_desktop.security.permissions import requires
from hms_desktop.services.admin.taxes import split_gst
from hms_desktop.services.inventory.purchase_order_views import PurchaseOrderView, po_row, po_views
from hms_desktop.settings import LOGO_KEY, current_hospital, setting_blob


def _address(h: Hospital) -> str:
    place = " ".join(x for x in (h.state, h.pincode) if x)
    return ", ".join(x for x in (h.address_line1, h.address_line2, h.city, place) if x)


def _contact(*parts: str) -> str:
    return " | ".join(p for p in parts if p)


def _medicine(name: str, generic: str, strength: str) -> str:
    """``Dolo 650 (Paracetamol 650 mg)``."""
    inner = " ".join(x for x in (generic, strength) if x)
    return f"{name} ({inner})" if inner else name


def percent(basis_points: int) -> str:
    """``500`` -> ``5``, ``250`` -> ``2.5``."""
    return f"{Decimal(basis_points) / 100:f}".rstrip("0").rstrip(".") if basis_points else "0"


def _taxes(v: PurchaseOrderView) -> tuple[tuple[str, int], ...]:
    parts = [split_gst(ln.line_total_paise, ln.tax_basis_points, v.intra_state) for ln in v.lines]
    if not v.intra_state:
        return (("IGST", sum(p["igst_paise"] for p in parts)),)
    return (("CGST", sum(p["cgst_paise"] for p in parts)), ("SGST", sum(p["sgst_paise"] for p in parts)))


def print_data(v: PurchaseOrderView, hospital: Hospital, supplier: Supplier, logo: bytes | None) -> PurchaseOrderPrint:
    terms = f"{supplier.payment_terms_days} days" if supplier.payment_terms_days else "On delivery"
    return PurchaseOrderPrint(
        hospital_name=hospital.name, hospital_address=_address(hospital),
        hospital_contact=_contact(f"Ph: {hospital.phone}" if hospital.phone else "", hospital.email),
        hospital_gstin=hospital.gstin or "", hospital_licence=hospital.licence_number, logo=logo,
        po_number=v.po_number, draft=v.status == "draft", order_date=v.order_date, expected_date=v.expected_date,
        payment_terms=terms, supplier_name=supplier.name, supplier_address=supplier.address,
        supplier_gstin=supplier.gstin or "", supplier_licence=supplier.drug_licence_number,
        supplier_contact=_contact(supplier.contact_name, supplier.phone, supplier.email),
        lines=tuple(PurchaseOrderPrintLine(
            medicine=_medicine(ln.medicine_name, ln.generic_name, ln.strength), pack=ln.pack,
            hsn_code=ln.hsn_code, packs=ln.packs,
            unit_cost_paise=ln.unit_cost_paise, gst_percent=percent(ln.tax_basis_points),
            amount_paise=ln.line_total_paise,
        ) for ln in v.lines),
        subtotal_paise=v.subtotal_paise, taxes=_taxes(v), total_paise=v.total_paise, notes=v.notes,
        raised_by=v.raised_by_name, sent_by=v.sent_by_name,
    )  # fmt: skip


@requires("inventory.view")
def purchase_order_pdf(ctx: Context, po_id: uuid.UUID) -> bytes:
    """The order as A4 PDF bytes (a draft prints marked as such)."""
    with ctx.transaction() as tx:
        po = po_row(tx, po_id)
        view = po_views(tx, [po])[0]
        hospital = current_hospital(tx.session)
        supplier = tx.session.get(Supplier, po.supplier_id)
        assert supplier is not None
        pdf = render_purchase_order(print_data(view, hospital, supplier, setting_blob(tx.session, hospital.id,
                                                                                      LOGO_KEY)))  # fmt: skip
        record(tx, "print", entity_type="purchase_orders", entity_id=po.id, detail=f"Purchase order {po.po_number}")
        tx.commit()
        return pdf
