"""Pages of results for lists that can be long (patients, the audit trail, invoices)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from hms_desktop.errors import ValidationError

T = TypeVar("T")
MAX_PAGE = 500


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int
    total_is_lower_bound: bool = False  # very broad searches stop counting at a limit

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise ValidationError("page", "Pages start at 1.")
    if not 1 <= page_size <= MAX_PAGE:
        raise ValidationError("page_size", f"A page holds 1 to {MAX_PAGE} rows.")
