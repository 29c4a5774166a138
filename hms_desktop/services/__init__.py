"""Everything a user can do, grouped by domain; each function takes the Context first and is gated by
``@requires("area.action")`` (or marked ``@public``).

    admin/       identity and administration (Admin and Audit docks)
    reception/   patients, doctors, appointments, the queue (Reception dock)
    clinical/    consultations, prescriptions, lab (Doctor dock)
    pharmacy/    medicines, dispensing, stock and purchasing (Pharmacy and Inventory docks)
    optical/     eye prescriptions, optical orders and repairs (Optical dock)
    billing/     invoices, payments, refunds, insurance (Billing and Insurance docks)
    messaging/   notifications: templates, the queue, e-mail, in-app messages
    reports/     figures over the other domains (Reports dock)

A domain's module may call another domain's service (it joins the caller's transaction: ``hms_desktop.context``).
The shared machinery lives below them in ``hms_desktop``: ``context`` (unit of work), ``security.permissions``,
``audit``, ``series`` (code series), ``stock`` (the stock ledger), ``changes`` (the change broadcast),
``settings`` (reading the clinic's settings), ``paging``, ``links``. Services never import ``hms_desktop.sync``.
"""
