"""Small helpers for tests."""

from __future__ import annotations

import hashlib
from pathlib import Path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file's hash (the lock file aside, which only ever holds locks)."""
    return {p.name: digest(p) for p in sorted(Path(folder).iterdir()) if p.is_file() and p.name != "store.lock"}
