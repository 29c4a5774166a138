"""The dockable modules. Each is a package under ``ui/docks/<name>/`` whose ``__init__`` is cheap; its widget
module is imported and built the first time the dock is shown (Frescobaldi's panels)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ui.qt import QWidget


@dataclass(frozen=True)
class DockSpec:
    key: str
    title: str
    permissions: tuple[str, ...]  # any one of these offers the dock
    widget: str  # "module:Class"
    area: str = "left"

    def build(self, window: QWidget) -> QWidget:
        module_name, cls_name = self.widget.split(":")
        factory: Callable[[QWidget], QWidget] = getattr(importlib.import_module(module_name), cls_name)
        return factory(window)


DOCKS: tuple[DockSpec, ...] = (
    DockSpec("reception", "Reception", ("patients.view", "appointments.view"), "ui.docks.reception.widget:Reception"),
    DockSpec("doctor", "Doctor", ("clinical.consult", "clinical.vitals"), "ui.docks.doctor.widget:DoctorDock"),
    DockSpec("pharmacy", "Pharmacy", ("pharmacy.dispense",), "ui.docks.pharmacy.widget:PharmacyDock"),
    DockSpec(
        "inventory", "Inventory", ("inventory.view", "pharmacy.catalog"), "ui.docks.inventory.widget:InventoryDock"
    ),
    DockSpec(
        "optical",
        "Optical",
        ("optical.orders", "optical.repairs", "optical.catalog", "optical.view"),
        "ui.docks.optical.widget:OpticalDock",
    ),
    DockSpec(
        "admin",
        "Admin",
        ("users.manage", "roles.manage", "settings.manage", "doctors.manage", "sync.manage"),
        "ui.docks.admin.widget:AdminDock",
        "right",
    ),
    DockSpec("audit", "Audit", ("audit.view",), "ui.docks.audit.widget:AuditDock", "right"),
    DockSpec("lab", "Lab", ("lab.results", "lab.verify"), "ui.docks.lab.widget:LabDock"),
)
