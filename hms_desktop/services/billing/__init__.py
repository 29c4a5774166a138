"""Billing and insurance: invoices and bills of supply (GST series in ``hms_desktop.series``), payments, refunds,
credit notes, the day's settlement, policies, pre-authorisations and claims. Screens: the Billing and Insurance
docks. Models: ``db.models.billing``, ``insurance``.
"""
