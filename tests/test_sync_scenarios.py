"""Sync scenarios against a real PostgreSQL and a real ``hms sync-server`` subprocess on loopback.

Each test gets a fresh central database, a server, the founder PC (the test clinic, enrolled) and as many new
PCs as it enrols. "Offline" means the PCs work without syncing; then they sync.
"""

from __future__ import annotations

import time
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, text

from db.models.audit import AuditLog
from db.models.patients import Patient
from db.models.sync import SyncConflict
from hms_desktop.audit.verify import verify
from hms_desktop.clock import utc_now
from hms_desktop.context import Context
from hms_desktop.runtime import context_for
from hms_desktop.services.reception.patients import PatientInput, archive_patient, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync.state import sync_status
from tests.helpers import signed_in_admin
from tests.pg import Lab

PER_PC = 500


def ctx_of(store: Store) -> Context:
    return signed_in_admin(store)


def codes(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(Patient.code)).scalars())


def fk_problems(store: Store) -> list[object]:
    with store.engine.connect() as conn:
        return list(conn.exec_driver_sql("PRAGMA foreign_key_check").all())


def register(ctx: Context, label: str, count: int) -> None:
    for i in range(count):
        register_patient(ctx, PatientInput(f"Patient {label} {i}", "F", date(1990, 1, 1)), allow_duplicates=True)


def test_two_pcs_register_500_each_offline_then_both_hold_1000_distinct_codes(lab: Lab) -> None:
    from hms_desktop.sync.errors import SyncUnavailable

    a = lab.founder
    b = lab.new_pc("Doctor 1")
    desk_a, desk_b = ctx_of(a), ctx_of(b)  # both desks sign in while the network is up
    lab.sync(a)
    lab.sync(b)
    lab.server.kill()  # the clinic's network is down: both desks keep registering
    register(desk_a, "A", PER_PC)
    register(desk_b, "B", PER_PC)
    with pytest.raises(SyncUnavailable):
        lab.sync(a)
    offline = sync_status(a.engine)
    assert offline.pending_changes == 2 * PER_PC and offline.last_error  # each patient and its audit row
    lab.server.start()
    lab.sync(a)
    lab.sync(b)
    lab.sync(a)
    code_a, code_b = codes(a), codes(b)
    assert len(code_a) == len(code_b) == 2 * PER_PC
    assert len(set(code_a)) == 2 * PER_PC
    assert set(code_a) == set(code_b)
    assert lab.central("SELECT count(*), count(DISTINCT code) FROM patients") == [(2 * PER_PC, 2 * PER_PC)]
    assert all(c.startswith("PAT-") and "WS" not in c for c in code_a), "codes came from reserved blocks"
    assert fk_problems(a) == [] and fk_problems(b) == []
    for store in (a, b):
        status = sync_status(store.engine)
        assert status.pending_changes == 0 and status.last_error is None and status.last_success_at is not None


def _edit_city(store: Store, patient_id: uuid.UUID, city: str) -> str:
    with ctx_of(store).transaction() as tx:
        p = tx.session.get(Patient, patient_id)
        assert p is not None
        p.city = city
        tx.commit()
        assert p.hlc is not None
        return p.hlc


def _row(store: Store, patient_id: uuid.UUID) -> tuple[str, str]:
    with store.engine.connect() as conn:
        city, stamp = conn.execute(select(Patient.city, Patient.hlc).where(Patient.id == patient_id)).one()
    return city, stamp


@pytest.mark.parametrize("winner_pushes_first", [True, False])
def test_same_patient_edited_on_two_pcs_one_winner_everywhere_loser_kept(lab: Lab, winner_pushes_first: bool) -> None:
    a = lab.founder
    b = lab.new_pc("Doctor 1")
    patient = register_patient(ctx_of(a), PatientInput("Meena Iyer", "F", date(1980, 5, 1)))
    lab.sync(a)
    lab.sync(b)
    older = _edit_city(a, patient.id, "Mysuru")  # both offline, A first
    time.sleep(0.01)
    newer = _edit_city(b, patient.id, "Hubballi")
    assert newer > older
    order = [b, a] if winner_pushes_first else [a, b]
    for store in (*order, *order):
        lab.sync(store)
    assert _row(a, patient.id) == _row(b, patient.id) == ("Hubballi", newer)
    assert lab.central(f"SELECT city, hlc FROM patients WHERE id = '{patient.id}'") == [("Hubballi", newer)]
    central = lab.central(f"SELECT loser_hlc, winner_hlc FROM sync_conflicts WHERE row_id = '{patient.id}'")
    assert central == [(older, newer)]
    for store in (a, b):
        with store.engine.connect() as conn:
            kept = conn.execute(select(SyncConflict).where(SyncConflict.row_id == patient.id)).mappings().one()
        assert kept["loser_values"]["city"] == "Mysuru" and kept["winner_hlc"] == newer


def test_an_admin_keeps_the_winner_or_restores_the_loser_and_the_choice_syncs(lab: Lab) -> None:
    from hms_desktop.errors import Conflict as AlreadyResolved
    from hms_desktop.errors import NotFound, PermissionDenied
    from hms_desktop.sync.conflicts import list_conflicts, resolve_conflict
    from tests.conftest import actor_with_role

    a = lab.founder
    b = lab.new_pc("Doctor 1")
    kept_id = register_patient(ctx_of(a), PatientInput("Leela Das", "F", date(1985, 1, 1))).id
    restored_id = register_patient(ctx_of(a), PatientInput("Suresh Nair", "M", date(1970, 1, 1))).id
    lab.sync(a)
    lab.sync(b)
    for patient_id, (older, newer) in ((kept_id, ("Kochi", "Thrissur")), (restored_id, ("Kannur", "Kollam"))):
        _edit_city(a, patient_id, older)
        time.sleep(0.01)
        _edit_city(b, patient_id, newer)
    for store in (b, a, b):
        lab.sync(store)
    admin = signed_in_admin(a)
    open_ones = {c.row_id: c for c in list_conflicts(admin)}
    assert set(open_ones) == {kept_id, restored_id}
    desk = admin.as_actor(actor_with_role("Receptionist"))
    with pytest.raises(PermissionDenied):
        resolve_conflict(desk, open_ones[kept_id].id)
    assert resolve_conflict(admin, open_ones[kept_id].id).resolution == "kept"
    with pytest.raises(AlreadyResolved):
        resolve_conflict(admin, open_ones[kept_id].id, restore_loser=True)
    with pytest.raises(NotFound):
        resolve_conflict(admin, uuid.uuid4())
    assert resolve_conflict(admin, open_ones[restored_id].id, restore_loser=True).resolution == "restored"
    assert list_conflicts(admin) == []
    for store in (a, b, a):
        lab.sync(store)
    for store in (a, b):
        assert _row(store, kept_id)[0] == "Thrissur"
        assert _row(store, restored_id)[0] == "Kannur", "the restored losing version won everywhere"
    assert lab.central(f"SELECT city FROM patients WHERE id = '{restored_id}'") == [("Kannur",)]
    assert {r.row_id for r in list_conflicts(ctx_of(b), unresolved_only=False) if r.resolved_at} == {
        kept_id,
        restored_id,
    }, "the resolutions reached the other PC"


def test_a_pulled_version_that_beats_an_unpushed_local_edit_keeps_the_edit_as_a_conflict(lab: Lab) -> None:
    from hms_desktop.sync.pull import pull_all
    from hms_desktop.sync.state import identity
    from hms_desktop.sync.transport import Transport

    a = lab.founder
    b = lab.new_pc("Doctor 1")
    patient = register_patient(ctx_of(a), PatientInput("Ravi Kumar", "M", date(1975, 2, 2)))
    lab.sync(a)
    lab.sync(b)
    older = _edit_city(a, patient.id, "Mangaluru")  # A's edit, not pushed yet
    time.sleep(0.01)
    newer = _edit_city(b, patient.id, "Belagavi")
    lab.sync(b)
    with a.engine.connect() as conn:
        ident = identity(conn)
    assert ident is not None
    with Transport(ident.server_url, a.keys) as transport:  # A pulls before it pushes
        pull_all(a.engine, transport, ident.workstation_id, ident.checkpoint, ctx_of(a).clock.now())
    assert _row(a, patient.id) == ("Belagavi", newer)
    lab.sync(a)
    lab.sync(b)
    for store in (a, b):
        with store.engine.connect() as conn:
            kept = conn.execute(select(SyncConflict).where(SyncConflict.row_id == patient.id)).mappings().one()
        assert kept["loser_hlc"] == older and kept["loser_values"]["city"] == "Mangaluru"
    assert lab.central(f"SELECT count(*) FROM sync_conflicts WHERE row_id = '{patient.id}'") == [(1,)]
    assert sync_status(a.engine).pending_changes == 0


@pytest.mark.parametrize("delete_is_later", [True, False])
def test_a_row_deleted_on_one_pc_and_edited_on_another_follows_the_later_clock(lab: Lab, delete_is_later: bool) -> None:
    """A hard delete leaves a tombstone on the server: an older edit pushed after it does not bring the row
    back (it is kept as a conflict); a newer edit does."""
    from db.models.hospital import Department
    from hms_desktop.services.admin.departments import create_department

    a = lab.founder
    b = lab.new_pc("Doctor 1")
    admin_a = signed_in_admin(a)  # departments are settings: the server takes them from an admin only
    dept = create_department(admin_a, "ENT", "Ear, Nose and Throat")
    lab.sync(a)
    lab.sync(b)
    admin_b = signed_in_admin(b)

    def rename() -> str:
        with admin_b.transaction() as tx:
            row = tx.session.get(Department, dept.id)
            assert row is not None
            row.name = "Otorhinolaryngology"
            tx.commit()
            assert row.hlc is not None
            return row.hlc

    def remove() -> None:
        with admin_a.transaction() as tx:
            tx.session.delete(tx.session.get(Department, dept.id))
            tx.commit()

    if delete_is_later:  # both offline
        edited = rename()
        time.sleep(0.01)
        remove()
    else:
        remove()
        time.sleep(0.01)
        edited = rename()
    for store in (a, b, a, b):
        lab.sync(store)
    where = f"WHERE id = '{dept.id}'"
    names = [lab.central(f"SELECT name FROM departments {where}")]
    for store in (a, b):
        with store.engine.connect() as conn:
            names.append([tuple(r) for r in conn.execute(select(Department.name).where(Department.id == dept.id))])
    if delete_is_later:
        assert names == [[], [], []]
        kept = lab.central(f"SELECT loser_hlc FROM sync_conflicts WHERE row_id = '{dept.id}'")
        assert kept == [(edited,)], "the edit that lost to the delete is kept"
    else:
        assert names == [[("Otorhinolaryngology",)]] * 3


def test_stock_movements_from_two_pcs_sum_to_the_right_on_hand(lab: Lab) -> None:

    from db.models.inventory import StockMovement
    from db.models.pharmacy import Medicine, MedicineBatch

    a = lab.founder
    b = lab.new_pc("Pharmacy")
    ctx_a, ctx_b = ctx_of(a), ctx_of(b)
    now = utc_now()
    with ctx_a.transaction() as tx:
        med = Medicine(code="PCM500", name="Paracetamol 500", form="tablet", gst_rate_basis_points=1200, unit="strip")
        tx.session.add(med)
        tx.session.flush()
        batch = MedicineBatch(
            medicine_id=med.id, batch_number="B1", expiry_date=date(2028, 1, 1), received_at=now, quantity_on_hand=100
        )
        tx.session.add(batch)
        tx.session.flush()
        tx.session.add(
            StockMovement(item_kind="medicine", medicine_id=med.id, batch_id=batch.id, movement_type="opening",
                          quantity_delta=100, moved_at=now, workstation_id=ctx_a.workstation.id)
        )  # fmt: skip
        tx.commit()
    lab.sync(a)
    lab.sync(b)

    def dispense(ctx: Context, qty: int, times: int) -> None:
        for _ in range(times):
            with ctx.transaction() as tx:
                row = tx.session.get(MedicineBatch, batch.id)
                assert row is not None
                row.quantity_on_hand -= qty
                tx.session.add(
                    StockMovement(item_kind="medicine", medicine_id=med.id, batch_id=batch.id, movement_type="dispense",
                                  quantity_delta=-qty, moved_at=now, workstation_id=ctx.workstation.id)
                )  # fmt: skip
                tx.commit()

    dispense(ctx_a, 10, 3)  # both offline
    dispense(ctx_b, 5, 4)
    for store in (a, b, a):
        lab.sync(store)
    expected = 100 - 30 - 20
    for store in (a, b):
        with store.engine.connect() as conn:
            total = conn.execute(
                select(func.sum(StockMovement.quantity_delta)).where(StockMovement.batch_id == batch.id)
            ).scalar_one()
            cached = conn.execute(select(MedicineBatch.quantity_on_hand).where(MedicineBatch.id == batch.id)).scalar()
            moves = conn.execute(select(func.count()).where(StockMovement.batch_id == batch.id)).scalar_one()
        assert (total, cached, moves) == (expected, expected, 8)
    assert lab.central(f"SELECT quantity_on_hand FROM medicine_batches WHERE id = '{batch.id}'") == [(expected,)]
    assert lab.central("SELECT count(*) FROM sync_conflicts") == [(0,)], "a stock cache is no conflict"


def test_deletes_travel_as_tombstones_and_audit_chains_verify_on_every_pc(lab: Lab) -> None:
    a = lab.founder
    b = lab.new_pc("Doctor 1")
    patient = register_patient(ctx_of(b), PatientInput("Fatima Khan", "F", date(1992, 3, 4)))
    lab.sync(b)
    lab.sync(a)
    archive_patient(ctx_of(a), patient.id, "registered twice")
    lab.sync(a)
    lab.sync(b)
    with b.engine.connect() as conn:
        assert conn.execute(select(Patient.deleted_at).where(Patient.id == patient.id)).scalar() is not None
    chains = {r[0] for r in lab.central("SELECT DISTINCT chain FROM audit_logs")}
    for store in (a, b):
        ctx = ctx_of(store)
        with ctx.transaction(readonly=True) as tx:
            report = verify(tx.session, ctx.audit_key)
            here = set(tx.session.execute(select(AuditLog.chain).distinct()).scalars())
        assert report.ok, report.problems[:3]
        assert here == chains and len(chains) == 2
    local = {r[0] for r in lab.central("SELECT id FROM audit_logs")}
    with a.engine.connect() as conn:
        assert set(conn.execute(select(AuditLog.id)).scalars()) == {uuid.UUID(str(x)) for x in local}


def test_pulled_rows_are_neither_queued_nor_audited_again(lab: Lab) -> None:
    a = lab.founder
    b = lab.new_pc("Doctor 1")
    desk = ctx_of(a)  # the desk signs in (its sign-in's audit rows reach B first)
    lab.sync(a)
    lab.sync(b)
    b_chain = str(context_for(b).workstation.id)
    register(desk, "A", 5)
    lab.sync(a)
    with b.engine.connect() as conn:
        audits_before = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    lab.sync(b)
    with b.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Patient)).scalar_one() == 5
        audits_after = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
        pending = conn.execute(text("SELECT count(*) FROM sync_outbox")).scalar_one()
        mine = conn.execute(select(func.count()).select_from(AuditLog).where(AuditLog.chain == b_chain)).scalar_one()
    assert pending == 0
    assert audits_after - audits_before == 5, "only A's own audit rows arrived"
    assert mine == 1, "B's chain holds its enrolment only"


def test_two_server_processes_share_one_clinic_and_concurrent_pushes_lose_nothing(lab: Lab) -> None:
    """Stateless servers: A syncs through one process, B through another, C pulls through either while both
    push at once; the sequence is handed out at commit, so C's checkpoint never skips a row."""
    import threading

    from hms_desktop.sync.state import set_values
    from tests.pg import SyncServer

    second = SyncServer(lab.db_url, lab.tmp).start()
    try:
        a = lab.founder
        b = lab.new_pc("Doctor 1")
        c = lab.new_pc("Doctor 2")
        with b.engine.begin() as conn:
            set_values(conn, server_url=second.url)
        register(ctx_of(a), "A", 150)
        register(ctx_of(b), "B", 150)
        stop = threading.Event()
        failures: list[BaseException] = []

        def keep_pulling() -> None:
            while not stop.is_set():
                try:
                    lab.sync(c)
                except BaseException as exc:  # reported below
                    failures.append(exc)
                    return

        puller = threading.Thread(target=keep_pulling)
        pushers = [threading.Thread(target=lab.sync, args=(s,), kwargs={"batch_size": 20}) for s in (a, b)]
        puller.start()
        for t in pushers:
            t.start()
        for t in pushers:
            t.join()
        stop.set()
        puller.join()
        assert not failures
        for store in (c, a, b, a):
            lab.sync(store)
        assert len(codes(a)) == len(codes(b)) == len(codes(c)) == 300
        assert lab.central("SELECT count(*) FROM patients") == [(300,)]
    finally:
        second.stop()


def test_watch_keeps_a_pc_up_to_date_until_stopped(lab: Lab) -> None:
    import threading

    from hms_desktop.sync.runner import SyncReport, watch

    a = lab.founder
    b = lab.new_pc("Doctor 1")
    stop = threading.Event()
    reports: list[object] = []

    def seen(report: object) -> None:
        reports.append(report)
        if isinstance(report, SyncReport) and report.pulled:
            stop.set()

    thread = threading.Thread(target=watch, args=(b,), kwargs={"interval": 0.2, "stop": stop, "on_report": seen})
    thread.start()
    register(ctx_of(a), "W", 3)
    lab.sync(a)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(codes(b)) == 3
    assert all(isinstance(r, SyncReport) for r in reports)
