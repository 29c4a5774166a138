"""Who may hand out which rights: the rules, as pure functions over plain data.

The services (``services/admin/users.py`` and ``roles.py``) and the sync server (for pushed ``roles``,
``role_permissions``, ``user_roles`` and ``users`` rows) call the very same functions, so a rule cannot hold on
a PC and fail on the server or the other way round. Each returns ``None`` when the change is allowed, else one
sentence for the user. The facts passed in (the editor's roles and permission codes, the target's roles, each
role's codes) are read by the caller, from its own copy of the store, in the transaction it writes in.

Nobody grants what they do not hold, nobody edits their own rights, and only a Super Admin changes a Super
Admin:

- **Editing a role** (creating one is editing it from no codes): every code *added* must be held by the editor;
  nobody but a Super Admin edits the permissions of a role they hold themselves; the Super Admin role itself
  is not editable (it always holds every permission). Taking a code away is always allowed to whoever may edit
  the role (it grants nothing). Only a Super Admin renames one of the clinic's default roles or gives a role a
  default role's name (a role's name decides below whether it is a system role).
- **Assigning roles**: nobody changes their own roles; only a Super Admin gives or removes the Super Admin role,
  or changes anything of a Super Admin's account. A role *given* is judged by its kind:

  - a **custom** role may be given only by someone who holds every one of its codes;
  - a **system** role (the clinic's default job roles: Receptionist, Doctor, Nurse, ...) may be given as a
    whole by anyone allowed to manage users provided they hold its *privileged* codes (``PRIVILEGED``: rights
    over the system itself). This is how an Admin staffs the clinic without holding clinical rights; since a
    role only ever gains codes its editor holds, it cannot be used to escalate.

  Taking a role away grants nothing and is allowed (the Super Admin role and Super Admin accounts excepted).
- **Another account's details, disable/enable, password reset**: only a Super Admin changes a Super Admin's
  account; a password reset also needs the resetter to hold the target's privileged codes (whoever resets a
  password can sign in as that person).

"The system" (a holder with ``"*"``: set-up, the store-key holder's command line) is refused nothing.
A Super Admin (a holder of the Super Admin role) holds every code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hms_desktop.context import Actor
from hms_desktop.security.discounts import percent_text
from hms_desktop.security.permissions import DEFAULT_ROLES, PRIVILEGED, SUPER_ADMIN

ALL = "*"


@dataclass(frozen=True)
class Holder:
    """Who is making the change: their user id, their role names and their permission codes, as they are now."""

    user_id: uuid.UUID | None
    roles: frozenset[str]  # role names
    permissions: frozenset[str]  # permission codes; "*" means all (the system actor)


def holder_of(actor: Actor) -> Holder:
    return Holder(actor.user_id, frozenset(actor.roles), actor.permissions)


def is_system_actor(actor: Holder) -> bool:
    return ALL in actor.permissions


def is_super_admin(actor: Holder) -> bool:
    return is_system_actor(actor) or SUPER_ADMIN in actor.roles


def lacks(actor: Holder, codes: Iterable[str]) -> list[str]:
    """The codes of ``codes`` that ``actor`` does not hold, sorted (none for a Super Admin)."""
    if is_super_admin(actor):
        return []
    return sorted(set(codes) - actor.permissions)


def is_system_role(name: str, is_system: bool) -> bool:
    """A system role: flagged built in (Super Admin) or one of the clinic's default roles, by name."""
    return is_system or name in DEFAULT_ROLES


def _listed(codes: list[str]) -> str:
    shown = ", ".join(codes[:6])
    return shown + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")


def role_edit_refusal(
    actor: Holder, role_name: str, is_system: bool, before: frozenset[str], after: frozenset[str]
) -> str | None:
    """Why ``actor`` may not change the codes of ``role_name`` from ``before`` to ``after`` (None: allowed).

    Creating a role is editing it from ``frozenset()``. ``is_system`` does not change this rule: a default role
    gains only codes its editor holds, as a custom role does."""
    if is_system_actor(actor) or before == after:
        return None
    if role_name == SUPER_ADMIN:
        return "The Super Admin role always holds every permission; it cannot be changed."
    if role_name in actor.roles and not is_super_admin(actor):
        return f"You cannot change the permissions of {role_name}: you hold this role yourself. Ask a Super Admin."
    missing = lacks(actor, after - before)
    if missing:
        return f"You cannot give a role rights you do not hold yourself: {_listed(missing)}."
    return None


def role_name_refusal(actor: Holder, old_name: str | None, new_name: str) -> str | None:
    """Why ``actor`` may not name a role ``new_name`` (``old_name`` None: a new role). Only a Super Admin
    renames a default role or gives a role a default role's name (which would make it a system role)."""
    if is_super_admin(actor) or old_name == new_name:
        return None
    if old_name in DEFAULT_ROLES:
        return f"{old_name} is one of the clinic's default roles; only a Super Admin can rename it."
    if new_name in DEFAULT_ROLES:
        return f"{new_name} is the name of one of the clinic's default roles; only a Super Admin can give it."
    return None


def role_assignment_refusal(
    actor: Holder,
    target_user_id: uuid.UUID,
    target_is_super_admin: bool,
    before: frozenset[str],
    after: frozenset[str],
    roles: Mapping[str, tuple[bool, frozenset[str]]],
) -> str | None:
    """Why ``actor`` may not change the roles of ``target_user_id`` from ``before`` to ``after`` (None: allowed).

    ``before``/``after`` are role names (``before`` is empty for a new account); ``roles`` maps the name of every
    role named to ``(is_system, codes)``, ``is_system`` being the role's stored flag (the default roles count as
    system roles by name, ``is_system_role``)."""
    if is_system_actor(actor) or before == after:
        return None
    if target_user_id == actor.user_id:
        return "You cannot change your own roles; ask another administrator."
    sa = is_super_admin(actor)
    if (target_is_super_admin or SUPER_ADMIN in before) and not sa:
        return "Only a Super Admin can change a Super Admin's account."
    if SUPER_ADMIN in (before ^ after) and not sa:
        return "Only a Super Admin can give or take away the Super Admin role."
    for name in sorted(after - before):
        if name not in roles:
            return f"No such role: {name}."
        flagged, codes = roles[name]
        if is_system_role(name, flagged):
            missing = lacks(actor, codes & PRIVILEGED)
            if missing:
                return (
                    f"You cannot give the role {name}: it holds rights over the system you do not ({_listed(missing)})."
                )
        else:
            missing = lacks(actor, codes)
            if missing:
                return f"You cannot give the role {name}: you do not hold all of its rights ({_listed(missing)})."
    return None


def discount_limit_refusal(actor: Holder, actor_limit: int, role_name: str, before: int, after: int) -> str | None:
    """Raising a role's discount limit above the editor's own (``actor_limit``, basis points) needs a Super Admin;
    lowering it, or raising it within the editor's own, is allowed. The same rule on every PC and the server."""
    if after <= before or is_super_admin(actor) or after <= actor_limit:
        return None
    mine, asked = percent_text(actor_limit), percent_text(after)
    return f"You can raise a discount limit only up to your own, {mine}; ask a Super Admin to give {role_name} {asked}."


def account_change_refusal(actor: Holder, target_user_id: uuid.UUID, target_is_super_admin: bool) -> str | None:
    """Why ``actor`` may not change another account's details, disable or enable it, or reset its password."""
    if is_super_admin(actor):
        return None
    if target_is_super_admin:
        return "Only a Super Admin can change a Super Admin's account."
    return None


def password_reset_refusal(
    actor: Holder, target_user_id: uuid.UUID, target_is_super_admin: bool, target_codes: frozenset[str]
) -> str | None:
    """``account_change_refusal``, and the resetter must hold the target's privileged codes: whoever sets a
    temporary password can sign in as that person."""
    refusal = account_change_refusal(actor, target_user_id, target_is_super_admin)
    if refusal is not None:
        return refusal
    if lacks(actor, target_codes & PRIVILEGED):
        return "You cannot reset the password of someone with more rights over the system than you."
    return None
