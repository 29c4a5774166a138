"""A signed-in user's standing now, not at sign-in: every service call re-reads it (``permissions.check``).

An ``Actor`` carries the roles and codes read when its user signed in. They are not trusted afterwards: each
gated call reads, in one indexed query, whether the user is still active (not disabled, not deleted), whether
the actor's session family still has a token that was not revoked (logout, disabling, a password reset and
token reuse revoke a whole family; rotation leaves the newest token alive; expiry is not checked here, the
window's session lasts the shift), and the user's current roles and codes. The query runs in the open
transaction (a service called by another) and its answer is kept there, so nested calls do not ask again; a
call made with no transaction open reads in a short read-only one of its own. The services' grant rules
(``current_actor``) read in the transaction they write in. A disable or a role taken away on this PC takes
effect at the user's next action; on a PC that syncs, at the next action after the pull that brings it.

- The system actor and the anonymous actor (``user_id`` None) keep the codes they were made with.
- An actor whose user has no row in this store: refused if it came from a sign-in (it has a session family);
  otherwise it is an actor made by code for this process (a test's, a job's) and keeps its codes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from db.models.identity import Permission, RefreshToken, Role, RolePermission, User, UserRole
from hms_desktop.context import Actor, Context, Transaction, current_transaction
from hms_desktop.errors import PermissionDenied

DISABLED = "Your account was disabled; sign in again."
REMOVED = "Your account was removed; sign in again."
SESSION_ENDED = "Your session was ended (signed out, or by an administrator); sign in again."
MUST_CHANGE = "You signed in with a temporary password: set your own password first (File > Change password)."
_CACHE = "hms_standing"  # session.info key: (user_id, family) -> Standing


class SessionEnded(PermissionDenied):
    """A denial because the account or the session was revoked: the screens sign the user out with its message."""


class PasswordChangeRequired(PermissionDenied):
    """A denial because the user still holds a temporary password: they change it before anything else."""


@dataclass(frozen=True)
class Standing:
    ended: str | None  # why this actor may no longer act (one sentence), or None
    roles: frozenset[str]
    permissions: frozenset[str]
    must_change: bool = False  # a temporary password, not yet replaced by the user's own


_FAMILY = bindparam("family", type_=RefreshToken.family_id.type)
_ALIVE = or_(_FAMILY.is_(None), exists().where(RefreshToken.family_id == _FAMILY, RefreshToken.revoked_at.is_(None)))
# Built once: building a select costs more than running this one.
_QUERY = (
    select(User.status, User.deleted_at, _ALIVE.label("alive"), Role.name, Permission.code, User.must_change_password)
    .select_from(User)
    .outerjoin(UserRole, and_(UserRole.user_id == User.id, UserRole.deleted_at.is_(None)))
    .outerjoin(Role, and_(Role.id == UserRole.role_id, Role.deleted_at.is_(None)))
    .outerjoin(RolePermission, and_(RolePermission.role_id == Role.id, RolePermission.deleted_at.is_(None)))
    .outerjoin(Permission, Permission.id == RolePermission.permission_id)
    .where(User.id == bindparam("user_id", type_=User.id.type))
)


def read_standing(session: Session, user_id: uuid.UUID, family: uuid.UUID | None) -> Standing | None:
    """The user's standing in one query (None: no such user row). Every step is an index search
    (``users.id``, ``user_roles.user_id``, ``roles.id``, ``role_permissions.role_id``, ``permissions.id``,
    ``refresh_tokens.family_id``)."""
    rows = session.execute(_QUERY, {"user_id": user_id, "family": family}).all()
    if not rows:
        return None
    status, deleted_at, is_alive = rows[0][0], rows[0][1], bool(rows[0][2])
    ended = REMOVED if deleted_at is not None else DISABLED if status != "active" else None
    if ended is None and not is_alive:
        ended = SESSION_ENDED
    roles = frozenset(r[3] for r in rows if r[3] is not None)
    codes = frozenset(r[4] for r in rows if r[4] is not None)
    return Standing(ended, roles, codes, bool(rows[0][5]))


def _standing_in(tx: Transaction, actor: Actor) -> Standing | None:
    assert actor.user_id is not None
    cache = tx.root.session.info.setdefault(_CACHE, {})
    key = (actor.user_id, actor.session_family)
    if key not in cache:
        cache[key] = read_standing(tx.session, actor.user_id, actor.session_family)
    found: Standing | None = cache[key]
    if found is None and actor.session_family is not None:
        return Standing(REMOVED, frozenset(), frozenset())
    return found


def standing(ctx: Context) -> Standing | None:
    """The standing of ``ctx.actor`` (None: an actor that keeps its own codes, see the module docstring): read in
    the open transaction (once per transaction), else in a short read-only one."""
    actor = ctx.actor
    if actor.user_id is None:
        return None
    open_tx = current_transaction(ctx.engine)
    if open_tx is not None:
        return _standing_in(open_tx, actor)
    with ctx.transaction(readonly=True) as tx:
        return _standing_in(tx, actor)


def current_actor(tx: Transaction) -> Actor:
    """``tx.ctx.actor`` with its roles and codes as they are now in ``tx`` (the services' grant rules use it);
    raises ``SessionEnded`` if the account or session was revoked."""
    actor = tx.ctx.actor
    if actor.user_id is None:
        return actor
    found = _standing_in(tx, actor)
    if found is None:
        return actor
    if found.ended is not None:  # revoked since the gate let the call in: refused and audited as the gate does
        ended, ctx = found.ended, tx.ctx
        tx.root.after_end.append(lambda: _record(ctx, ended))
        raise SessionEnded("self", ended)
    return Actor(actor.user_id, actor.email, tuple(sorted(found.roles)), found.permissions, actor.session_family)


def _record(ctx: Context, detail: str) -> None:
    from hms_desktop.audit.trail import record

    with ctx.transaction() as tx:
        record(tx, "permission_denied", entity_type="permission", entity_id="self", outcome="denied", detail=detail)
        tx.commit()
