"""What the optical printouts show, as the order and repair services hand it over: every value already written
the way the optical counter writes it (powers by ``services.optical.refraction``, money by ``money``), so the
renderers (``optical_job_card``, ``optical_slips``) only lay it out. An empty value is "" (printed as a dash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, kw_only=True)
class ClinicHeading:
    name: str
    address: str  # one line; may be ""
    contact: str  # "Ph: 080 2345 6789 | optical@example.in"; may be ""
    gstin: str  # may be ""
    logo: bytes | None  # PNG/JPEG


@dataclass(frozen=True, kw_only=True)
class RxEyeLine:
    label: str  # "R (OD)" / "L (OS)"
    sphere: str  # "-2.25", "PLANO"
    cylinder: str  # "-0.50" or "" (sphere only)
    axis: str  # "180" or ""
    add: str  # "+2.00" or ""
    prism: str  # "1.00 BI" or ""


@dataclass(frozen=True, kw_only=True)
class JobCardData:
    """The lab's job card: one A5 page, the order code as a Code 128 barcode the lab scans back."""

    clinic: ClinicHeading
    order_code: str  # "OPT-2026-00012"
    ordered_on: date
    promised_date: date | None
    patient_name: str
    patient_code: str
    prescription: str  # "ORX-2026-000031 by Dr Meera Iyer, 30 Nov 2026" or "Outside prescription: Dr R Rao"
    right: RxEyeLine
    left: RxEyeLine
    right_pd: str  # "31.0 mm" or ""
    left_pd: str
    right_fitting_height: str  # "22.0 mm" or ""
    left_fitting_height: str
    box_size: str  # "A 52 / B 38 / DBL 18 mm" or ""
    frame: str  # "Titan TE-1021, black, full rim, 52-18-140" or "Patient's own frame"
    lens: str  # "Progressive 1.67 (Hoya iD MyStyle), CR-39"
    lens_options: str  # "Anti-reflective, blue cut; tint: none"
    lab_name: str
    remake: str  # "Remake 1: axis off by 10 degrees (left)" or ""
    notes: str


@dataclass(frozen=True, kw_only=True)
class SlipLine:
    description: str
    quantity: str  # "1", "2 pairs"
    amount: str  # "Rs 4,500.00" (after the line's discount)


@dataclass(frozen=True, kw_only=True)
class OrderSlipData:
    """The customer's slip for an optical order: what was ordered, what it costs, when to collect."""

    clinic: ClinicHeading
    order_code: str
    ordered_on: date
    promised_date: date | None
    patient_name: str
    patient_code: str
    patient_phone: str
    lines: tuple[SlipLine, ...]
    subtotal: str  # "Rs 6,000.00"
    discount: str  # "Rs 600.00" or ""
    total: str
    advance: str  # "Rs 2,000.00" or "" (advances are taken at the cash counter)
    balance: str
    status: str  # "Confirmed", "Ready to collect"
    notes: str  # "Bring this slip when you collect your glasses."


@dataclass(frozen=True, kw_only=True)
class RepairSlipData:
    """The repair slip handed to the patient with the item left: the fault, the estimate, at owner's risk."""

    clinic: ClinicHeading
    repair_code: str  # "RPR-2026-00004"
    received_on: date
    promised_date: date | None
    patient_name: str
    patient_code: str
    patient_phone: str
    item: str  # "Ray-Ban RB5154 frame with lenses"
    own_item: bool  # the patient's own (True) or bought here
    fault: str
    parts: str  # "Rs 350.00"
    labour: str
    estimate: str  # parts + labour
    approval: str  # "Estimate approved by the patient (in person) on 01 Dec 2026" or "Estimate not yet approved"
    status: str
    risk_note: str  # "Repairs are carried out at the owner's risk. ..."
