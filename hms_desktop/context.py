"""The context every service runs in: who is acting, from which workstation, at what time, over which store.

A service opens one transaction per user action with ``ctx.transaction()``::

    with ctx.transaction() as tx:
        ...                # tx.session: an SQLAlchemy session; its changes are audited automatically
        tx.commit()        # without commit, everything is rolled back

(Cosmic Python's unit of work.) Audit rows (and, with sync, outbox rows) are written by session hooks in
the same transaction, so an action is recorded whole or not at all.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

from hms_desktop.clock import Clock

if TYPE_CHECKING:  # the key store is only named here (security builds on this module)
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
    """The session class the audit, outbox and write-guard hooks listen on (``hms_desktop.hooks``)."""


# Set by ``hms_desktop.hooks.install()``: a transaction refuses to start before the audit and outbox hooks
# are on ``HmsSession`` (a write that nobody records is worse than no write).
HOOKS: dict[str, bool] = {"installed": False}
# The transaction open on this thread (a service called inside it joins it).
_CURRENT: ContextVar[Transaction | None] = ContextVar("hms_transaction", default=None)
# Keys of ``session.info`` that are not hook bookkeeping (kept as they are when a savepoint rolls back).
_NOT_BOOKKEEPING = frozenset({"hms_tx"})


def current_transaction(engine: Engine) -> Transaction | None:
    """The transaction open on this thread over ``engine`` (the outermost), or None."""
    tx = _CURRENT.get()
    return tx.root if tx is not None and tx.ctx.engine is engine else None


class Transaction:
    """One user action's unit of work. Opened while another is open on this thread over the same store, it
    joins that one: it shares its session inside a SAVEPOINT, ``commit`` releases the savepoint (the outermost
    commits to disk), and an error or a missing commit rolls back only what it wrote, so the caller decides.
    An error that leaves the outermost transaction rolls back the whole action."""

    def __init__(self, ctx: Context, *, readonly: bool = False) -> None:
        self.ctx = ctx
        self.readonly = readonly
        self._session: HmsSession | None = None
        self._committed = False
        self._outer: Transaction | None = None
        self._savepoint: SessionTransaction | None = None
        self._kept: dict[str, Any] = {}
        self._token: Token[Transaction | None] | None = None
        # Work to do once the outermost transaction has ended, committed or not (a denial's audit row).
        self.after_end: list[Callable[[], None]] = []
        # Who the automatic audit rows name when that is not yet the context's actor (signing in).
        self.acting_as: Actor | None = None

    @property
    def actor(self) -> Actor:
        return self.acting_as or self.ctx.actor

    @property
    def root(self) -> Transaction:
        tx = self
        while tx._outer is not None:
            tx = tx._outer
        return tx

    @property
    def joined(self) -> bool:
        return self._outer is not None

    @property
    def session(self) -> HmsSession:
        assert self._session is not None, "use the transaction inside its with-block"
        return self._session

    def __enter__(self) -> Transaction:
        if not HOOKS["installed"]:
            raise RuntimeError("hms_desktop.hooks.install() has not run: no service may write unaudited")
        outer = current_transaction(self.ctx.engine)
        if outer is not None:
            self._join(outer)
        else:
            bind = self.ctx.engine.execution_options(hms_readonly=True) if self.readonly else self.ctx.engine
            self._session = HmsSession(bind=bind, expire_on_commit=False, autoflush=True)
            self._session.info["hms_tx"] = self
        self._token = _CURRENT.set(self)
        return self

    def _join(self, outer: Transaction) -> None:
        inner = _CURRENT.get()
        assert inner is not None
        if outer.readonly and not self.readonly:
            raise RuntimeError("a write cannot join a read-only transaction: open the outer one for writing")
        self._outer = inner
        session = self._session = outer.session
        if self.readonly:
            return  # reads see the open action's writes; nothing to undo
        session.flush()  # what the caller wrote so far is recorded as the caller's
        self._kept = {k: copy.copy(v) for k, v in session.info.items() if k not in _NOT_BOOKKEEPING}
        self._savepoint = session.begin_nested()
        session.info["hms_tx"] = self

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("a read-only transaction cannot commit")
        if self._savepoint is not None:
            self.session.flush()
            self._savepoint.commit()
        else:
            self.session.flush()  # the last flush first: ``before_commit`` hooks see every row of the action
            self.session.commit()
        self._committed = True

    def flush(self) -> None:
        self.session.flush()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
            self._token = None
        session = self._session
        self._session = None
        if session is None:
            return
        if self._outer is not None:
            self._leave(session)
            return
        try:
            if not self._committed and not self.readonly:
                session.rollback()
        finally:
            session.close()  # ends a read-only transaction too; objects read stay usable (detached)
        for later in self.after_end:
            later()

    def _leave(self, session: HmsSession) -> None:
        if self._savepoint is None:
            return
        if not self._committed:
            if self._savepoint.is_active:
                self._savepoint.rollback()
            session.info.clear()
            session.info.update(self._kept)
        session.info["hms_tx"] = self._outer
