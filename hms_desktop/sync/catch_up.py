"""A PC restored from a backup catches up from the server before the restored store takes the live one's place.

A backup knows what the PC had pulled and pushed when it was made; the server holds everything the PC pushed
afterwards (patients, visits, its audit rows). Put in place as it is, the restored store would miss those rows
for good (the feed leaves a PC's own rows out of its pages), and its audit chain would restart after the
backup's last row, at numbers the server already holds, so that every later push is refused. So when
``hms restore`` replaces the store of an enrolled PC, the restored copy, still beside the live store:

1. must be a backup of this very workstation, made since it was enrolled (a backup of another workstation,
   or one from before the enrolment, is refused);
2. keeps the clock: its hybrid clock moves up to the live store's, then past every clock it pulls, so it never
   stamps a change behind one the server already has;
3. pulls everything since the backup's checkpoint, the rows this PC pushed included (``own``): its later
   changes come back, and its audit chain ends where the server's copy of it ends, row for row with the same
   HMAC links, so the next audit row continues it and verifies; a row it had queued and later changed again
   takes the later version without a conflict (``hms_desktop.sync.pull``);
4. moves each code counter past the codes the store now holds (``counters``), so no code is issued twice.

Only then is it swapped in. The server must answer: otherwise the restore is refused and nothing is replaced
(a PC that went on offline from its backup would write audit rows under numbers the server already holds).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.engine import create_engine
from hms_desktop.storage.store import StagedRestore
from hms_desktop.sync import counters, state
from hms_desktop.sync.errors import SyncError
from hms_desktop.sync.pull import PAGE_SIZE, apply_page
from hms_desktop.sync.transport import RETRY_PAUSES, Transport


@dataclass(frozen=True, kw_only=True)
class CaughtUp:
    workstation_id: uuid.UUID
    pulled: int  # rows applied, this PC's own included
    checkpoint: int  # the server's sequence the restored store has caught up to
    counters_moved: int


class _OwnFeed(Transport):
    """The server's feed with this PC's own rows in it (``GET /v1/pull?own=1``)."""

    def pull_own(self, since: int, limit: int) -> dict[str, Any]:
        page = self._send("GET", "/v1/pull", params={"since": since, "limit": limit, "own": 1})
        if page.get("own") is not True:
            raise SyncError("The sync server did not send this PC's own rows; update it to this version of HMS.")
        return page


def catch_up(
    staged: StagedRestore, now: datetime, *, page_size: int = PAGE_SIZE, pauses: tuple[float, ...] = RETRY_PAUSES
) -> CaughtUp | None:
    """Bring the restored store ``staged`` up to the server (see the module); None when it does not sync."""
    engine = create_engine(staged.path, staged.key)
    try:
        with engine.connect().execution_options(hms_readonly=True) as conn:
            ident = state.identity(conn)
        live, live_clock = _live(staged)
        if ident is None and live is not None:
            raise SyncError(
                f"This backup was made before this PC was enrolled with the sync server ({live.server_url}); "
                "restored, the PC could no longer sync. Nothing was restored (to look at it, restore it into "
                "another folder with --data-dir)."
            )
        if ident is None:
            return None
        if live is not None and live.workstation_id != ident.workstation_id:
            raise SyncError(
                f"This backup is of workstation {ident.short_code or ident.workstation_id}, not of this PC "
                f"({live.short_code or live.workstation_id}); restore it on its own PC. Nothing was restored."
            )
        with engine.begin() as conn:
            state.keep_clock_at_least(conn, *live_clock)
        since, pulled = ident.checkpoint, 0
        try:
            with _OwnFeed(ident.server_url, staged.keys, pauses=pauses) as feed:
                while True:
                    page = feed.pull_own(since, page_size)
                    pulled += apply_page(engine, page, ident.workstation_id, since, now)
                    since = int(page["next"])
                    if not page.get("more"):
                        break
        except SyncError as exc:
            raise SyncError(
                f"This PC syncs with {ident.server_url}, and a restored PC must first fetch from it what it synced "
                f"after the backup, which failed: {exc.message} Nothing was restored; try again once the server "
                "answers."
            ) from None
        with engine.begin() as conn:
            moved = counters.advance(conn)
        return CaughtUp(workstation_id=ident.workstation_id, pulled=pulled, checkpoint=since, counters_moved=moved)
    finally:
        engine.dispose()


def _live(staged: StagedRestore) -> tuple[state.Identity | None, tuple[int, int]]:
    """Who the store being replaced is to the server, and its clock."""
    if staged.live is None:
        return None, (0, 0)
    engine = create_engine(staged.live, staged.key)
    try:
        with engine.connect().execution_options(hms_readonly=True) as conn:
            return state.identity(conn), state.clock(conn)
    finally:
        engine.dispose()
