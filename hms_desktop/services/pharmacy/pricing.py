"""What a medicine costs on a given day: its GST rate in force, a loose unit's price from the pack's MRP, and the
tax inside an MRP. Pure helpers for the pharmacy and purchase services (called inside their transactions).

- GST rate (``gst_rate_on``): the clinic's tax rule for medicines with exactly this HSN code in force on the
  day (``tax_configurations``, effective-dated: rates changed mid-year on 22 Sep 2025), else its blank-code
  default rule for medicines, else the catalogue's own ``gst_rate_basis_points`` (the rule lookup,
  ``tax_rule_rate``, is shared with the optical catalogue). The rate is stored on every issued line, so a
  later change of the rules never rewrites what was sold.
- Unit price (``unit_price``): batches carry the MRP of one pack (as printed: tax-inclusive, Legal Metrology);
  a loose unit is the pack's MRP divided by the pack size, rounded DOWN to the paisa, so a sale is never above
  the label price. A whole pack of 10 at MRP Rs 35.99 is 10 x 359 paise = Rs 35.90.
- Tax inside an MRP (``tax_inside``): taxable value = amount x 100 / (100 + rate) (CGST Rule 35), rounded half
  up to the paisa; the tax is the rest, so taxable + tax is exactly the amount charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models.hospital import TaxConfiguration
from db.models.pharmacy import Medicine
from hms_desktop.settings import current_hospital


def gst_rate_on(session: Session, medicine: Medicine, on: date) -> int:
    """The GST rate (basis points) of ``medicine`` on the local date ``on`` (see the module's rules)."""
    found = tax_rule_rate(session, "medicine", (medicine.hsn_code or "",), on)
    return int(medicine.gst_rate_basis_points) if found is None else found


def tax_rule_rate(session: Session, applies_to: str, codes: Sequence[str], on: date) -> int | None:
    """The rate (basis points) of the clinic's tax rule for ``applies_to`` in force on the local date ``on``: the
    rule of the first of ``codes`` (most specific first) that has one, else the blank-code default rule, else
    None (the caller falls back to the catalogue's own rate). The optical catalogue passes an HSN code's
    prefixes (900410, then 9004); the pharmacy the medicine's exact code.

    Remembered for the rest of the transaction (a session lives for one): a dispensing of many lines or a
    50-line receipt asks once per HSN code and day."""
    wanted = tuple(dict.fromkeys(c for c in codes if c))
    memo: dict[tuple[str, tuple[str, ...], date], int | None] = session.info.setdefault("hms_tax_rules", {})
    key = (applies_to, wanted, on)
    if key not in memo:
        memo[key] = _rule_rate(session, applies_to, wanted, on)
    return memo[key]


def _rule_rate(session: Session, applies_to: str, codes: tuple[str, ...], on: date) -> int | None:
    rules = session.execute(
        select(TaxConfiguration.hsn_sac_code, TaxConfiguration.rate_basis_points).where(
            TaxConfiguration.hospital_id == current_hospital(session).id,
            TaxConfiguration.applies_to == applies_to,
            TaxConfiguration.hsn_sac_code.in_((*codes, "")),
            TaxConfiguration.is_active.is_(True),
            TaxConfiguration.deleted_at.is_(None),
            TaxConfiguration.effective_from <= on,
            or_(TaxConfiguration.effective_to.is_(None), TaxConfiguration.effective_to >= on),
        )
    ).all()
    found = {code: int(rate) for code, rate in rules}
    for code in (*codes, ""):
        if code in found:
            return found[code]
    return None


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
