"""Many-to-many links kept as rows with tombstones (user_roles, role_permissions): set them to a wanted set.

A link taken away gets ``deleted_at``; a link given back is revived rather than inserted again (the pair is
unique), so history and sync see one row per pair. A new link's id is derived from the pair, so two PCs that
give the same role offline create the same row (it merges by its clock) rather than two that clash.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import UniqueConstraint

from db.ids import stable_id
from hms_desktop.context import Transaction


def set_links(
    tx: Transaction,
    existing: Iterable[Any],
    key: Callable[[Any], uuid.UUID],
    wanted: set[uuid.UUID],
    make: Callable[[uuid.UUID], Any],
) -> None:
    now = tx.ctx.clock.now()
    present = {key(link): link for link in existing}
    for target, link in present.items():
        if target in wanted and link.deleted_at is not None:
            link.deleted_at = None
        elif target not in wanted and link.deleted_at is None:
            link.deleted_at = now
    for target in wanted - present.keys():
        link = make(target)
        link.id = natural_id(link)  # two PCs linking the same pair offline make one row, not a clash
        tx.session.add(link)
    tx.session.flush()


def natural_id(obj: Any) -> uuid.UUID:
    """A link's id from its table and the columns of its unique pair (``db.ids.stable_id``)."""
    table = obj.__table__
    pair = next(c for c in table.constraints if isinstance(c, UniqueConstraint))
    return stable_id(table.name, *(getattr(obj, column.name) for column in pair.columns))
