"""Sync as the desktop's Admin > Sync page uses it: this PC's status, enrolment, a sync on demand.

Each is gated by ``sync.manage``. They take the open ``Store`` besides the context: enrolment and a sync
run need its key store (the refresh token) and its folder (the one-sync-at-a-time lock).
"""

from __future__ import annotations

from hms_desktop.context import Context
from hms_desktop.security.permissions import requires
from hms_desktop.storage.store import Store
from hms_desktop.sync.enrol import EnrolResult, enrol
from hms_desktop.sync.runner import SyncReport, run_once
from hms_desktop.sync.state import SyncStatus, sync_status


@requires("sync.manage")
def this_pc_sync_status(ctx: Context, store: Store) -> SyncStatus:
    return sync_status(store.engine)


@requires("sync.manage")
def enrol_this_pc(
    ctx: Context, store: Store, server_url: str, code: str, name: str, fingerprint: str = ""
) -> EnrolResult:
    """Enrol this PC (it keeps its data: see ``hms_desktop.sync.enrol``; ``fingerprint`` is the server
    certificate's, for an https address). Rebuild the context afterwards: the PC's workstation identity (and
    so its audit chain) is the one the server gave."""
    return enrol(store, server_url, code, name, fingerprint=fingerprint, clock=ctx.clock)


@requires("sync.manage")
def sync_now(ctx: Context, store: Store) -> SyncReport:
    """One sync (push, pull, code blocks); ``SyncBusy`` when the background sync is running at this moment."""
    return run_once(store, clock=ctx.clock)
