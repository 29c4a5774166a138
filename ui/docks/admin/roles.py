"""Roles tab: the permission matrix. Rows are the permission codes grouped by area (with what each allows),
columns are the roles; a tick gives the permission. Save writes every changed role with one ``update_role``
each. Super Admin (built in) always holds everything, so its column is read-only. The rules of
``security.grant_rules`` decide the rest: a box can be ticked only for a right the signed-in user holds, and the
columns of the user's own roles are read-only (but for a Super Admin); the service applies the same rules.

The first row shows each role's discount limit (the most its holders may take off a line's price); Enter on a
cell there, or Alt+L, goes to the discount limit box below (``role_limits``), which saves a limit at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.security.grant_rules import holder_of, role_edit_refusal
from hms_desktop.security.permissions import CATALOGUE
from hms_desktop.services.admin.roles import RoleView, create_role, delete_role, list_roles, update_role
from ui.docks.admin.common import AdminTab, button, line, message_label, row_of, say
from ui.docks.admin.role_limits import DiscountLimitBox
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QFont,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QMessageBox,
    QShortcut,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run

FIXED_COLUMNS = 2  # permission, what it allows
LIMIT_ROW = 0  # the discount limits, above the permissions
CHANGED = QBrush(QColor("#fff3bf"))


def areas() -> dict[str, list[str]]:
    """Codes by area (``patients.view`` -> ``patients``), in the catalogue's order."""
    grouped: dict[str, list[str]] = {}
    for code in CATALOGUE:
        grouped.setdefault(code.split(".")[0], []).append(code)
    return grouped


class RolesTab(AdminTab):
    WATCHED = ("roles", "role_permissions")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("roles.manage")
        self.roles: list[RoleView] = []
        self.original: dict[str, frozenset[str]] = {}  # role name -> permissions as stored
        self.state: dict[str, set[str]] = {}  # role name -> permissions as ticked
        self.rows: dict[str, int] = {}  # code -> row
        self.columns: dict[str, int] = {}  # role name -> column
        self._building = False
        self.matrix = QTableWidget()
        self.matrix.setObjectName("permissionMatrix")
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.verticalHeader().hide()
        self.matrix.verticalHeader().setDefaultSectionSize(self.matrix.fontMetrics().height() + 8)
        self.matrix.setTabKeyNavigation(False)  # Tab leaves the matrix (for the boxes below); arrows move in it
        self.matrix.itemChanged.connect(self._changed)
        self.matrix.currentCellChanged.connect(lambda row, col, _r, _c: self._column_chosen(col))
        self.matrix.cellActivated.connect(self._activated)
        self.save_button = button("Save changes", "saveRoles", self.save)
        self.revert_button = button("Undo changes", "revertRoles", self.refresh)
        self.new_name = line("newRoleName", "name of a new role", self.add_role)
        self.add_button = button("Add role", "addRole", self.add_role)
        self.delete_button = button("Delete the selected role...", "deleteRole", self.delete)
        self.message = message_label("rolesMessage")
        self.limits = DiscountLimitBox(session, self._limit_saved)
        hint = QLabel(
            "Tick a box to give a role that permission; Space ticks the selected box. Ctrl+S saves."
            " Enter on a role's discount limit (or Alt+L) changes it in the box below."
        )
        hint.setWordWrap(True)
        actions = QVBoxLayout()
        actions.addLayout(row_of(self.save_button, self.revert_button))
        actions.addLayout(row_of(self.new_name, self.add_button, self.delete_button))
        actions.addStretch()
        bottom = QHBoxLayout()
        bottom.addLayout(actions, 1)
        bottom.addWidget(self.limits)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.matrix, 1)
        box.addWidget(self.message)
        box.addLayout(bottom)
        for w in (self.save_button, self.revert_button, self.new_name, self.add_button, self.delete_button):
            w.setVisible(self.manage)
        hint.setVisible(self.manage)
        self.limits.setVisible(self.manage)
        for keys, slot in (("Ctrl+S", self.save), ("Alt+L", self._to_limit)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._dirty_changed()

    # --- loading and drawing

    def refresh(self) -> None:
        run(self, list_roles, self.session.ctx, done=self._loaded)

    def activate(self) -> None:
        if not self.dirty():  # coming back to the tab keeps unsaved ticks
            super().activate()

    def _loaded(self, roles: list[RoleView]) -> None:
        self.roles = roles
        self.original = {r.name: r.permissions for r in roles}
        self.state = {r.name: set(r.permissions) for r in roles}
        self._draw()
        self.limits.show_roles(roles)

    def refusal(self, role: RoleView, code: str) -> str | None:
        """Why the signed-in user may not tick or untick ``code`` for ``role`` (None: they may)."""
        if role.is_system:
            return "Super Admin always holds every permission."
        if not self.manage:
            return "You cannot edit roles."
        before = self.original.get(role.name, role.permissions)
        after = before - {code} if code in before else before | {code}
        return role_edit_refusal(holder_of(self.session.actor), role.name, role.is_system, before, after)

    def editable(self, role: RoleView, code: str) -> bool:
        return self.refusal(role, code) is None

    def _draw(self) -> None:
        self._building = True
        grouped = areas()
        m = self.matrix
        m.clear()
        m.clearSpans()
        m.setColumnCount(FIXED_COLUMNS + len(self.roles))
        m.setRowCount(1 + len(grouped) + len(CATALOGUE))
        m.setHorizontalHeaderLabels(["Permission", "What it allows", *[r.name for r in self.roles]])
        self.columns = {r.name: FIXED_COLUMNS + i for i, r in enumerate(self.roles)}
        for r in self.roles:
            label = m.horizontalHeaderItem(self.columns[r.name])
            assert label is not None  # set by setHorizontalHeaderLabels
            label.setToolTip(r.description + (" (built in: always every permission)" if r.is_system else ""))
        self.rows = {}
        bold = QFont()
        bold.setBold(True)
        self._draw_limits(bold)
        row = LIMIT_ROW + 1
        for area, codes in grouped.items():
            title = QTableWidgetItem(area.replace("_", " ").capitalize())
            title.setFont(bold)
            title.setFlags(Qt.ItemFlag.ItemIsEnabled)
            m.setItem(row, 0, title)
            m.setSpan(row, 0, 1, m.columnCount())
            row += 1
            for code in codes:
                self.rows[code] = row
                for col, text in ((0, code), (1, CATALOGUE[code])):
                    item = QTableWidgetItem(text)
                    item.setToolTip(CATALOGUE[code])
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    m.setItem(row, col, item)
                for role in self.roles:
                    m.setItem(row, self.columns[role.name], self._cell(role, code))
                row += 1
        header = m.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)  # long texts: the roles stay in view
        m.setColumnWidth(1, 200)
        self._building = False
        self._dirty_changed()

    def _draw_limits(self, bold: QFont) -> None:
        m = self.matrix
        what = "The most a holder may take off a line's price (a user: the largest of their roles')"
        for col, text in ((0, "Discount limit"), (1, what)):
            item = QTableWidgetItem(text)
            item.setToolTip(what)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            if col == 0:
                item.setFont(bold)
            m.setItem(LIMIT_ROW, col, item)
        for role in self.roles:
            m.setItem(LIMIT_ROW, self.columns[role.name], self._limit_cell(role))

    def _limit_cell(self, role: RoleView) -> QTableWidgetItem:
        item = QTableWidgetItem("any" if role.is_system else f"{role.discount_limit_text}%")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if role.is_system:
            item.setToolTip("Super Admin may always give any discount.")
        elif self.manage:
            item.setToolTip("Press Enter to change it in the discount limit box.")
        return item

    def limit_cell(self, role: str) -> QTableWidgetItem:
        """The discount limit shown for ``role``."""
        item = self.matrix.item(LIMIT_ROW, self.columns[role])
        assert item is not None  # filled by _draw
        return item

    def _column_chosen(self, col: int) -> None:
        role = next((r for r in self.roles if self.columns.get(r.name) == col), None)
        if role is not None and not role.is_system:
            self.limits.pick(role.id)

    def _activated(self, row: int, col: int) -> None:
        role = next((r for r in self.roles if self.columns.get(r.name) == col), None)
        if row == LIMIT_ROW and role is not None and not role.is_system and self.manage:
            self.limits.pick(role.id, focus=True)

    def _to_limit(self) -> None:
        if self.manage:
            self.limits.limit.setFocus()
            self.limits.limit.selectAll()

    def _limit_saved(self, role: RoleView) -> None:
        self.roles = [role if r.id == role.id else r for r in self.roles]
        if role.name in self.columns:
            self._building = True
            self.matrix.setItem(LIMIT_ROW, self.columns[role.name], self._limit_cell(role))
            self._building = False
        pending = self.changed_roles()
        unsaved = f" Not saved yet: {', '.join(r.name for r in pending)}." if pending else ""
        say(self.message, f"Saved: {role.name} may give up to {role.discount_limit_text}% off a line.{unsaved}")

    def _cell(self, role: RoleView, code: str) -> QTableWidgetItem:
        item = QTableWidgetItem()
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        why = self.refusal(role, code)
        if why is None:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        else:
            item.setToolTip(why)
        item.setFlags(flags)
        ticked = role.is_system or code in self.state[role.name]
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        item.setData(Qt.ItemDataRole.UserRole, (role.name, code))
        if code in self.state[role.name] and code not in self.original.get(role.name, frozenset()):
            item.setBackground(CHANGED)
        elif code not in self.state[role.name] and code in self.original.get(role.name, frozenset()):
            item.setBackground(CHANGED)
        return item

    def cell(self, code: str, role: str) -> QTableWidgetItem:
        """The tick box of ``code`` for ``role``."""
        item = self.matrix.item(self.rows[code], self.columns[role])
        assert item is not None  # every cell of the matrix is filled by _draw
        return item

    # --- ticking

    def _changed(self, item: QTableWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if self._building or not key:
            return
        name, code = key
        chosen = self.state[name]
        if item.checkState() == Qt.CheckState.Checked:
            chosen.add(code)
        else:
            chosen.discard(code)
        self._building = True
        item.setBackground(CHANGED if (code in chosen) != (code in self.original[name]) else QBrush())
        self._building = False
        self._dirty_changed()

    def changed_roles(self) -> list[RoleView]:
        return [r for r in self.roles if not r.is_system and self.state[r.name] != self.original[r.name]]

    def dirty(self) -> bool:
        return bool(self.changed_roles())

    def _dirty_changed(self) -> None:
        changed = self.changed_roles()
        self.save_button.setEnabled(bool(changed))
        self.revert_button.setEnabled(bool(changed))
        if changed:
            say(self.message, "Not saved yet: " + ", ".join(r.name for r in changed) + ".")

    # --- saving, adding, deleting

    def save(self) -> None:
        if not self.manage:
            return
        changes = [(r.id, sorted(self.state[r.name])) for r in self.changed_roles()]
        if not changes:
            return
        self.save_button.setEnabled(False)
        ctx = self.session.ctx

        def write() -> list[RoleView]:
            return [update_role(ctx, role_id, permissions=codes) for role_id, codes in changes]

        run(self, write, done=self._saved, failed=self._save_failed, label="Saving roles...")

    def _saved(self, saved: list[RoleView]) -> None:
        for role in saved:
            self.original[role.name] = role.permissions
        self._draw()
        say(self.message, "Saved: " + ", ".join(r.name for r in saved) + ".")

    def _save_failed(self, exc: BaseException) -> None:
        """Some roles may have been saved before the one that failed: take the stored sets as the new baseline,
        keep the ticks, so only what is still unsaved shows as changed."""
        text = getattr(exc, "message", str(exc))

        def rebase(roles: list[RoleView]) -> None:
            self.original.update({r.name: r.permissions for r in roles})
            self._draw()
            say(self.message, text, error=True)

        run(self, list_roles, self.session.ctx, done=rebase)

    def add_role(self) -> None:
        name = self.new_name.text()
        self._job(lambda ctx: create_role(ctx, name, []), self._added)

    def _added(self, role: RoleView) -> None:
        self.new_name.clear()
        self.roles = sorted([*self.roles, role], key=lambda r: r.name)
        self.original[role.name] = role.permissions
        self.state[role.name] = set(role.permissions)
        self._draw()
        self.limits.show_roles(self.roles)
        say(self.message, f"Added {role.name}: tick its permissions, then Save.")

    def selected_role(self) -> RoleView | None:
        col = self.matrix.currentColumn()
        return next((r for r in self.roles if self.columns.get(r.name) == col), None)

    def delete(self) -> None:
        role = self.selected_role()
        if role is None:
            say(self.message, "Click a box in the role's column first.", error=True)
            return
        answer = QMessageBox.question(self, "Delete role", f"Delete the role {role.name}?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_role(role.id)

    def delete_role(self, role_id: uuid.UUID) -> None:
        self._job(lambda ctx: delete_role(ctx, role_id), lambda _r: self._deleted(role_id))

    def _deleted(self, role_id: uuid.UUID) -> None:
        gone = next(r for r in self.roles if r.id == role_id)
        self.roles = [r for r in self.roles if r.id != role_id]
        self.original.pop(gone.name, None)
        self.state.pop(gone.name, None)
        self._draw()
        self.limits.show_roles(self.roles)
        say(self.message, f"Deleted {gone.name}.")

    def _job(self, call: Callable[..., object], done: Callable[..., None]) -> None:
        ctx = self.session.ctx
        run(
            self,
            lambda: call(ctx),
            done=done,
            failed=lambda exc: say(self.message, getattr(exc, "message", str(exc)), error=True),
        )
