"""Running sync: ``run_once`` (push, pull, top up code blocks) and ``watch`` (every few seconds).

One run at a time per store (a lock file beside it), so the desktop's timer and ``hms sync run`` never rotate
the same refresh token at once. Every outcome is written to ``sync_state`` for the status bar: the time of
the last success, or the last error in one sentence. A failed run changes nothing it had not finished:
pushed batches stay pushed, pulled pages stay pulled, and the next run carries on from there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from db.errors import StoreInUse
from hms_desktop.clock import Clock
from hms_desktop.storage.lock import StoreLock
from hms_desktop.storage.store import Store
from hms_desktop.sync import codes, state
from hms_desktop.sync.errors import NotEnrolled, SyncBusy, SyncError
from hms_desktop.sync.pull import pull_all
from hms_desktop.sync.push import PushResult, push_all
from hms_desktop.sync.transport import RETRY_PAUSES, Transport

WATCH_INTERVAL = 5.0
MAX_BACKOFF = 300.0


@dataclass(frozen=True, kw_only=True)
class SyncReport:
    pushed: int
    pulled: int
    conflicts: int
    blocks_reserved: int
    seconds: float


def _lock(store: Store) -> StoreLock:
    try:
        return StoreLock(Path(store.paths.data_dir) / "sync.lock", exclusive=True).acquire()
    except StoreInUse:
        raise SyncBusy("Another sync of this store is running; this one was skipped.") from None


def run_once(
    store: Store,
    *,
    clock: Clock | None = None,
    batch_size: int = 2000,
    page_size: int = 5000,
    on_batch: Callable[[PushResult], None] | None = None,
    pauses: tuple[float, ...] = RETRY_PAUSES,
) -> SyncReport:
    """One full sync: push the outbox, pull since the checkpoint, reserve code blocks. Raises ``SyncError``."""
    clock = clock or Clock()
    started = time.perf_counter()
    lock = _lock(store)
    try:
        with store.engine.connect().execution_options(hms_readonly=True) as conn:
            ident = state.identity(conn)
        if ident is None:
            raise NotEnrolled("This PC is not enrolled with a sync server (hms sync enroll).")
        with store.engine.begin() as conn:
            state.set_values(conn, last_attempt_at=clock.now())
        try:
            with Transport(ident.server_url, store.keys, pauses=pauses) as transport:
                pushed = push_all(
                    store.engine, transport, ident.workstation_id, batch_size=batch_size, on_batch=on_batch
                )
                if pushed.deferred:  # the answer may have taught the claim key: the claims go now, then the rest
                    again = push_all(
                        store.engine, transport, ident.workstation_id, batch_size=batch_size, on_batch=on_batch
                    )
                    pushed.changes += again.changes
                    pushed.conflicts += again.conflicts
                    pushed.deferred, pushed.refused = again.deferred, pushed.refused + again.refused
                with store.engine.connect().execution_options(hms_readonly=True) as conn:
                    since = state.identity(conn).checkpoint  # type: ignore[union-attr]
                pulled = pull_all(
                    store.engine, transport, ident.workstation_id, since, clock.now(), page_size=page_size
                )
                reserved = codes.top_up(store.engine, transport, _today(store, clock), clock.now())
        except SyncError as exc:
            _finish(store, clock, error=exc.message)
            raise
        _finish(store, clock, error=None, pushed=pushed.changes, pulled=pulled)
        return SyncReport(
            pushed=pushed.changes,
            pulled=pulled,
            conflicts=pushed.conflicts,
            blocks_reserved=reserved,
            seconds=time.perf_counter() - started,
        )
    finally:
        lock.release()


def _today(store: Store, clock: Clock):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    from hms_desktop.clinic_time import local_today
    from hms_desktop.settings import clinic_settings

    with Session(store.engine.execution_options(hms_readonly=True)) as session:
        try:
            return local_today(clinic_settings(session), clock)
        except Exception:  # no clinic pulled yet: any date will do, top_up does nothing
            return clock.now().date()


def _finish(store: Store, clock: Clock, *, error: str | None, pushed: int = 0, pulled: int = 0) -> None:
    values: dict[str, object] = {"last_error": error[: state.ERROR_LENGTH] if error else None}
    if error is None:
        values.update(last_success_at=clock.now(), last_pushed=pushed, last_pulled=pulled)
    with store.engine.begin() as conn:
        state.set_values(conn, **values)


def watch(
    store: Store,
    *,
    interval: float = WATCH_INTERVAL,
    stop: threading.Event | None = None,
    on_report: Callable[[SyncReport | SyncError], None] | None = None,
    clock: Clock | None = None,
) -> None:
    """Sync every ``interval`` seconds until ``stop`` is set; after a failure wait longer (up to 5 minutes)."""
    stop = stop or threading.Event()
    wait = interval
    while not stop.is_set():
        try:
            report: SyncReport | SyncError = run_once(store, clock=clock)
            wait = interval
        except NotEnrolled:
            raise
        except SyncError as exc:
            report = exc
            wait = min(max(wait * 2, interval), MAX_BACKOFF)
        if on_report is not None:
            on_report(report)
        stop.wait(wait)
