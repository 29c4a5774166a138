"""Time-ordered UUIDs (RFC 9562 version 7) for primary keys.

Python 3.11 has no ``uuid.uuid7``; this is the RFC layout: 48 bits of Unix milliseconds, version,
12 bits of a per-process counter seeded randomly each millisecond (so keys made in one millisecond by one
process still sort in creation order), variant, 62 random bits.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x7FF  # leave headroom in 12 bits
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


_STABLE = uuid.UUID("5b1f3c2e-8d47-4a8e-9a43-6f1d2c0b7e15")  # the namespace of HMS natural-key ids


def stable_id(*parts: object) -> uuid.UUID:
    """The same id on every PC for the same natural key (a UUID5): a row that two offline PCs may both
    create (a setting, a user's role, a role's permission) is then one row that merges by its clock,
    instead of two rows that break a UNIQUE constraint on the central database."""
    return uuid.uuid5(_STABLE, "|".join(str(p) for p in parts))
