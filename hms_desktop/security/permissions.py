"""Permission codes (``area.action``), the default roles, and the gate every service function passes.

Deny by default: a service function is decorated with ``@requires("area.action")``, which checks the
acting user's permissions before anything else runs: their permissions as they are now in the store (a
role taken away, an account disabled or a session revoked takes effect at the next call), not as they were at
sign-in (``live_access``). A denial writes one audit row (outcome ``denied``) in
its own transaction (after the open one, if any) and raises ``PermissionDenied``; nothing else is written.
Functions anyone may call (signing in, asking for a password reset) are marked ``@public`` instead, so a
test can prove that every service function made a choice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

from hms_desktop.context import Context, Transaction, current_transaction
from hms_desktop.errors import PermissionDenied
from hms_desktop.security.live_access import MUST_CHANGE, PasswordChangeRequired, SessionEnded, standing

P = ParamSpec("P")
R = TypeVar("R")

CATALOGUE: dict[str, str] = {
    "patients.view": "Find and open patient records",
    "patients.create": "Register patients",
    "patients.update": "Edit patient details",
    "patients.delete": "Archive patient records",
    "patients.print_card": "Print patient ID cards",
    "patients.documents": "Upload and view patient documents",
    "patients.consents": "Record and withdraw consents",
    "appointments.view": "See appointments and doctors' days",
    "appointments.create": "Book appointments",
    "appointments.update": "Reschedule appointments, mark no-show",
    "appointments.cancel": "Cancel appointments",
    "appointments.checkin": "Check patients in",
    "queue.view": "See the live queue",
    "queue.manage": "Call next, skip and recall tokens",
    "doctors.view": "See doctors, schedules and fees",
    "doctors.manage": "Edit doctors, schedules, leaves and fees",
    "clinical.vitals": "Record vitals and allergies",
    "clinical.consult": "Open and complete consultations, record diagnoses",
    "prescriptions.view": "Read prescriptions",
    "prescriptions.create": "Write prescriptions",
    "prescriptions.update": "Amend prescriptions",
    "prescriptions.templates": "Manage prescription templates",
    "pharmacy.view": "See the medicine catalogue and stock",
    "pharmacy.dispense": "Dispense medicines",
    "pharmacy.returns": "Take medicine returns",
    "pharmacy.catalog": "Edit the medicine catalogue",
    "optical.view": "See optical records and products",
    "optical.prescribe": "Write eye prescriptions",
    "optical.orders": "Create and update optical orders",
    "optical.repairs": "Log and update repairs",
    "optical.catalog": "Edit the optical catalogue",
    "lab.view": "See lab orders and results",
    "lab.order": "Order lab tests",
    "lab.results": "Enter lab results",
    "lab.verify": "Verify lab results entered by another user",
    "lab.catalog": "Edit the lab test catalogue",
    "billing.view": "See invoices and payments",
    "billing.create": "Create and issue invoices",
    "billing.payment": "Take payments",
    "billing.cancel": "Cancel invoices, issue credit notes",
    "billing.settlement": "Run the daily settlement",
    "refunds.create": "Refund payments",
    "refunds.approve": "Approve refunds",
    "insurance.view": "See policies and claims",
    "insurance.manage": "Edit providers and policies",
    "insurance.claims": "Submit pre-authorisations and claims",
    "inventory.view": "See stock, suppliers and orders",
    "inventory.purchase": "Raise purchase orders",
    "inventory.receive": "Receive goods (GRN)",
    "inventory.adjust": "Request stock adjustments",
    "inventory.count": "Run cycle counts",
    "inventory.approve": "Approve adjustments and counts",
    "reports.view": "See reports",
    "reports.export": "Export reports",
    "audit.view": "Search the audit trail",
    "audit.verify": "Verify the audit trail",
    "notifications.view": "See notifications",
    "notifications.templates": "Edit notification templates",
    "notifications.send": "Send messages to patients",
    "users.view": "See staff accounts",
    "users.manage": "Create, disable and reset staff accounts",
    "roles.view": "See roles",
    "roles.manage": "Edit roles and their permissions",
    "settings.view": "See clinic settings",
    "settings.manage": "Edit clinic settings, departments and taxes",
    "sync.manage": "Enrol this PC and run sync",
}

SUPER_ADMIN = "Super Admin"
# Permissions over the system itself. Nobody can hand these out (in a role or by giving a role) without
# holding them; and only a Super Admin makes Super Admins. The full rules: ``security.grant_rules``.
PRIVILEGED = frozenset({"users.manage", "roles.manage", "settings.manage", "audit.view", "audit.verify", "sync.manage"})


def may_grant(actor_permissions: frozenset[str], actor_roles: tuple[str, ...], role_name: str, codes: set[str]) -> bool:
    """The privileged-codes part of giving a system role (``grant_rules.role_assignment_refusal`` has the rest)."""
    if "*" in actor_permissions:
        return True
    if role_name == SUPER_ADMIN and SUPER_ADMIN not in actor_roles:
        return False
    return (codes & PRIVILEGED) <= actor_permissions


def _area(*areas: str, only: tuple[str, ...] = ()) -> set[str]:
    codes = {c for c in CATALOGUE if c.split(".")[0] in areas}
    return codes | set(only)


DEFAULT_ROLES: dict[str, tuple[str, set[str]]] = {
    SUPER_ADMIN: ("Everything, including roles and the audit trail", set(CATALOGUE)),
    "Admin": (
        "Runs the clinic's set-up and staff",
        _area("users", "roles", "settings", "doctors", "audit", "reports", "notifications", "sync")
        | {"patients.view", "appointments.view", "queue.view", "billing.view", "inventory.view"},
    ),
    "Receptionist": (
        "Front desk: registration, appointments, the queue",
        (_area("appointments", "queue", "patients") - {"patients.delete"}) | {"doctors.view", "notifications.view"},
    ),
    "Nurse": (
        "Calls patients, sees records and vitals",
        {"patients.view", "patients.update", "appointments.view", "appointments.checkin", "doctors.view"}
        | _area("queue")
        | {"prescriptions.view", "lab.view", "notifications.view", "clinical.vitals"},
    ),
    "Doctor": (
        "Consultation: prescriptions, eye Rx, lab orders",
        {
            "patients.view",
            "patients.documents",
            "appointments.view",
            "appointments.create",
            "appointments.update",
            "doctors.view",
        }
        | _area("queue", "prescriptions", "clinical")
        | {
            "optical.view",
            "optical.prescribe",
            "lab.view",
            "lab.order",
            "notifications.view",
            "reports.view",
        },
    ),
    "Pharmacist": (
        "Dispensing, returns, medicine stock",
        {"patients.view", "prescriptions.view", "notifications.view"}
        | _area("pharmacy")
        | {"inventory.view", "inventory.receive", "inventory.adjust", "inventory.count", "billing.view"},
    ),
    "Optical Staff": (
        "Eye prescriptions, optical orders and repairs",
        {"patients.view", "appointments.view", "notifications.view", "billing.view", "inventory.view"}
        | (_area("optical") - {"optical.catalog"}),
    ),
    "Lab Technician": (
        "Samples and results",
        {"patients.view", "notifications.view"} | (_area("lab") - {"lab.catalog"}),
    ),
    "Cashier": (
        "Invoices, payments, refunds, the day's settlement",
        {"patients.view", "appointments.view", "notifications.view", "insurance.view", "reports.view"}
        | (_area("billing") - {"billing.cancel"})
        | {"refunds.create"},
    ),
    "Inventory Manager": (
        "Suppliers, purchase orders, receipts, counts",
        {"notifications.view", "reports.view", "pharmacy.view", "pharmacy.catalog", "optical.view"}
        | _area("inventory"),
    ),
    "Insurance Desk": (
        "Policies, pre-authorisations and claims",
        {"patients.view", "patients.documents", "billing.view", "notifications.view"} | _area("insurance"),
    ),
}

# The largest discount each default role may give (basis points of a line's price; the admin changes them in
# Admin > Roles). Roles not named here give none.
DEFAULT_DISCOUNT_LIMITS: dict[str, int] = {
    SUPER_ADMIN: 10000,
    "Admin": 2000,
    "Optical Staff": 1000,
    "Cashier": 1000,
    "Pharmacist": 500,
}

SERVICE_REGISTRY: dict[str, str | None] = {}  # "module.function" -> permission code (None: public)


def _register(fn: Callable[..., Any], code: str | None) -> None:
    SERVICE_REGISTRY[f"{fn.__module__}.{fn.__qualname__}"] = code


def requires(code: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    if code not in CATALOGUE:
        raise ValueError(f"unknown permission code {code!r}")

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def gated(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx = args[0] if args else kwargs.get("ctx")
            if not isinstance(ctx, Context):
                raise TypeError(f"{fn.__qualname__} takes the Context first")
            check(ctx, code, fn.__qualname__)
            return fn(*args, **kwargs)

        gated.permission = code  # type: ignore[attr-defined]
        _register(gated, code)
        return gated

    return decorate


def public(fn: Callable[P, R]) -> Callable[P, R]:
    """Marks a service function anyone may call (it does its own checks, e.g. a password)."""
    fn.permission = None  # type: ignore[attr-defined]
    _register(fn, None)
    return fn


def _deny_until_changed(ctx: Context, code: str) -> NoReturn:
    """A temporary password: every gated call is refused (and audited) until the user sets their own."""
    open_tx = current_transaction(ctx.engine)
    if open_tx is None:
        _record_denial(ctx, code, "temporary password not changed yet")
    else:
        open_tx.after_end.append(lambda: _record_denial(ctx, code, "temporary password not changed yet"))
    raise PasswordChangeRequired(code, MUST_CHANGE)


def check(ctx: Context, code: str, what: str = "") -> None:
    """Raise ``PermissionDenied`` unless the actor holds ``code`` now; the denial is audited either way.

    A signed-in user's codes are not the ones read at sign-in: ``live_access.standing`` reads, once per
    transaction, whether the account is still active, whether its session was revoked, and its current roles'
    codes. A revoked account or session raises ``SessionEnded`` (a ``PermissionDenied`` the screens answer by
    signing the user out). The system actor keeps ``"*"``.

    Outside a transaction the denial's audit row is written at once. Inside one (a service calling another)
    it is written once that outer transaction has ended, in a transaction of its own: the action the denial
    stops is rolled back, the record of the denial is kept, and nothing waits on the store's write lock.
    """
    now = standing(ctx)
    if now is None:
        allowed, ended = ctx.actor.can(code), None
    else:
        allowed, ended = now.ended is None and code in now.permissions, now.ended
    if allowed and now is not None and now.must_change:
        _deny_until_changed(ctx, code)
    if allowed:
        return
    detail = f"{what} ({ended})" if ended else what
    open_tx = current_transaction(ctx.engine)
    if open_tx is None:
        _record_denial(ctx, code, detail)
    else:
        open_tx.after_end.append(lambda: _record_denial(ctx, code, detail))
    if ended:
        raise SessionEnded(code, ended)
    raise PermissionDenied(code)


def deny(tx: Transaction, code: str, message: str) -> NoReturn:
    """Refuse the action with ``message`` (a grant rule's sentence): ``PermissionDenied``, audited as a denial
    once the action has rolled back (the outermost transaction's end), in a transaction of its own."""
    ctx = tx.ctx
    tx.root.after_end.append(lambda: _record_denial(ctx, code, message))
    raise PermissionDenied(code, message)


def _record_denial(ctx: Context, code: str, what: str) -> None:
    from hms_desktop.audit.trail import record

    with ctx.transaction() as tx:
        record(tx, "permission_denied", entity_type="permission", entity_id=code, outcome="denied", detail=what)
        tx.commit()
