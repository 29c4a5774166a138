"""FEFO (first expiry, first out): which batches a quantity of one medicine is taken from. Pure: no store, no clock.

Rules:
- A batch is expired once its expiry date is past: it sells up to and including its expiry date
  (``is_expired(expiry, today)`` is ``expiry < today``, today being the clinic's local date). An expired batch is
  never picked (Drugs and Cosmetics Rules 65(17)), nor one with nothing on hand.
- The usable batches are taken in expiry order, then batch number (a stable order for two batches of one
  expiry), each up to what it holds, until the quantity is met: a line splits across batches.
- What the usable stock cannot cover is the ``shortfall``; the picks then take everything usable.
  (Unlike a picker that orders by expiry without checking stock on hand, this never picks an empty batch.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, kw_only=True)
class BatchStock:
    """A batch as FEFO sees it: what it is, when it expires, what is on hand (units)."""

    id: uuid.UUID
    batch_number: str
    expiry_date: date
    on_hand: int


@dataclass(frozen=True, kw_only=True)
class Pick:
    batch_id: uuid.UUID
    batch_number: str
    expiry_date: date
    quantity: int


@dataclass(frozen=True, kw_only=True)
class FefoResult:
    picks: tuple[Pick, ...]
    shortfall: int  # what the usable stock could not cover (0 when the quantity is met)

    @property
    def picked(self) -> int:
        return sum(p.quantity for p in self.picks)


def is_expired(expiry: date, today: date) -> bool:
    """Past its expiry date on ``today`` (the clinic's local date): it may not be sold."""
    return expiry < today


def fefo_order(batches: Iterable[BatchStock]) -> list[BatchStock]:
    """Batches in the order FEFO takes them: expiry, then batch number."""
    return sorted(batches, key=lambda b: (b.expiry_date, b.batch_number, str(b.id)))


def usable(batches: Iterable[BatchStock], today: date) -> list[BatchStock]:
    """The batches that may be sold today (unexpired, with stock), in FEFO order."""
    return [b for b in fefo_order(batches) if b.on_hand > 0 and not is_expired(b.expiry_date, today)]


def pick(batches: Iterable[BatchStock], quantity: int, today: date) -> FefoResult:
    """Take ``quantity`` units from ``batches`` by FEFO (see the module's rules)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError("the quantity to pick is a whole number, zero or more")
    left = quantity
    picks: list[Pick] = []
    for b in usable(batches, today):
        if left == 0:
            break
        take = min(left, b.on_hand)
        picks.append(Pick(batch_id=b.id, batch_number=b.batch_number, expiry_date=b.expiry_date, quantity=take))
        left -= take
    return FefoResult(picks=tuple(picks), shortfall=left)
