"""Small helpers for tests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hms_desktop.clock import Clock
    from hms_desktop.context import Context
    from hms_desktop.storage.store import Store


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file's hash (the lock file aside, which only ever holds locks)."""
    return {p.name: digest(p) for p in sorted(Path(folder).iterdir()) if p.is_file() and p.name != "store.lock"}


def signed_in_admin(store: Store, *, clock: Clock | None = None, email: str = "", password: str = "") -> Context:
    """A context signed in, with a password, as the founder's Super Admin (or ``email``/``password``): the
    changes it makes are signed as that user's, as the desktop's are, so the sync server accepts changes of
    users, roles and settings from it (a system context's are refused there)."""
    from hms_desktop.context import Actor
    from hms_desktop.runtime import context_for
    from hms_desktop.services.admin.auth import login
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

    key = (id(store), id(clock), email, password)
    cached = _SIGNED_IN.get(key)
    if cached is not None and cached[0] is store:
        return cached[1]
    ctx = context_for(store, Actor.anonymous(), clock=clock)
    session = login(ctx, email or ADMIN_EMAIL, password or ADMIN_PASSWORD)
    signed = ctx.as_actor(session.actor)
    _SIGNED_IN[key] = (store, signed)
    return signed


# one sign-in per store, clock and account for the test session (a sign-in writes audit rows and a session)
_SIGNED_IN: dict[tuple[int, int, str, str], tuple[object, Context]] = {}
