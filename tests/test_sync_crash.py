"""Failures in the middle of a sync: the server killed (SIGKILL) during a push, then restarted; a batch sent
twice. The rerun completes with nothing lost and nothing applied twice."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from db.models.audit import AuditLog
from db.models.patients import Patient
from db.models.sync import SyncOutbox
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.errors import SyncUnavailable
from hms_desktop.sync.policy import spec
from hms_desktop.sync.state import identity, sync_status
from hms_desktop.sync.transport import Transport
from tests.helpers import signed_in_admin
from tests.pg import Lab

PATIENTS = 600


def _ids(store: Store, model: type) -> set[uuid.UUID]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(model.id)).scalars())  # type: ignore[attr-defined]


def _central_ids(lab: Lab, table: str) -> list[uuid.UUID]:
    return [uuid.UUID(str(r[0])) for r in lab.central(f"SELECT id FROM {table}")]


def test_server_killed_mid_push_then_restarted_rerun_completes_without_loss_or_duplicates(lab: Lab) -> None:
    a = lab.founder
    ctx = signed_in_admin(a)
    for i in range(PATIENTS):
        register_patient(ctx, PatientInput(f"Crash Patient {i}", "M", date(1985, 1, 1)), allow_duplicates=True)
    killed = threading.Event()

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if lab.central("SELECT count(*) FROM patients")[0][0] > 0:  # audit rows go first (parents first)
                lab.server.kill()
                killed.set()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=killer)
    thread.start()
    with pytest.raises(SyncUnavailable):
        lab.sync(a, batch_size=50)
    thread.join()
    assert killed.is_set()
    status = sync_status(a.engine)
    assert status.last_error and "cannot be reached" in status.last_error
    assert status.pending_changes > 0
    partial = lab.central("SELECT count(*) FROM patients")[0][0]
    assert 0 < partial < PATIENTS, "the kill landed in the middle of the push"

    lab.server.start()
    lab.sync(a, batch_size=50)
    assert sync_status(a.engine).pending_changes == 0 and sync_status(a.engine).last_error is None
    for table, model in (("patients", Patient), ("audit_logs", AuditLog)):
        central = _central_ids(lab, table)
        assert len(central) == len(set(central)), f"{table} duplicated"
        assert set(central) == _ids(a, model), f"{table} differ between the PC and the server"
    assert lab.central("SELECT count(*), count(DISTINCT code) FROM patients") == [(PATIENTS, PATIENTS)]
    feed = lab.central("SELECT count(*), count(DISTINCT row_id) FROM sync_rows WHERE table_name = 'patients'")
    assert feed == [(PATIENTS, PATIENTS)]
    b = lab.new_pc("Doctor 1")  # a new PC pulls exactly the same
    assert _ids(b, Patient) == _ids(a, Patient)


def test_a_batch_sent_twice_is_applied_once(lab: Lab) -> None:
    a = lab.founder
    desk = signed_in_admin(a)
    lab.sync(a)  # the desk's sign-in claim reaches the server: it can check the desk's proofs
    register_patient(desk, PatientInput("Asha Twice", "F", date(1990, 1, 1)))
    with a.engine.connect() as conn:
        ident = identity(conn)
        row = conn.execute(select(*spec("patients").columns)).mappings().one()  # type: ignore[union-attr]
        assert ident is not None
        signed = conn.execute(
            select(SyncOutbox.author_id, SyncOutbox.proof).where(SyncOutbox.row_id == row["id"])
        ).one()  # the desk's proof of it, as the push sends it
    change = {"t": "patients", "id": str(row["id"]), "h": row["hlc"], "b": None,
              "r": codec_for(spec("patients")).encode(row),  # type: ignore[arg-type]
              "a": str(signed.author_id), "p": signed.proof}  # fmt: skip
    body = json.dumps(
        {"op_id": str(uuid.uuid4()), "workstation_id": str(ident.workstation_id), "changes": [change]}
    ).encode()
    with Transport(lab.server.url, a.keys) as transport:
        first = transport.push(body)
        head = lab.central("SELECT max(seq) FROM sync_rows")
        second = transport.push(body)
    assert first["duplicate"] is False and first["applied"] == 1
    assert second == {**first, "duplicate": True}
    assert lab.central("SELECT max(seq) FROM sync_rows") == head
    assert lab.central("SELECT count(*) FROM patients") == [(1,)]
    entry = f"SELECT seq FROM sync_rows WHERE row_id = '{row['id']}'"
    seq = lab.central(entry)
    report = lab.sync(a)  # the outbox still holds the row (and its audit row): the patient changes nothing
    assert report.pushed == 2
    assert lab.central(entry) == seq
    assert lab.central("SELECT count(*) FROM sync_conflicts") == [(0,)]
