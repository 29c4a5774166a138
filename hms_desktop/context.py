"""The context every service runs in: who is acting, from which workstation, at what time, over which store.

A service opens one transaction per user action with ``ctx.transaction()``::

    with ctx.transaction() as tx:
        ...                # tx.session: an SQLAlchemy session; its changes are audited automatically
        tx.commit()        # without commit, everything is rolled back

(Cosmic Python's unit of work.) Audit rows (and, with sync, outbox rows) are written by session hooks in
the same transaction, so an action is recorded whole or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from types import TracebackType

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hms_desktop.clock import Clock
from hms_desktop.security.keystore import KeyStore

ALL_PERMISSIONS = "*"


@dataclass(frozen=True)
class Actor:
    """The signed-in user (or the system itself during set-up), with the permission codes of their roles."""

    user_id: uuid.UUID | None
    email: str
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = frozenset()
    session_family: uuid.UUID | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(None, label, ("System",), frozenset({ALL_PERMISSIONS}))

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(None, "anonymous")

    def can(self, code: str) -> bool:
        return ALL_PERMISSIONS in self.permissions or code in self.permissions

    @property
    def role_label(self) -> str:
        return ", ".join(self.roles)


@dataclass(frozen=True)
class WorkstationInfo:
    id: uuid.UUID | None
    name: str

    @property
    def chain(self) -> str:
        """The audit chain of this workstation."""
        return str(self.id) if self.id else "local"


@dataclass(frozen=True)
class Context:
    engine: Engine
    actor: Actor
    workstation: WorkstationInfo
    audit_key: bytes = field(repr=False)
    clock: Clock = field(default_factory=Clock)
    ip_address: str | None = None
    # Secrets outside the store (keyring or passphrase vault): JWT secret, SMTP password, ...
    keys: KeyStore | None = field(default=None, repr=False)

    def as_actor(self, actor: Actor) -> Context:
        return replace(self, actor=actor)

    def transaction(self, *, readonly: bool = False) -> Transaction:
        return Transaction(self, readonly=readonly)


class HmsSession(Session):
    """The session class the audit (and sync) hooks listen on."""


class Transaction:
    def __init__(self, ctx: Context, *, readonly: bool = False) -> None:
        self.ctx = ctx
        self.readonly = readonly
        self._session: HmsSession | None = None
        self._committed = False
        # Who the automatic audit rows name when that is not yet the context's actor (signing in).
        self.acting_as: Actor | None = None

    @property
    def actor(self) -> Actor:
        return self.acting_as or self.ctx.actor

    @property
    def session(self) -> HmsSession:
        assert self._session is not None, "use the transaction inside its with-block"
        return self._session

    def __enter__(self) -> Transaction:
        import hms_desktop.audit.trail  # noqa: F401 - registers the audit hook on HmsSession
        import hms_desktop.sync.outbox  # noqa: F401 - registers the sync outbox hook (after the audit hook)

        bind = self.ctx.engine.execution_options(hms_readonly=True) if self.readonly else self.ctx.engine
        self._session = HmsSession(bind=bind, expire_on_commit=False, autoflush=True)
        self._session.info["hms_tx"] = self
        return self

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("a read-only transaction cannot commit")
        self.session.commit()
        self._committed = True

    def flush(self) -> None:
        self.session.flush()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            if not self._committed and not self.readonly:
                session.rollback()
        finally:
            session.close()  # ends a read-only transaction too; objects read stay usable (detached)
