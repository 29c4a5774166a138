"""What an optical product is taxed at on a given day. Pure helpers for the catalogue and the order services
(called inside their transactions).

- GST rate (``optical_rate_on``): the clinic's tax rule for ``applies_to = "optical"`` in force on the local
  date, matched on the product's HSN code by its LONGEST matching prefix (a sunglass at 90041000 takes the
  900410 rule, 18%, before a 9004 rule for spectacles; a frame at 90031100 takes the 9003 rule, 5%), else the
  blank-code optical default rule, else the product's own ``gst_rate_basis_points``. The rules are
  effective-dated (corrective spectacles, lenses and frames went to 5% on 22 Sep 2025), so an order dated
  before a change is taxed at the old rate; the order line stores the rate it was sold at.
- The MRP includes GST (Legal Metrology): the tax inside an amount is ``tax_inside`` (the pharmacy's, CGST
  Rule 35), re-exported here so the optical services take both from one place.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from hms_desktop.services.pharmacy.pricing import tax_inside, tax_rule_rate

__all__ = ["hsn_prefixes", "optical_rate_on", "tax_inside"]

HSN_LENGTHS = (8, 6, 4)


class Taxed(Protocol):
    """An optical product row or its view: what its rate depends on."""

    @property
    def hsn_code(self) -> str: ...

    @property
    def gst_rate_basis_points(self) -> int: ...


def hsn_prefixes(hsn_code: str) -> tuple[str, ...]:
    """The codes a rule may be written for, most specific first: "90041000" -> ("90041000", "900410", "9004")."""
    code = (hsn_code or "").strip()
    return tuple(code[:n] for n in HSN_LENGTHS if len(code) >= n)


def optical_rate_on(session: Session, product: Taxed, on: date) -> int:
    """The GST rate (basis points) of ``product`` on the local date ``on`` (see the module's rules)."""
    found = tax_rule_rate(session, "optical", hsn_prefixes(product.hsn_code), on)
    return int(product.gst_rate_basis_points) if found is None else found
