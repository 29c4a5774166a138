"""Inventory: purchase to shelf, adjustments, counts and alerts (the Inventory dock). Every stock change goes
through ``hms_desktop.stock``; this package may use ``services.pharmacy`` (pricing), never the other way.

- ``suppliers``: the distributors (GSTIN checked, payment terms, drug licence);
- ``purchase_orders`` (with ``purchase_order_views`` and ``purchase_order_print``, the PO PDF): draft -> sent ->
  partly received -> received, or closed / cancelled;
- ``goods_receipts`` (with ``goods_receipt_views``): GRNs against a PO or direct, creating the batches and their
  ``receipt`` movements in one transaction;
- ``purchase_common``: the checks and labels the three share;
- ``adjustments`` (maker-checker), ``cycle_counts`` (blind count sheets), ``alerts`` (expiry, reorder, shortfalls).
"""
