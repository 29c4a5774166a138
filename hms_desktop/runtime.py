"""Building the service Context for an open store (used by the CLI, the desktop app and tests)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.sync import Workstation
from hms_desktop.audit.trail import audit_key_from_recovery
from hms_desktop.clock import Clock
from hms_desktop.context import Actor, Context, WorkstationInfo
from hms_desktop.hooks import install as install_hooks
from hms_desktop.storage.store import Store


def local_workstation(store: Store) -> WorkstationInfo:
    with Session(store.engine.execution_options(hms_readonly=True)) as s:
        row = s.execute(select(Workstation.id, Workstation.name).where(Workstation.is_local.is_(True))).first()
    if row is None:
        return WorkstationInfo(None, "unenrolled")
    return WorkstationInfo(row[0], row[1])


def context_for(store: Store, actor: Actor | None = None, *, clock: Clock | None = None) -> Context:
    install_hooks()  # the audit, outbox, write-guard and change hooks, once per process, in their order
    return Context(
        engine=store.engine,
        actor=actor or Actor.anonymous(),
        workstation=local_workstation(store),
        audit_key=audit_key_from_recovery(store.recovery_key()),
        clock=clock or Clock(),
        keys=store.keys,
    )
