"""What a medicine costs on a given day: its GST rate in force, a loose unit's price from the pack's MRP, and the
tax inside an MRP. Pure helpers for the pharmacy and purchase services (called inside their transactions).

- GST rate (``gst_rate_on``): the clinic's tax rule for medicines with exactly this HSN code in force on the
  day (``tax_configurations``, effective-dated: rates changed mid-year on 22 Sep 2025), else its blank-code
  default rule for medicines, else the catalogue's own ``gst_rate_basis_points``. The rate is stored on every
  issued line, so a later change of the rules never rewrites what was sold.
- Unit price (``unit_price``): batches carry the MRP of one pack (as printed: tax-inclusive, Legal Metrology);
  a loose unit is the pack's MRP divided by the pack size, rounded DOWN to the paisa, so a sale is never above
  the label price. A whole pack of 10 at MRP Rs 35.99 is 10 x 359 paise = Rs 35.90.
- Tax inside an MRP (``tax_inside``): taxable value = amount x 100 / (100 + rate) (CGST Rule 35), rounded half
  up to the paisa; the tax is the rest, so taxable + tax is exactly the amount charged.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models.hospital import TaxConfiguration
from db.models.pharmacy import Medicine
from hms_desktop.settings import current_hospital


def gst_rate_on(session: Session, medicine: Medicine, on: date) -> int:
    """The GST rate (basis points) of ``medicine`` on the local date ``on`` (see the module's rules).

    Remembered for the rest of the transaction (a session lives for one): a dispensing of many lines or a
    50-line receipt asks once per HSN code and day."""
    memo: dict[tuple[str, int, date], int] = session.info.setdefault("hms_gst_rates", {})
    key = (medicine.hsn_code or "", int(medicine.gst_rate_basis_points), on)
    if key not in memo:
        memo[key] = _rate_on(session, medicine, on)
    return memo[key]


def _rate_on(session: Session, medicine: Medicine, on: date) -> int:
    rules = session.execute(
        select(TaxConfiguration.hsn_sac_code, TaxConfiguration.rate_basis_points).where(
            TaxConfiguration.hospital_id == current_hospital(session).id,
            TaxConfiguration.applies_to == "medicine",
            TaxConfiguration.hsn_sac_code.in_((medicine.hsn_code or "", "")),
            TaxConfiguration.is_active.is_(True),
            TaxConfiguration.deleted_at.is_(None),
            TaxConfiguration.effective_from <= on,
            or_(TaxConfiguration.effective_to.is_(None), TaxConfiguration.effective_to >= on),
        )
    ).all()
    found = {code: int(rate) for code, rate in rules}
    if medicine.hsn_code and medicine.hsn_code in found:
        return found[medicine.hsn_code]
    if "" in found:
        return found[""]
    return int(medicine.gst_rate_basis_points)


def unit_price(pack_mrp_paise: int, pack_size: int) -> int:
    """One loose unit's price in paise: the pack's MRP / pack size, rounded down (never above the label)."""
    if pack_size < 1:
        raise ValueError("a pack holds at least one unit")
    return pack_mrp_paise // pack_size


def tax_inside(amount_paise: int, rate_basis_points: int) -> int:
    """The GST inside a tax-inclusive amount: amount - round(amount x 10000 / (10000 + rate))."""
    if rate_basis_points == 0 or amount_paise == 0:
        return 0
    taxable = (Decimal(amount_paise) * 10000 / (10000 + rate_basis_points)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return amount_paise - int(taxable)
