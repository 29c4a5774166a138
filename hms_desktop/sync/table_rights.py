"""Which permission lets a user write each synced table: the server's check of every pushed change's author.

On a PC the services decide who may do what, call by call (``@requires``). The sync server cannot replay a
service, so it checks each pushed row against the rights that could have written it: a change to a table is
accepted from a proven author who holds at least one of the table's codes here (``WRITE_RIGHTS``). The sets are
the union over every service that writes the table (completing a visit closes its appointment and queue entry
and leaves the fee's charge: ``clinical.consult`` is among the rights of all three).

Identity and access tables (users, roles, their links, permission codes, the clinic's settings, conflicts) are
judged by finer rules in ``hms_desktop.sync.server.authorize``. The audit trail and in-app notifications
(``ANY_AUTHOR``) are written as a side effect of almost every action, by any user and by the system; the audit
trail is further bound to its PC's own chain. ``SYSTEM_WRITES`` are the tables the system itself (no user:
message delivery, enrolment) writes on an enrolled PC.

``tests/test_table_rights.py`` checks that every synced table is named here or in ``authorize.ACCESS``; the test
suite runs with ``HMS_CHECK_WRITE_RIGHTS`` set, so a service that writes a table with a right not listed here
fails its own tests (``hms_desktop.sync.authorship``) instead of having its rows refused by the server.
"""

from __future__ import annotations

import os


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


_APPOINTMENT_WRITERS = _codes(
    "appointments.create", "appointments.update", "appointments.cancel", "appointments.checkin", "queue.manage",
    "clinical.consult",
)  # fmt: skip
_STOCK_WRITERS = _codes(
    "pharmacy.dispense", "pharmacy.returns", "inventory.receive", "inventory.adjust", "inventory.count",
    "inventory.approve", "optical.orders",
)  # fmt: skip
_BILLING = _codes("billing.create", "billing.cancel", "billing.payment", "refunds.create", "refunds.approve")
_INSURANCE = _codes("insurance.manage", "insurance.claims")

SETTINGS_TABLES = ("hospital_settings", "hospitals", "departments", "tax_configurations")
# identity and access: the permission each needs, then finer rules in ``sync.server.authorize`` (None: nobody)
ACCESS: dict[str, str | None] = {
    "users": "users.manage",
    "user_roles": "users.manage",
    "roles": "roles.manage",
    "role_permissions": "roles.manage",
    "permissions": None,  # codes come with the program (migrations), never from a PC
    "sync_conflicts": "sync.manage",
    **dict.fromkeys(SETTINGS_TABLES, "settings.manage"),
}

WRITE_RIGHTS: dict[str, frozenset[str]] = {
    # the front desk
    "patients": _codes("patients.create", "patients.update", "patients.delete"),
    "patient_consents": _codes("patients.consents"),
    "patient_documents": _codes("patients.documents"),
    "id_cards": _codes("patients.print_card", "patients.create"),
    "appointments": _APPOINTMENT_WRITERS,
    "appointment_status_log": _APPOINTMENT_WRITERS,
    "appointment_queue": _APPOINTMENT_WRITERS,
    "doctors": _codes("doctors.manage"),
    "doctor_fees": _codes("doctors.manage"),
    "doctor_leaves": _codes("doctors.manage", "doctors.view"),  # anyone who sees doctors may request a leave
    "doctor_schedules": _codes("doctors.manage"),
    # the consultation room and the lab
    "consultations": _codes("clinical.consult"),
    "consultation_diagnoses": _codes("clinical.consult"),
    "vitals": _codes("clinical.vitals", "clinical.consult"),
    "patient_allergies": _codes("clinical.vitals", "clinical.consult", "patients.update"),
    "prescriptions": _codes("prescriptions.create", "prescriptions.update", "pharmacy.dispense"),
    "prescription_items": _codes("prescriptions.create", "prescriptions.update"),
    "prescription_versions": _codes("prescriptions.create", "prescriptions.update"),
    "prescription_templates": _codes("prescriptions.templates", "prescriptions.create"),
    "lab_tests": _codes("lab.catalog"),
    "lab_orders": _codes("lab.order", "lab.results", "lab.verify"),
    "charges": _codes(
        "clinical.consult",
        "lab.order",
        "pharmacy.dispense",
        "pharmacy.returns",
        "optical.orders",
        "optical.repairs",
        "billing.create",
        "billing.cancel",
    ),  # fmt: skip
    # optical
    "optical_prescriptions": _codes("optical.prescribe", "optical.orders"),  # an outside Rx typed in with an order
    "optical_products": _codes("optical.catalog", "inventory.receive", "inventory.adjust", "inventory.count"),
    "optical_orders": _codes("optical.orders"),
    "optical_order_items": _codes("optical.orders"),
    "optical_repairs": _codes("optical.repairs"),
    "optical_status_events": _codes("optical.orders", "optical.repairs"),
    # pharmacy and stock
    "medicines": _codes("pharmacy.catalog", "inventory.purchase"),
    "medicine_batches": _STOCK_WRITERS,
    "stock_movements": _STOCK_WRITERS,
    "stock_adjustments": _codes("inventory.adjust", "inventory.approve", "inventory.count"),
    "cycle_counts": _codes("inventory.count", "inventory.approve"),
    "cycle_count_items": _codes("inventory.count", "inventory.approve"),
    "suppliers": _codes("inventory.purchase"),
    "purchase_orders": _codes("inventory.purchase", "inventory.receive"),
    "purchase_order_items": _codes("inventory.purchase", "inventory.receive"),
    "goods_receipt_notes": _codes("inventory.receive"),
    "grn_items": _codes("inventory.receive"),
    "pharmacy_dispensing": _codes("pharmacy.dispense", "pharmacy.returns"),
    "pharmacy_dispensing_items": _codes("pharmacy.dispense", "pharmacy.returns"),
    "schedule_register": _codes("pharmacy.dispense"),
    "pharmacy_returns": _codes("pharmacy.returns"),
    "pharmacy_return_items": _codes("pharmacy.returns"),
    # money
    "invoices": _BILLING,
    "invoice_items": _BILLING,
    "payments": _codes("billing.payment"),
    "refunds": _codes("refunds.create", "refunds.approve"),
    "credit_notes": _codes("refunds.create", "refunds.approve", "billing.cancel"),
    "daily_settlements": _codes("billing.settlement"),
    "insurance_providers": _INSURANCE,
    "insurance_policies": _INSURANCE,
    "pre_authorizations": _INSURANCE,
    "insurance_claims": _INSURANCE,
    # messages
    "notification_templates": _codes("notifications.templates"),
}
ANY_AUTHOR = frozenset({"audit_logs", "notifications"})
SYSTEM_WRITES = frozenset({"audit_logs", "notifications"})


def may_write(table: str, permissions: frozenset[str]) -> bool:
    """Whether a user holding ``permissions`` may write ``table`` (identity and access tables: the permission
    ``ACCESS`` names, before ``authorize``'s finer rules; a table of no list: nobody)."""
    if "*" in permissions or table in ANY_AUTHOR:
        return True
    if table in ACCESS:
        needed = ACCESS[table]
        return needed is not None and needed in permissions
    rights = WRITE_RIGHTS.get(table)
    return rights is not None and bool(rights & permissions)


def check(actor_permissions: frozenset[str], user_id: object, tables: set[str]) -> None:
    """The test suite's check (``checking()``): a user's action wrote only tables their rights allow."""
    if user_id is None:
        return
    # ``users``: a user changes their own password without users.manage (the server's finer rule)
    wrong = sorted(t for t in tables if t != "users" and not may_write(t, actor_permissions))
    if wrong:
        raise AssertionError(
            f"a user holding {sorted(actor_permissions)} wrote {wrong}: add the right to sync/table_rights.py"
        )


def checking() -> bool:
    """True while the test suite checks every user's write against ``WRITE_RIGHTS`` as it commits."""
    return bool(os.environ.get("HMS_CHECK_WRITE_RIGHTS"))
