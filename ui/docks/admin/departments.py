"""Departments tab: the list (inactive ones on request), add, edit, deactivate and reactivate."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.services.admin.departments import (
    DepartmentView,
    create_department,
    deactivate_department,
    list_departments,
    update_department,
)
from ui.docks.admin.common import AdminTab, button, fill, line, message_label, row_key, row_of, say, table
from ui.forms import FieldErrors
from ui.qt import QCheckBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run


class DepartmentsTab(AdminTab):
    WATCHED = ("departments",)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("settings.manage")
        self.departments: dict[uuid.UUID, DepartmentView] = {}
        self.editing: DepartmentView | None = None
        self.table = table("departmentsTable", ["Code", "Name", "Description", "Status"])
        self.table.itemSelectionChanged.connect(self._selected)
        self.show_inactive = QCheckBox("Show inactive departments")
        self.show_inactive.setObjectName("showInactiveDepartments")
        self.show_inactive.toggled.connect(lambda _on: self.refresh())
        self.form_box = QGroupBox("New department")
        form = QFormLayout()
        self.code = line("departmentCode", "2 to 16 letters or digits, e.g. ENT", self.save)
        self.name = line("departmentName", "e.g. Ear, Nose and Throat", self.save)
        self.description = line("departmentDescription", "optional", self.save)
        form.addRow("Code *", self.code)
        form.addRow("Name *", self.name)
        form.addRow("Description", self.description)
        general = QLabel()
        self.errors = FieldErrors(
            form, {"code": self.code, "name": self.name, "description": self.description}, general
        )
        self.save_button = button("Add department", "saveDepartment", self.save)
        self.new_button = button("New", "newDepartment", self.clear)
        self.deactivate_button = button("Deactivate", "deactivateDepartment", self.deactivate)
        self.reactivate_button = button("Reactivate", "reactivateDepartment", self.reactivate)
        fbox = QVBoxLayout(self.form_box)
        fbox.addWidget(general)
        fbox.addLayout(form)
        fbox.addLayout(row_of(self.save_button, self.new_button, self.deactivate_button, self.reactivate_button))
        self.status = message_label("departmentsStatus")
        box = QVBoxLayout(self)
        box.addWidget(self.show_inactive)
        box.addWidget(self.table, 1)
        box.addWidget(self.form_box)
        box.addWidget(self.status)
        self.form_box.setVisible(self.manage)
        self._buttons()

    def refresh(self) -> None:
        ctx, inactive = self.session.ctx, self.show_inactive.isChecked()
        run(self, lambda: list_departments(ctx, include_inactive=inactive), done=self._loaded)

    def _loaded(self, departments: list[DepartmentView]) -> None:
        self.departments = {d.id: d for d in departments}
        rows = [[d.code, d.name, d.description, "active" if d.is_active else "inactive"] for d in departments]
        fill(self.table, rows, [d.id for d in departments])
        self._buttons()

    def selected(self) -> DepartmentView | None:
        key = row_key(self.table)
        return self.departments.get(key) if key is not None else None

    def _buttons(self) -> None:
        d = self.editing
        self.deactivate_button.setEnabled(d is not None and d.is_active)
        self.reactivate_button.setEnabled(d is not None and not d.is_active)

    def _selected(self) -> None:
        d = self.selected()
        if d is None:
            return
        self.editing = d
        self.form_box.setTitle(f"Edit {d.name}")
        self.save_button.setText("Save changes")
        self.code.setText(d.code)
        self.name.setText(d.name)
        self.description.setText(d.description)
        self.errors.clear()
        self._buttons()

    def clear(self) -> None:
        self.editing = None
        self.form_box.setTitle("New department")
        self.save_button.setText("Add department")
        for w in (self.code, self.name, self.description):
            w.clear()
        self.errors.clear()
        self.table.clearSelection()
        self._buttons()
        self.code.setFocus()

    def save(self) -> None:
        if not self.manage or not self.save_button.isEnabled():
            return
        self.errors.clear()
        ctx, code, name, description = self.session.ctx, self.code.text(), self.name.text(), self.description.text()
        editing = self.editing
        call: Callable[[], DepartmentView]
        if editing is None:
            call = lambda: create_department(ctx, code, name, description)  # noqa: E731
        else:
            call = lambda: update_department(ctx, editing.id, code=code, name=name, description=description)  # noqa: E731
        self.save_button.setEnabled(False)
        run(self, call, done=self._saved, failed=self._failed, label="Saving...")

    def _saved(self, d: DepartmentView) -> None:
        self.save_button.setEnabled(True)
        say(self.status, f"Saved {d.code} {d.name}.")
        self.clear()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(exc)

    def deactivate(self) -> None:
        if self.editing is not None:
            self._switch(deactivate_department, "is no longer offered")

    def reactivate(self) -> None:
        if self.editing is not None:
            self._switch(lambda ctx, i: update_department(ctx, i, is_active=True), "is active again")

    def _switch(self, fn: Callable[..., DepartmentView], text: str) -> None:
        assert self.editing is not None
        ctx, dept_id = self.session.ctx, self.editing.id

        def done(d: DepartmentView) -> None:
            say(self.status, f"{d.name} {text}.")
            self.clear()
            self.refresh()

        run(self, lambda: fn(ctx, dept_id), done=done, failed=self.errors.show)
