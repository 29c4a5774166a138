"""Clinical (the doctor's part): consultations, prescriptions with versions and templates, lab orders and results.
Screen: the Doctor dock. Models: ``db.models.prescriptions``, ``lab``. Codes: ``series.PRESCRIPTIONS``,
``series.LAB_ORDERS``.
"""
