"""The desktop's side of sync: the background thread keeps an enrolled store in step with the server, and the
status bar shows success, what is waiting, and the last error (real PostgreSQL and a real server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hms_desktop.clock import utc_now
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync.background import start_background_sync
from hms_desktop.sync.errors import SyncUnavailable
from hms_desktop.sync.state import SyncStatus, sync_status
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.ui_support import signed_in_window

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def register(store: Store, name: str) -> None:
    ctx = signed_in_admin(store)
    register_patient(ctx, PatientInput(name, "F", date(1990, 1, 1)), allow_duplicates=True)


def status(**kw: Any) -> SyncStatus:
    values: dict[str, Any] = dict(
        enrolled=True, server_url="http://sync.local:8765", workstation_name="Reception 1", short_code="WS01",
        last_success_at=None, last_attempt_at=None, last_error=None, pending_changes=0, checkpoint=0,
        last_pushed=0, last_pulled=0,
    )  # fmt: skip
    values.update(kw)
    return SyncStatus(**values)


def test_the_status_line() -> None:
    assert status(enrolled=False).summary(NOW) == "Sync: not set up"
    assert status().summary(NOW) == "Sync: not yet run"
    assert status(last_success_at=NOW - timedelta(seconds=20)).summary(NOW) == "Sync: just now"
    assert status(last_success_at=NOW - timedelta(minutes=7), pending_changes=3).summary(NOW) == (
        "Sync: 7 min ago, 3 waiting"
    )
    assert status(last_success_at=(NOW - timedelta(hours=5)).replace(tzinfo=None)).summary(NOW) == "Sync: 5 h ago"
    assert status(last_success_at=NOW - timedelta(days=3)).summary(NOW) == "Sync: 3 days ago"
    failed = status(last_error="The sync server could not be reached.", pending_changes=2)
    assert failed.summary(NOW) == "Sync failed, 2 waiting: The sync server could not be reached."


def test_a_store_that_does_not_sync_starts_no_thread(store: Store) -> None:
    assert start_background_sync(store) is None


def test_the_background_thread_pushes_new_work_and_outlives_an_outage(lab: Lab) -> None:
    pc = lab.founder
    stop = start_background_sync(pc, interval=0.2)
    assert stop is not None
    try:
        register(pc, "Kavya Raman")
        deadline = utc_now() + timedelta(seconds=30)
        while lab.central("SELECT count(*) FROM patients WHERE full_name = 'Kavya Raman'") != [(1,)]:
            assert utc_now() < deadline, sync_status(pc.engine)
            stop.wait(0.1)
        lab.server.kill()
        register(pc, "Arjun Menon")
        while sync_status(pc.engine).last_error is None:
            assert utc_now() < deadline + timedelta(seconds=30), "the outage was never reported"
            stop.wait(0.1)
        assert sync_status(pc.engine).pending_changes > 0
        lab.server.start()
        while lab.central("SELECT count(*) FROM patients WHERE full_name = 'Arjun Menon'") != [(1,)]:
            assert utc_now() < deadline + timedelta(seconds=90), sync_status(pc.engine)
            stop.wait(0.2)
    finally:
        stop.set()


def test_the_status_bar_shows_the_sync_state(qtbot: Any, lab: Lab, tmp_path: Path) -> None:
    pc = lab.founder
    window = signed_in_window(qtbot, pc, tmp_path)
    label = window.sync_label
    signed_in_admin(pc)  # the desk signs in before the network goes
    lab.sync(pc)  # the sign-ins' audit rows
    window.sync_indicator.refresh()
    qtbot.waitUntil(lambda: label.text() == "Sync: just now", timeout=10000)
    assert label.toolTip() == lab.server.url and label.property("state") == "ok"
    lab.server.kill()
    register(pc, "Meera Pillai")
    with pytest.raises(SyncUnavailable):
        lab.sync(pc)
    window.sync_indicator.refresh()
    qtbot.waitUntil(lambda: label.text().startswith("Sync failed, 2 waiting: "), timeout=10000)  # patient + audit
    assert label.property("state") == "error" and label.toolTip() == sync_status(pc.engine).last_error


def test_the_status_bar_of_a_store_that_does_not_sync(qtbot: Any, store: Store, tmp_path: Path) -> None:
    window = signed_in_window(qtbot, store, tmp_path)
    qtbot.waitUntil(lambda: window.sync_indicator.busy is False, timeout=5000)
    assert window.sync_label.text() == "Sync: not set up" and window.sync_label.property("state") == "off"
