"""Restoring a backup on an enrolled PC (issue 11, finding 7), against a real server over a real PostgreSQL.

The attack as the review ran it: enrol, sync, back up, make more changes (patients, audit rows), sync,
restore the backup. Before the fix every later push was refused ("a row of audit_logs breaks
uq_audit_logs_chain_seq": the chain restarted at the backup's numbers) and the changes pushed after the
backup never came back (the feed leaves a PC's own rows out). Now ``hms restore`` catches the copy up from
the server before it replaces the store: the later changes are back, the audit chain goes on from the
server's copy and verifies, the clock never goes back, codes are not issued twice, and a new change pushes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models.patients import Patient
from hms_desktop.cli.main import main
from hms_desktop.context import Actor, Context
from hms_desktop.runtime import context_for
from hms_desktop.services.reception.patients import PatientInput, register_patient, update_patient
from hms_desktop.storage import store as st
from hms_desktop.sync import hlc
from hms_desktop.sync.state import identity
from tests.helpers import folder_digest, signed_in_admin
from tests.pg import Lab, SyncServer


def _ws(store: st.Store) -> uuid.UUID:
    with store.engine.connect() as conn:
        ident = identity(conn)
    assert ident is not None
    return ident.workstation_id


def _register(ctx: Context, name: str) -> uuid.UUID:
    return register_patient(ctx, PatientInput(name, "F", age_years=40, phone="9876501234"), allow_duplicates=True).id


def _local(store: st.Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def _cli(paths: st.StorePaths, *args: str) -> int:
    return main(["--data-dir", str(paths.data_dir), *args])


def _reopen(lab: Lab, paths: st.StorePaths) -> st.Store:
    store = st.open_store(paths)
    lab.stores.append(store)
    return store


def test_a_restored_pc_gets_its_later_changes_back_and_its_chain_goes_on(lab: Lab, tmp_path: Path) -> None:
    pc = lab.founder
    paths, ws = pc.paths, _ws(pc)
    desk = signed_in_admin(pc)
    kept = _register(desk, "Kept Before Backup")
    lab.sync(pc)
    queued = _register(desk, "Queued At Backup")  # in the backup's outbox, pushed only after the backup
    backup = tmp_path / "reception.hmsbak"
    st.backup(pc, backup)
    update_patient(desk, queued, PatientInput("Queued Then Renamed", "F", age_years=40, phone="9876501234"))
    later = [_register(desk, f"Registered After Backup {n}") for n in range(3)]
    lab.sync(pc)
    chain = str(ws)
    server_head, server_hmac = lab.central(
        f"SELECT seq, hmac FROM audit_logs WHERE chain = '{chain}' ORDER BY seq DESC LIMIT 1"
    )[0]
    top_pushed = max(str(r[0]) for r in lab.central("SELECT hlc FROM patients WHERE hlc IS NOT NULL"))
    codes_after_backup = {str(r[0]) for r in lab.central("SELECT code FROM patients")}
    conflicts_before = lab.central("SELECT count(*) FROM sync_conflicts")[0][0]
    pc.close()

    assert _cli(paths, "restore", str(backup), "--yes") == 0

    restored = _reopen(lab, paths)
    names = {str(r[0]) for r in _local(restored, "SELECT full_name FROM patients")}
    assert {"Kept Before Backup", "Queued Then Renamed"} <= names  # the later version of the queued row
    assert {f"Registered After Backup {n}" for n in range(3)} <= names
    assert not _local(restored, "SELECT 1 FROM sync_conflicts")  # its own later edit is no conflict
    assert not _local(restored, f"SELECT 1 FROM sync_outbox WHERE row_id = '{queued.hex}'")
    # the chain is the server's copy, row for row, then the restore's own row links to the server's last one
    rows = _local(restored, f"SELECT seq, prev_hmac, action FROM audit_logs WHERE chain = '{chain}' ORDER BY seq")
    assert [r[0] for r in rows] == list(range(1, int(server_head) + 2))  # type: ignore[call-overload]
    assert rows[-1][1:] == (server_hmac, "restore")
    # the clock never goes back: past everything the PC pushed after the backup
    ms, counter = _local(restored, "SELECT hlc_ms, hlc_counter FROM sync_state")[0]
    top = hlc.parse(top_pushed)
    assert (ms, counter) >= (top.ms, top.counter)

    desk = signed_in_admin(restored)
    fresh = _register(desk, "Registered After Restore")
    report = lab.sync(restored)
    assert report.conflicts == 0
    new_code = lab.central(f"SELECT code FROM patients WHERE id = '{fresh}'")
    assert new_code and str(new_code[0][0]) not in codes_after_backup  # no code issued twice
    assert lab.central("SELECT count(*) FROM sync_conflicts")[0][0] == conflicts_before
    local_head = _local(restored, f"SELECT max(seq), count(*) FROM audit_logs WHERE chain = '{chain}'")[0]
    central_head = lab.central(f"SELECT max(seq), count(*) FROM audit_logs WHERE chain = '{chain}'")[0]
    assert local_head == central_head  # every row of the chain made it, none refused
    assert set(later) <= {uuid.UUID(str(r[0])) for r in lab.central("SELECT id FROM patients")}
    restored.close()
    assert _cli(paths, "check") == 0
    assert _cli(paths, "audit", "verify") == 0
    again = _reopen(lab, paths)
    with again.engine.connect() as conn:
        assert conn.execute(select(Patient.id).where(Patient.id == kept)).first() is not None


def test_a_restore_that_cannot_reach_the_server_changes_nothing(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pc = lab.founder
    paths = pc.paths
    backup = tmp_path / "reception.hmsbak"
    st.backup(pc, backup)
    _register(signed_in_admin(pc), "Pushed After Backup")
    lab.sync(pc)
    pc.close()
    lab.server.stop()
    before = folder_digest(paths.data_dir)
    backups = sorted(paths.backups.glob("*")) if paths.backups.exists() else []
    try:
        assert _cli(paths, "restore", str(backup), "--yes") == 1
        err = capsys.readouterr().err
        assert "must first fetch from it what it synced after the backup" in err
        assert "Nothing was restored" in err
        assert folder_digest(paths.data_dir) == before
        assert (sorted(paths.backups.glob("*")) if paths.backups.exists() else []) == backups
    finally:
        lab.server = SyncServer(lab.db_url, tmp_path, port=lab.server.port).start()
    restored = _reopen(lab, paths)  # the live store as it was: its later patient still there
    assert _local(restored, "SELECT 1 FROM patients WHERE full_name = 'Pushed After Backup'")


def test_a_backup_of_another_workstation_is_refused(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = lab.new_pc("Doctor 1")
    backup = tmp_path / "doctor.hmsbak"
    st.backup(other, backup)
    pc = lab.founder
    paths = pc.paths
    pc.close()
    before = folder_digest(paths.data_dir)
    assert _cli(paths, "restore", str(backup), "--yes") == 1
    assert "This backup is of workstation WS02, not of this PC (WS01)" in capsys.readouterr().err
    assert folder_digest(paths.data_dir) == before


def test_a_backup_from_before_the_enrolment_is_refused(
    clinic_paths: st.StorePaths, recovery_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hms_desktop.sync.enrol import enrol

    made = Lab(tmp_path, clinic_paths, recovery_key, enrol_founder=False)
    try:
        backup = tmp_path / "before-enrolment.hmsbak"
        st.backup(made.founder, backup)
        enrol(made.founder, made.server.url, made.codes.pop(), "Reception 1")
        made.sync(made.founder)
        made.founder.close()
        before = folder_digest(clinic_paths.data_dir)
        assert _cli(clinic_paths, "restore", str(backup), "--yes") == 1
        assert "made before this PC was enrolled" in capsys.readouterr().err
        assert folder_digest(clinic_paths.data_dir) == before
    finally:
        made.close()


def test_counters_move_past_the_codes_a_restored_store_holds(store: st.Store) -> None:
    """Each shape of counter: a block (its own numbers only), a PC's fallback, a GST series, one used up."""
    from sqlalchemy import insert

    from db.ids import uuid7
    from hms_desktop.sync import counters

    def seq(scope: str, next_value: int, block_end: int | None = None, series: str = "PAT", period: str = "2026",
            prefix: str = "PAT") -> dict[str, object]:  # fmt: skip
        return {"id": uuid7(), "series": series, "period": period, "scope": scope, "prefix": prefix, "padding": 5,
                "next_value": next_value, "block_end": block_end, "reset": "yearly"}  # fmt: skip

    rows = [seq("blk:1001", 1003, 2000), seq("blk:3001", 3001, 4000), seq("ws:WS01", 2), seq("blk:1", 1001, 1000)]
    rows.append(seq("WS01", 4, series="INV", period="2026-27", prefix="WS01"))
    codes = ["PAT-2026-01007", "PAT-2026-00999", "PAT-2026-WS01-00005", "PAT-2026-01x99", "PAT-2025-01500"]
    ctx = context_for(store, Actor.system("test"))
    with ctx.transaction() as tx:
        for n, code in enumerate(codes):
            tx.session.add(Patient(code=code, full_name=f"Patient {n}", name_search=f"patient {n}", phone="9845012345"))
        tx.commit()
    with store.engine.begin() as conn:
        conn.execute(insert(counters.SEQ), rows)
        assert counters.advance(conn) == 2
        query = "SELECT scope, next_value FROM id_sequences WHERE series IN ('PAT', 'INV')"
        found = {str(r[0]): int(r[1]) for r in conn.exec_driver_sql(query)}
    # the first block continues after 1007 (999 and 2025's 1500 are not its numbers); the PC's fallback after 5;
    # the other block, the GST series (no invoice came back) and the used-up block stay as they were
    assert found == {"blk:1001": 1008, "blk:3001": 3001, "ws:WS01": 6, "blk:1": 1001, "WS01": 4}
    assert counters._shape("INV", "2026-27", "WS01", "WS01", None) == counters._Shape("WS01/2627/", 1, None)
