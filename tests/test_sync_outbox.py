"""The client side on a real encrypted store, without a server: the outbox hook, applying a pulled page,
block-based codes and the per-workstation GST invoice series."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.patients import Patient
from db.models.sync import SyncOutbox, SyncState, Workstation
from hms_desktop.clock import utc_now
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.series import CREDIT_NOTES, INVOICES, next_gst_number
from hms_desktop.services.admin.clinic_time import clinic_today
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync import hlc
from hms_desktop.sync.pull import apply_page
from hms_desktop.sync.state import sync_status


def enrol_here(store: Store) -> uuid.UUID:
    """Mark the store as enrolled (as ``hms sync enroll`` does), without a server."""
    with store.engine.begin() as conn:
        ws_id, short = conn.execute(select(Workstation.id, Workstation.short_code).where(Workstation.is_local)).one()
        conn.execute(
            insert(SyncState).values(server_url="http://127.0.0.1:9", workstation_id=ws_id, short_code=short,
                                     enrolled_at=utc_now())
        )  # fmt: skip
    return ws_id


def outbox(store: Store) -> list[tuple[str, uuid.UUID, str | None, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(SyncOutbox.table_name, SyncOutbox.row_id, SyncOutbox.hlc, SyncOutbox.base_hlc))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_store_that_does_not_sync_writes_no_outbox_and_no_clock(system_ctx: Context, store: Store) -> None:
    p = register_patient(system_ctx, PatientInput("Plain Patient", "F", date(1990, 1, 1)))
    assert outbox(store) == []
    with store.engine.connect() as conn:
        assert conn.execute(select(Patient.hlc, Patient.code).where(Patient.id == p.id)).one() == (None, p.code)
    assert p.code.endswith("-00001")
    assert sync_status(store.engine).enrolled is False


def test_each_change_is_queued_in_its_own_transaction_with_its_audit_row(system_ctx: Context, store: Store) -> None:
    ws_id = enrol_here(store)
    p = register_patient(system_ctx, PatientInput("Queued Patient", "F", date(1990, 1, 1)))
    entries = outbox(store)
    assert {(t, r) for t, r, _, _ in entries} >= {("patients", p.id)}
    assert sorted(t for t, *_ in entries) == ["audit_logs", "patients"]
    stamps = {h for *_, h, _ in entries}
    assert len(stamps) == 1
    stamp = hlc.parse(stamps.pop())
    assert stamp.workstation_id == ws_id
    with store.engine.connect() as conn:
        assert conn.execute(select(Patient.hlc).where(Patient.id == p.id)).scalar() == str(stamp)
        audit_stamp = conn.execute(select(AuditLog.hlc).where(AuditLog.entity_id == str(p.id))).scalar()
    assert audit_stamp == str(stamp)
    with system_ctx.transaction() as tx:
        row = tx.session.get(Patient, p.id)
        assert row is not None
        row.city = "Udupi"
        tx.commit()
    edit = [e for e in outbox(store) if e[0] == "patients" and e[3] is not None]
    assert len(edit) == 1 and edit[0][3] == str(stamp) and (edit[0][2] or "") > str(stamp)
    assert sync_status(store.engine).pending_changes == 3  # patient, two audit rows


def test_a_rolled_back_action_queues_nothing(system_ctx: Context, store: Store) -> None:
    enrol_here(store)
    with pytest.raises(ValidationError):
        register_patient(system_ctx, PatientInput("", "F"))
    with system_ctx.transaction() as tx:  # flushed, never committed
        tx.session.add(Patient(code="PAT-X", full_name="Never", name_search="never"))
        tx.flush()
    assert outbox(store) == []
    with store.engine.connect() as conn:
        assert conn.execute(select(SyncState.hlc_ms)).scalar() == 0


def test_a_pulled_page_is_applied_without_outbox_or_audit_and_moves_checkpoint_and_clock(
    system_ctx: Context, store: Store
) -> None:
    ws_id = enrol_here(store)
    other = uuid.uuid4()
    stamp = str(hlc.Stamp(ms=4_000_000_000_000, counter=3, node=other.hex))
    pid = uuid.uuid4()
    row = {c.name: None for c in Patient.__table__.columns}
    row.update(id=str(pid), code="PAT-2026-09001", full_name="Pulled Patient", name_search="pulled patient",
               gender="M", blood_group="unknown", dob_is_approximate=False, address_line1="", address_line2="",
               city="", state="", pincode="", emergency_contact_name="", emergency_contact_phone="",
               emergency_contact_relation="", id_type="none", notes="", hlc=stamp,
               created_at="2026-01-01T00:00:00+00:00", updated_at="2026-01-01T00:00:00+00:00")  # fmt: skip
    with store.engine.connect() as conn:
        audits = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    page = {"changes": [{"t": "patients", "id": str(pid), "h": stamp, "s": 7, "r": row}], "next": 7, "more": False}
    pulled_at = datetime.fromtimestamp(4_000_000_000 - 60, UTC)  # the pulled clock is within the allowed drift
    assert apply_page(store.engine, page, ws_id, 0, pulled_at) == 1
    assert apply_page(store.engine, {**page, "next": 8}, ws_id, 7, pulled_at) == 0  # the same again
    with store.engine.connect() as conn:
        assert conn.execute(select(Patient.full_name).where(Patient.id == pid)).scalar() == "Pulled Patient"
        assert conn.execute(select(func.count()).select_from(AuditLog)).scalar_one() == audits
        state = conn.execute(select(SyncState.checkpoint, SyncState.hlc_ms)).one()
    assert outbox(store) == []
    assert state == (8, 4_000_000_000_000)
    p = register_patient(system_ctx, PatientInput("After Pull", "F", date(1990, 1, 1)))
    with store.engine.connect() as conn:
        mine = conn.execute(select(Patient.hlc).where(Patient.id == p.id)).scalar()
    assert (mine or "") > stamp, "a local edit after a pull sorts after what was pulled"


def _block(store: Store, series: str, period: str, start: int, end: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            insert(IdSequence).values(series=series, period=period, scope=f"blk:{start}", prefix=series, padding=5,
                                      next_value=start, block_end=end, reset="yearly")
        )  # fmt: skip


def test_codes_come_from_reserved_blocks_then_from_the_workstation_series(system_ctx: Context, store: Store) -> None:
    enrol_here(store)
    year = str(clinic_today(system_ctx).year)
    _block(store, "PAT", year, 1001, 1002)
    codes = [
        register_patient(system_ctx, PatientInput(f"Block Patient {i}", "F", date(1990, 1, 1))).code for i in range(3)
    ]
    assert codes == [f"PAT-{year}-01001", f"PAT-{year}-01002", f"PAT-{year}-WS01-00001"]


def test_invoice_numbers_are_a_gapless_16_character_series_per_workstation_and_financial_year(
    system_ctx: Context,
) -> None:
    def take(on: date, *, credit: bool = False, commit: bool = True) -> str:
        with system_ctx.transaction() as tx:
            number = next_gst_number(tx, CREDIT_NOTES if credit else INVOICES, on, {"fiscal_year_start_month": 4})
            if commit:
                tx.commit()
            return number

    first = take(date(2026, 4, 1))
    take(date(2026, 5, 1), commit=False)  # an invoice that was abandoned: its number comes back
    second = take(date(2026, 6, 1))
    last_of_year = take(date(2027, 3, 31))
    next_year = take(date(2027, 4, 1))
    credit = take(date(2026, 7, 1), credit=True)
    assert [first, second, last_of_year] == ["WS01/2627/000001", "WS01/2627/000002", "WS01/2627/000003"]
    assert next_year == "WS01/2728/000001"
    assert credit == "WS01C/2627/00001"
    assert all(len(n) <= 16 for n in (first, second, next_year, credit))
