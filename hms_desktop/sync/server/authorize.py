"""The server authorises every pushed change by who made it, not only by which workstation pushes it.

A workstation's credential proves which PC is talking; it says nothing about the person. So every change carries
its author (a user id) and their proof (``hms_desktop.sync.signing``: HMAC under the user's key, which only a PC
where that user signed in with their password can make). The server holds each user's key, learnt from a
*claim* (the password sealed to the server, checked here against the bcrypt hash the server holds) and valid
only while that hash is still the user's.

Per change, in the batch's order (parents first):

- the founder's rows as they were when it enrolled (its *base*: ``sync_clinic.base_hlc``) are the clinic as it
  stood, and pass;
- a change that names an author whose key the server does not know yet is *deferred*: nothing is written, the
  PC keeps it and sends it again (its claim follows as soon as the PC has the server's key);
- a proof that does not hold (another row, content, clock or PC; a guessed value; an old password's key after a
  reset) is refused;
- **identity and access** (``ACCESS``: users, their roles, roles and their permissions, the clinic's settings,
  conflicts) change only by a proven, active author who held the permission the change needs, by the very rules
  the services apply (``hms_desktop.security.grant_rules``): nobody grants what they do not hold, nobody edits
  their own rights, only a Super Admin changes a Super Admin. A user may change their own password and nothing
  else of their own row. Permission codes come with the program (migrations), never from a PC;
- every other table takes a change from a proven author who holds a right that writes it
  (``hms_desktop.sync.table_rights``: the union of the services' permissions over that table);
- a change with no author (the system) is taken only where the system itself writes on an enrolled PC (the
  audit trail, in-app notifications) and for a new, open conflict a PC's pull recorded (it decides nothing).

The rules are checked against the server's own copy of users and roles, overlaid with this batch's accepted
changes in order (an admin who creates a user and gives them a role in one batch is judged step by step).
A refused change is written nowhere but the conflicts list (kept for an administrator, with the reason); the
server's own version of the row is sent out again, so the PC that pushed it gets it back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from db.ids import uuid7
from hms_desktop.security import author_keys, passwords
from hms_desktop.security.grant_rules import (
    Holder,
    account_change_refusal,
    discount_limit_refusal,
    role_assignment_refusal,
    role_edit_refusal,
    role_name_refusal,
)
from hms_desktop.security.permissions import SUPER_ADMIN
from hms_desktop.sync import sealing, signing
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec, sql_table
from hms_desktop.sync.server.validate import Batch, Change
from hms_desktop.sync.table_rights import ACCESS, SYSTEM_WRITES, may_write

CLINIC = sql_table("sync_clinic")
AUTHORS = sql_table("sync_authors")
MAX_CLAIMS_CHECKED = 20  # each costs a bcrypt check and a key derivation

# what a user may change of their own account (their password), besides the bookkeeping every edit stamps
OWN_COLUMNS = frozenset({"password_hash", "password_changed_at", "must_change_password"})
STAMPED = frozenset({"updated_at", "updated_by_id", "hlc"})


@dataclass
class Verdict:
    accepted: list[Change] = field(default_factory=list)
    refused: list[tuple[Change, str]] = field(default_factory=list)
    deferred: list[Change] = field(default_factory=list)
    keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # user id -> (hash, key) newly proved


def _rows(conn: Connection, name: str) -> dict[str, dict[str, Any]]:
    table = spec(name)
    assert table is not None
    codec = codec_for(table)
    return {str(r["id"]): codec.encode(r) for r in conn.execute(select(*table.columns)).mappings()}


class _Access:
    """The server's users, roles and permissions, overlaid with the batch's accepted changes."""

    def __init__(self, conn: Connection, claims: list[dict[str, Any]], secret: bytes) -> None:
        self.users = _rows(conn, "users")
        self.roles = _rows(conn, "roles")
        self.codes = {pid: str(row["code"]) for pid, row in _rows(conn, "permissions").items()}
        self.role_perms = _rows(conn, "role_permissions")
        self.user_roles = _rows(conn, "user_roles")
        self.authors = {str(u): (str(h), bytes(k)) for u, h, k in conn.execute(select(AUTHORS.c.user_id,
                        AUTHORS.c.password_hash, AUTHORS.c.author_key))}  # fmt: skip
        self.fresh: dict[str, tuple[str, bytes]] = {}
        self.holders: dict[str, Holder] = {}
        self.private = sealing.server_private(secret)
        self.pending: dict[str, list[dict[str, Any]]] = {}
        for claim in claims[:MAX_CLAIMS_CHECKED]:
            payload = self._open(claim)
            if payload is not None:
                self.pending.setdefault(str(payload["u"]), []).append(payload)

    def _open(self, claim: dict[str, Any]) -> dict[str, Any] | None:
        try:
            doc = json.loads(sealing.open_sealed(self.private, str(claim.get("s", ""))))
            uuid.UUID(str(doc["u"]))
            if not (isinstance(doc["pw"], str) and isinstance(doc["n"], int) and isinstance(doc["h"], str)):
                return None
        except (ValueError, KeyError, TypeError):
            return None
        return dict(doc)

    def key(self, user_id: str) -> bytes | None:
        """The user's key for the hash they hold now (proved by a claim of this batch if need be)."""
        user = self.users.get(user_id)
        if user is None or user.get("deleted_at") is not None:
            return None
        current = str(user["password_hash"])
        for source in (self.fresh, self.authors):
            found = source.get(user_id)
            if found is not None and found[0] == current:
                return found[1]
        for payload in self.pending.get(user_id, []):
            if payload["h"] != author_keys.hash_digest(current):
                continue
            if not passwords.verify_password(payload["pw"], current):
                continue
            try:
                derived = author_keys.derive(uuid.UUID(user_id), payload["pw"], payload["n"])
            except ValueError:
                continue
            self.fresh[user_id] = (current, derived)
            return derived
        return None

    def role_names(self, user_id: str, links: dict[str, dict[str, Any]] | None = None) -> frozenset[str]:
        """The user's role names (by ``links``, this batch's user roles with one change applied, if given)."""
        names = set()
        for link in (self.user_roles if links is None else links).values():
            role = self.roles.get(str(link["role_id"]))
            if link["user_id"] == user_id and link.get("deleted_at") is None and role and not role.get("deleted_at"):
                names.add(str(role["name"]))
        return frozenset(names)

    def role_codes(self, role_id: str, links: dict[str, dict[str, Any]] | None = None) -> frozenset[str]:
        """The role's permission codes (by ``links``, as ``role_names``)."""
        return frozenset(
            self.codes[str(link["permission_id"])]
            for link in (self.role_perms if links is None else links).values()
            if link["role_id"] == role_id
            and link.get("deleted_at") is None
            and str(link["permission_id"]) in self.codes
        )

    def holder(self, user_id: str) -> Holder:
        found = self.holders.get(user_id)
        if found is None:
            found = self.holders[user_id] = self._holder(user_id)
        return found

    def _holder(self, user_id: str) -> Holder:
        roles = self.role_names(user_id)
        ids = [rid for rid, r in self.roles.items() if r["name"] in roles]
        codes: set[str] = set()
        for rid in ids:
            codes |= self.role_codes(rid)
        return Holder(uuid.UUID(user_id), roles, frozenset(codes))

    def roles_map(self) -> dict[str, tuple[bool, frozenset[str]]]:
        return {
            str(r["name"]): (bool(r["is_system"]), self.role_codes(rid))
            for rid, r in self.roles.items()
            if r.get("deleted_at") is None
        }

    def is_super_admin(self, user_id: str) -> bool:
        return SUPER_ADMIN in self.role_names(user_id)

    def active(self, user_id: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and user.get("deleted_at") is None and user.get("status") == "active"

    def apply(self, change: Change) -> None:
        """An accepted change of an access table becomes part of what later changes are judged by."""
        target = {
            "users": self.users,
            "roles": self.roles,
            "role_permissions": self.role_perms,
            "user_roles": self.user_roles,
        }.get(change.table.name)
        if target is None:
            return
        self.holders.clear()
        if change.raw is None:
            target.pop(str(change.row_id), None)
        else:
            target[str(change.row_id)] = change.raw


def _link_after(rows: dict[str, dict[str, Any]], change: Change) -> dict[str, dict[str, Any]]:
    after = dict(rows)
    if change.raw is None:
        after.pop(str(change.row_id), None)
    else:
        after[str(change.row_id)] = change.raw
    return after


def _users_rule(access: _Access, actor: Holder, author: str, change: Change) -> str | None:
    row_id = str(change.row_id)
    current = access.users.get(row_id)
    if current is not None and change.raw is not None and author == row_id:
        changed = {k for k, v in change.raw.items() if current.get(k) != v} - STAMPED
        if changed <= OWN_COLUMNS:
            return None  # their own password
    if "users.manage" not in actor.permissions and SUPER_ADMIN not in actor.roles:
        return "its author may not manage users"
    if current is None:
        return None
    if author == row_id:
        return "nobody changes their own account but their password"
    return account_change_refusal(actor, change.row_id, access.is_super_admin(row_id))


def _user_roles_rule(access: _Access, actor: Holder, change: Change) -> str | None:
    link = change.raw or access.user_roles.get(str(change.row_id))
    if link is None:
        return None  # deleting a link the server never had: nothing changes
    target = str(link["user_id"])
    before = access.role_names(target)
    after = access.role_names(target, _link_after(access.user_roles, change))
    return role_assignment_refusal(
        actor, uuid.UUID(target), access.is_super_admin(target), before, after, access.roles_map()
    )


def _roles_rule(access: _Access, actor: Holder, change: Change) -> str | None:
    row_id = str(change.row_id)
    current = access.roles.get(row_id)
    old_name = str(current["name"]) if current else None
    flagged = bool(current and current["is_system"])
    if change.raw is None or (current and change.raw.get("deleted_at") and not current.get("deleted_at")):
        # deleting a role takes all its codes away: allowed to whoever may edit it
        return (
            role_edit_refusal(actor, old_name or "", flagged, access.role_codes(row_id), frozenset())
            if current
            else None
        )
    refusal = role_name_refusal(actor, old_name, str(change.raw["name"]))
    if refusal is None and bool(change.raw["is_system"]) != flagged and SUPER_ADMIN not in actor.roles:
        refusal = "only a Super Admin makes a role a system role or takes that away"
    if refusal is None:
        before = int(current.get("discount_limit_basis_points") or 0) if current else 0
        after = int(change.raw.get("discount_limit_basis_points") or 0)
        own = max((int(r.get("discount_limit_basis_points") or 0) for r in access.roles.values()
                   if r["name"] in actor.roles and not r.get("deleted_at")), default=0)  # fmt: skip
        refusal = discount_limit_refusal(actor, own, str(change.raw["name"]), before, after)
    return refusal


def _role_permissions_rule(access: _Access, actor: Holder, change: Change) -> str | None:
    link = change.raw or access.role_perms.get(str(change.row_id))
    if link is None:
        return None
    role_id = str(link["role_id"])
    role = access.roles.get(role_id)
    if role is None:
        return "its role is not known to the server"
    before = access.role_codes(role_id)
    after = access.role_codes(role_id, _link_after(access.role_perms, change))
    return role_edit_refusal(actor, str(role["name"]), bool(role["is_system"]), before, after)


RULES: dict[str, Callable[[_Access, Holder, Change], str | None]] = {
    "user_roles": _user_roles_rule,
    "roles": _roles_rule,
    "role_permissions": _role_permissions_rule,
}


def _access_refusal(access: _Access, author: str, change: Change) -> str | None:
    name = change.table.name
    needed = ACCESS[name]
    if needed is None:
        return "permission codes come with the program, never from a PC"
    if not access.active(author):
        return "its author's account is not active"
    actor = access.holder(author)
    if name == "users":
        return _users_rule(access, actor, author, change)
    if needed not in actor.permissions and SUPER_ADMIN not in actor.roles:
        return f"its author does not hold {needed}"
    rule = RULES.get(name)
    return rule(access, actor, change) if rule else None


def _new_open_conflict(conn: Connection, change: Change) -> bool:
    if change.raw is None or change.raw.get("resolution") is not None or change.raw.get("resolved_at") is not None:
        return False
    t = change.table.table
    return conn.execute(select(t.c.id).where(t.c.id == change.row_id)).first() is None


def founder_base(conn: Connection, ws_id: uuid.UUID, batch: Batch) -> str | None:
    """The founder's base clock (recorded from its first push that names it, once)."""
    row = conn.execute(select(CLINIC.c.id, CLINIC.c.founder_id, CLINIC.c.base_hlc).limit(1)).first()
    if row is None or row[1] != ws_id:
        return None
    if row[2] is None and batch.base is not None:
        conn.execute(update(CLINIC).where(CLINIC.c.id == row[0]).values(base_hlc=batch.base))
        return batch.base
    return None if row[2] is None else str(row[2])


def screen(conn: Connection, ws_id: uuid.UUID, batch: Batch, secret: bytes) -> Verdict:
    """Sort the batch's changes into accepted, refused (with the reason) and deferred (see the module)."""
    verdict = Verdict()
    base = founder_base(conn, ws_id, batch)
    access = _Access(conn, batch.claims, secret)
    # who may do what first (users, their roles, the roles' permissions, in foreign-key order), then the rest:
    # a user made in this batch, with a role, may already have made other changes in it (a pharmacist created
    # at the counter dispenses before the PC syncs); the changes are applied in foreign-key order either way
    for change in sorted(batch.changes, key=lambda c: (c.table.name not in ACCESS, c.table.rank)):
        name = change.table.name
        if base is not None and change.hlc == base:
            verdict.accepted.append(change)
            access.apply(change)
            continue
        if change.author is None:
            if name in SYSTEM_WRITES or (name == "sync_conflicts" and _new_open_conflict(conn, change)):
                verdict.accepted.append(change)  # the system's own work, or a conflict a PC's pull kept
            else:
                verdict.refused.append((change, f"no signed-in user made this change of {name}"))
            continue
        author = str(change.author)
        key = access.key(author)
        if key is None:
            verdict.deferred.append(change)
            continue
        signed = signing.digest(ws_id, name, str(change.row_id), change.hlc, change.raw)
        if change.proof is None or not signing.holds(key, signed, change.proof):
            verdict.refused.append((change, "its author's proof does not hold"))
            continue
        if name in ACCESS:
            refusal = _access_refusal(access, author, change)
            if refusal is not None:
                verdict.refused.append((change, refusal))
                continue
            access.apply(change)
        elif not may_write(name, access.holder(author).permissions):
            verdict.refused.append((change, f"its author holds no right that writes {name}"))
            continue
        verdict.accepted.append(change)
    for user_id in list(access.pending):
        access.key(user_id)  # every claim the batch carries, needed by its changes or not
    verdict.keys = access.fresh
    return verdict


def save_keys(conn: Connection, keys: dict[str, tuple[str, bytes]], now: Any) -> None:
    """Keep the keys the batch's claims proved (one per user: the newest replaces the last)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    for user_id, (password_hash, key) in keys.items():
        statement = pg_insert(AUTHORS).values(
            id=uuid7(), user_id=uuid.UUID(user_id), password_hash=password_hash, author_key=key,
            created_at=now, updated_at=now,
        )  # fmt: skip
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[AUTHORS.c.user_id],
                set_={"password_hash": password_hash, "author_key": key, "updated_at": now},
            )
        )


def claim_key(secret: bytes) -> str:
    """The public key PCs seal claims to."""
    return sealing.public_hex(sealing.server_private(secret))
