"""Many-to-many links kept as rows with tombstones (user_roles, role_permissions): set them to a wanted set.

A link taken away gets ``deleted_at``; a link given back is revived rather than inserted again (the pair is
unique), so history and sync see one row per pair.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

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
        tx.session.add(make(target))
    tx.session.flush()
