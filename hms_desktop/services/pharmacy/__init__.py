"""Pharmacy and inventory: the medicine catalogue, batches, dispensing and returns, suppliers, purchase orders,
goods receipts, adjustments and cycle counts. Every stock change goes through ``hms_desktop.stock``. Screens: the
Pharmacy and Inventory docks. Models: ``db.models.pharmacy``, ``inventory``.
"""
