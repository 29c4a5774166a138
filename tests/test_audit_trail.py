"""The audit trail: automatic rows with before/after values, no secrets, search, and tamper detection."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from db.engine import connect
from db.models.audit import AuditLog
from db.models.patients import Patient
from hms_desktop.cli.main import main as hms_main
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.services.admin import auth
from hms_desktop.services.admin.audit_trail import AuditQuery, search_audit, verify_audit
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def add_patient(ctx: Context, name: str = "Ravi Kumar", notes: str = "") -> Patient:
    with ctx.transaction() as tx:
        p = Patient(
            code=f"PAT-T-{name[-8:]}", full_name=name, name_search=name.lower(), phone="9876512345", notes=notes
        )
        tx.session.add(p)
        tx.commit()
        return p


def rows(ctx: Context, **where: object) -> list[AuditLog]:
    with ctx.transaction(readonly=True) as tx:
        q = select(AuditLog).order_by(AuditLog.seq)
        for k, v in where.items():
            q = q.where(getattr(AuditLog, k) == v)
        return list(tx.session.scalars(q))


def test_create_update_delete_are_recorded_with_who_where_and_values(system_ctx: Context) -> None:
    session = auth.login(system_ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    ctx = system_ctx.as_actor(session.actor)
    p = add_patient(ctx)
    with ctx.transaction() as tx:
        row = tx.session.get(Patient, p.id)
        assert row is not None
        row.phone = "9123456780"
        tx.commit()
    with ctx.transaction() as tx:
        row = tx.session.get(Patient, p.id)
        assert row is not None
        row.deleted_at = ctx.clock.now()
        tx.commit()
    trail = rows(ctx, entity_type="patients", entity_id=str(p.id))
    assert [r.action for r in trail] == ["create", "update", "delete"]
    created, updated, deleted = trail
    assert created.new_values and created.new_values["full_name"] == "Ravi Kumar"
    assert updated.old_values == {"phone": "9876512345"} and updated.new_values == {"phone": "9123456780"}
    assert deleted.new_values and deleted.new_values["deleted_at"]
    for r in trail:
        assert r.user_email == ADMIN_EMAIL and r.role == "Super Admin" and r.patient_id == p.id
        assert r.workstation_name == "Front desk" and r.occurred_at.tzinfo is not None and r.outcome == "success"
    with ctx.transaction(readonly=True) as tx:
        patient = tx.session.get(Patient, p.id)
        assert patient is not None and patient.created_by_id == session.actor.user_id


def test_secrets_never_enter_the_audit_values(system_ctx: Context) -> None:
    session = auth.login(system_ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    add_patient(system_ctx, "Aadhaar Holder", notes="Aadhaar 2345 6789 0123 seen at the desk")
    auth.change_password(system_ctx.as_actor(session.actor), ADMIN_PASSWORD, "Saffron-Teapot-2027")
    everything = json.dumps([[r.old_values, r.new_values, r.detail] for r in rows(system_ctx)])
    with system_ctx.transaction(readonly=True) as tx:
        from db.models.identity import RefreshToken, User

        hashes = list(tx.session.scalars(select(User.password_hash)))
        hashes += list(tx.session.scalars(select(RefreshToken.token_hash)))
    for secret in [*hashes, session.refresh_token, session.access_token, ADMIN_PASSWORD, "Saffron-Teapot-2027",
                   "2345 6789 0123"]:  # fmt: skip
        assert secret not in everything
    assert "XXXX XXXX 0123" in everything and "[redacted]" in everything


def test_search_by_user_action_entity_and_dates_paged(system_ctx: Context) -> None:
    clock = FixedClock(datetime(2026, 11, 20, 10, tzinfo=UTC))
    ctx = replace(system_ctx, clock=clock)
    for i in range(7):
        add_patient(ctx, f"Patient {i:02d}")
        clock.advance(days=1)
    with pytest.raises(Exception):  # noqa: B017 - a failed login, on another day
        auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    page = search_audit(ctx, AuditQuery(entity_type="patients", action="create"), page=1, page_size=3)
    assert page.total == 7 and page.pages == 3 and len(page.items) == 3
    assert page.items[0].occurred_at > page.items[-1].occurred_at  # newest first
    last = search_audit(ctx, AuditQuery(entity_type="patients", action="create"), page=3, page_size=3)
    assert len(last.items) == 1
    window = AuditQuery(entity_type="patients", date_from=date(2026, 11, 21), date_to=date(2026, 11, 22))
    ranged = search_audit(ctx, window)
    assert ranged.total == 2
    failed = search_audit(ctx, AuditQuery(action="login_failed", user_email=ADMIN_EMAIL.upper()))
    assert failed.total == 1 and failed.items[0].outcome == "failure"
    by_user = search_audit(ctx, AuditQuery(user_email="test"))
    assert by_user.total >= 7
    with pytest.raises(ValidationError) as err:
        search_audit(ctx, AuditQuery(date_from=date(2026, 11, 22), date_to=date(2026, 11, 21)))
    assert err.value.field == "date_to"


def test_verify_names_an_edited_a_deleted_and_an_inserted_row(
    store: Store, system_ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(5):
        add_patient(system_ctx, f"Tamper {i}")
    assert verify_audit(system_ctx).ok
    trail = rows(system_ctx)
    edited, deleted, last = trail[10], trail[20], trail[-1]
    conn = connect(store.paths.store, store.key)
    try:  # someone with the store key drops the guards and changes history
        conn.execute("DROP TRIGGER trg_audit_logs_no_update")
        conn.execute("DROP TRIGGER trg_audit_logs_no_delete")
        conn.execute("UPDATE audit_logs SET detail = 'nothing happened' WHERE seq = ?", (edited.seq,))
        conn.execute("DELETE FROM audit_logs WHERE seq = ?", (deleted.seq,))
        conn.execute(
            "INSERT INTO audit_logs (id, chain, seq, occurred_at, action, outcome, prev_hmac, hmac, row_tag,"
            " created_at) VALUES ('00000000000000000000000000000abc', ?, ?, '2026-11-28 10:00:00', 'login',"
            " 'success', ?, ?, ?, '2026-11-28 10:00:00')",
            (last.chain, last.seq + 1, last.hmac, "f" * 64, "e" * 32),
        )
    finally:
        conn.close()
    report = verify_audit(system_ctx)
    found = {(p.kind, p.seq) for p in report.problems}
    assert found == {("edited", edited.seq), ("deleted", deleted.seq), ("inserted", last.seq + 1)}
    code = hms_main(["--data-dir", str(store.paths.data_dir), "audit", "verify"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"row {edited.seq} ({edited.id}) was edited" in out
    assert f"row {deleted.seq} of chain" in out and "deleted" in out
    assert f"row {last.seq + 1}" in out and "inserted" in out


def test_an_edit_at_the_same_instant_keeps_the_services_clock_in_updated_at(system_ctx: Context) -> None:
    """Two edits at one instant of a fixed clock: the second sets updated_at to the value it already has, which
    SQLAlchemy would leave out of the UPDATE and let the column's onupdate stamp the machine's clock instead."""
    at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    ctx = replace(system_ctx, clock=FixedClock(at))
    p = add_patient(ctx, "Asha Rao")
    for phone in ("9123456780", "9123456781"):
        with ctx.transaction() as tx:
            row = tx.session.get(Patient, p.id)
            assert row is not None
            row.phone = phone
            tx.commit()
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(Patient, p.id)
        assert row is not None and row.phone == "9123456781"
        assert row.updated_at == at
