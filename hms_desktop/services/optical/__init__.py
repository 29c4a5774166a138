"""Optical: eye prescriptions, frames and lenses, orders and repairs; optical stock through ``hms_desktop.stock``.
Screen: the Optical dock. Models: ``db.models.optical``.
"""
