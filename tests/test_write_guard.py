"""No write around the audit trail and the outbox: a Core UPDATE or DELETE through a service session is
captured (audited and queued for sync like an ORM edit); an INSERT through it, or any write sent around the
session on an audited table, is refused with a clear error and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from db.models.audit import AuditLog
from db.models.patients import Patient, PatientConsent
from db.models.sync import SyncOutbox
from hms_desktop.context import Context
from hms_desktop.services.admin.audit_trail import verify_audit
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.write_guard import UnrecordedWrite
from tests.test_sync_outbox import enrol_here


def audit_rows(store: Store, entity_id: object) -> list[tuple[str, dict | None, dict | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(AuditLog.action, AuditLog.old_values, AuditLog.new_values)
            .where(AuditLog.entity_id == str(entity_id))
            .order_by(AuditLog.seq)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_core_update_is_audited_and_queued_for_sync(system_ctx: Context, store: Store) -> None:
    enrol_here(store)
    p = register_patient(system_ctx, PatientInput("Asha Patel", "F", date(1990, 1, 1), city="Mysuru"))
    with store.engine.connect() as conn:
        before = conn.execute(select(Patient.hlc).where(Patient.id == p.id)).scalar_one()
    with system_ctx.transaction() as tx:
        result = tx.session.execute(update(Patient).where(Patient.id == p.id).values(city="Bengaluru"))
        assert result.rowcount == 1
        tx.commit()
    assert audit_rows(store, p.id)[-1] == ("update", {"city": "Mysuru"}, {"city": "Bengaluru"})
    with store.engine.connect() as conn:
        stamp = conn.execute(select(Patient.hlc).where(Patient.id == p.id)).scalar_one()
        queued = conn.execute(
            select(SyncOutbox.hlc, SyncOutbox.base_hlc).where(SyncOutbox.row_id == p.id).order_by(SyncOutbox.hlc)
        ).all()
    assert stamp is not None and stamp > before  # a new version, as an ORM edit would give it
    assert tuple(queued[-1]) == (stamp, before)
    assert verify_audit(system_ctx).ok


def test_an_atomic_update_expression_is_captured_row_by_row(system_ctx: Context, store: Store) -> None:
    a = register_patient(system_ctx, PatientInput("Ravi Kumar", "M", date(1980, 1, 1)))
    b = register_patient(system_ctx, PatientInput("Ravi Shankar", "M", date(1981, 1, 1)))
    with system_ctx.transaction() as tx:
        tx.session.execute(
            update(Patient).where(Patient.full_name.like("Ravi%")).values(notes=Patient.full_name + " (checked)")
        )
        tx.commit()
    assert audit_rows(store, a.id)[-1] == ("update", {"notes": ""}, {"notes": "Ravi Kumar (checked)"})
    assert audit_rows(store, b.id)[-1] == ("update", {"notes": ""}, {"notes": "Ravi Shankar (checked)"})


def test_a_core_delete_is_audited_with_the_row(system_ctx: Context, store: Store) -> None:
    p = register_patient(system_ctx, PatientInput("Consenting Patient", "F", date(1990, 1, 1)))
    with system_ctx.transaction() as tx:
        consent = PatientConsent(patient_id=p.id, consent_type="treatment", version="1", signer_name="Self",
                                 signed_at=system_ctx.clock.now())  # fmt: skip
        tx.session.add(consent)
        tx.commit()
    with system_ctx.transaction() as tx:
        tx.session.execute(delete(PatientConsent).where(PatientConsent.id == consent.id))
        tx.commit()
    action, old, new = audit_rows(store, consent.id)[-1]
    assert action == "delete" and new is None and old is not None and old["signer_name"] == "Self"


@pytest.mark.parametrize(
    "how",
    ["core insert through the session", "update on the session's connection", "raw SQL text", "audit row by hand"],
)
def test_writes_around_the_hooks_are_refused_and_write_nothing(system_ctx: Context, store: Store, how: str) -> None:
    p = register_patient(system_ctx, PatientInput("Guarded Patient", "F", date(1990, 1, 1), city="Mysuru"))
    with store.engine.connect() as conn:
        audit_before = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    with pytest.raises(UnrecordedWrite) as refused, system_ctx.transaction() as tx:
        if how == "core insert through the session":
            tx.session.execute(insert(Patient).values(code="X-1", full_name="Sneaked In", name_search="sneaked in"))
        elif how == "update on the session's connection":
            tx.session.connection().execute(update(Patient).where(Patient.id == p.id).values(city="Nowhere"))
        elif how == "raw SQL text":
            tx.session.execute(text("UPDATE patients SET city = 'Nowhere'"))
        else:
            tx.session.connection().execute(text("DELETE FROM audit_logs"))
        tx.commit()
    assert "audit" in str(refused.value)
    with store.engine.connect() as conn:
        assert conn.execute(select(Patient.city).where(Patient.id == p.id)).scalar_one() == "Mysuru"
        assert conn.execute(select(func.count()).select_from(Patient).where(Patient.code == "X-1")).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(AuditLog)).scalar_one() == audit_before


def test_plain_connections_outside_a_service_are_not_service_writes(system_ctx: Context, store: Store) -> None:
    """Sync applies pulled rows and migrations run on plain connections: they are not guarded (and not audited)."""
    p = register_patient(system_ctx, PatientInput("Pulled Patient", "F", date(1990, 1, 1)))
    with system_ctx.transaction() as tx:  # a service transaction that ended gives its connection back clean
        tx.session.get(Patient, p.id)
        tx.commit()
    with store.engine.begin() as conn:
        conn.execute(update(Patient).where(Patient.id == p.id).values(city="Hubballi"))
    with store.engine.connect() as conn:
        assert conn.execute(select(Patient.city).where(Patient.id == p.id)).scalar_one() == "Hubballi"
