"""What an author's proof of a change covers, the same on a PC (which signs) and on the server (which checks).

The proof is HMAC-SHA256 under the author's key (``hms_desktop.security.author_keys``) of: the workstation that
pushes it, the table, the row id, the change's clock, and the row's content as pushed (canonical JSON, keys
sorted) without the ledger caches (``policy.DERIVED``: recomputed on every PC, so they may differ by the time
the row is pushed). A delete covers the same without content. Moving a proof to another row, another content,
another clock or another PC breaks it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from typing import Any

from hms_desktop.sync.policy import DERIVED

_LABEL = b"hms-sync-change-v1"


@functools.cache
def _derived(table: str) -> frozenset[str]:
    return frozenset(d.column for d in DERIVED if d.table == table)


def digest(workstation_id: uuid.UUID, table: str, row_id: str, stamp: str, row: dict[str, Any] | None) -> bytes:
    """The bytes a proof signs (``row`` in the sync encoding as pushed; None for a delete)."""
    skip = _derived(table)
    content = (
        "null"
        if row is None
        else json.dumps(
            {k: v for k, v in row.items() if k not in skip}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    )
    head = "\n".join((str(workstation_id), table, str(uuid.UUID(row_id)), stamp))
    return hashlib.sha256(_LABEL + b"\n" + head.encode() + b"\n" + content.encode("utf-8")).digest()


def prove(key: bytes, signed: bytes) -> str:
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def holds(key: bytes, signed: bytes, proof: str) -> bool:
    return hmac.compare_digest(prove(key, signed), proof)
