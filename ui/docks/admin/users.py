"""Users tab: staff accounts (name, email, roles, status, last sign-in); create, edit roles, disable, enable,
and reset a password to a temporary one. What the rules of ``security.grant_rules`` refuse is shown disabled,
with the reason as its tooltip: a role the signed-in user may not give, their own roles, and a Super Admin's
account to anyone but a Super Admin (the service refuses the same)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hms_desktop.security.grant_rules import (
    account_change_refusal,
    holder_of,
    password_reset_refusal,
    role_assignment_refusal,
)
from hms_desktop.security.permissions import SUPER_ADMIN
from hms_desktop.services.admin.roles import RoleView, list_roles
from hms_desktop.services.admin.users import (
    UserInput,
    UserView,
    admin_reset_password,
    create_user,
    disable_user,
    enable_user,
    list_users,
    set_user_roles,
    update_user,
)
from hms_desktop.validation import clean_mobile, clean_text
from ui.docks.admin.common import AdminTab, button, fill, line, message_label, row_key, row_of, say, show_time, table
from ui.forms import FieldErrors
from ui.qt import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import run

NEW_ACCOUNT = uuid.UUID(int=0)  # the target of the rules while the form makes a new account


class UsersTab(AdminTab):
    WATCHED = ("users", "user_roles", "roles")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("users.manage")
        self.users: dict[uuid.UUID, UserView] = {}
        self.editing: UserView | None = None
        self.table = table("usersTable", ["Name", "Email", "Roles", "Status", "Last sign-in"])
        self.table.itemSelectionChanged.connect(self._selected)
        self.disable_button = button("Disable", "disableUser", self.disable)
        self.enable_button = button("Enable", "enableUser", self.enable)
        self.new_button = button("New user", "newUser", self.clear)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.table)
        lbox.addLayout(row_of(self.new_button, self.disable_button, self.enable_button))
        self.status = message_label("usersStatus")
        lbox.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self._form())
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 450])
        QVBoxLayout(self).addWidget(split)
        for w in (self.new_button, self.disable_button, self.enable_button, self.form_box, self.reset_box):
            w.setVisible(self.manage)
        self._buttons()

    def _form(self) -> QWidget:
        self.form_box = QGroupBox("New user")
        self.form_box.setObjectName("userForm")
        form = QFormLayout()
        self.email = line("userEmail", "name@clinic.in", self.save)
        self.name = line("userName", "full name", self.save)
        self.phone = line("userPhone", "10-digit mobile (optional)", self.save)
        self.role_box = QGroupBox()
        self.role_box.setObjectName("userRoles")
        self.role_grid = QGridLayout(self.role_box)
        self.role_checks: dict[str, QCheckBox] = {}
        self.role_views: dict[str, RoleView] = {}
        self.password = line("userPassword", "temporary password (they change it at first sign-in)", self.save)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_label = QLabel("Temporary password")
        form.addRow("Email *", self.email)
        form.addRow("Name *", self.name)
        form.addRow("Mobile", self.phone)
        form.addRow("Roles *", self.role_box)
        form.addRow(self.password_label, self.password)
        general = QLabel()
        self.errors = FieldErrors(
            form,
            {
                "email": self.email,
                "full_name": self.name,
                "phone": self.phone,
                "roles": self.role_box,
                "password": self.password,
            },
            general,
        )
        self.save_button = button("Create user", "saveUser", self.save)
        box = QVBoxLayout(self.form_box)
        box.addWidget(general)
        box.addLayout(form)
        box.addLayout(row_of(self.save_button))
        self.reset_box = QGroupBox("Reset the selected user's password")
        rform = QFormLayout(self.reset_box)
        self.reset_password = line("resetPasswordValue", "new temporary password", self.reset)
        self.reset_password.setEchoMode(QLineEdit.EchoMode.Password)
        rform.addRow("Temporary password", self.reset_password)
        reset_general = QLabel()
        self.reset_errors = FieldErrors(rform, {"password": self.reset_password}, reset_general)
        self.reset_button = button("Reset password", "resetPassword", self.reset)
        rform.addRow("", self.reset_button)
        rform.insertRow(0, reset_general)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.form_box)
        rbox.addWidget(self.reset_box)
        rbox.addStretch()
        return right

    # --- loading

    def refresh(self) -> None:
        ctx, roles_too = self.session.ctx, self.session.can("roles.view")
        run(self, lambda: (list_users(ctx), list_roles(ctx) if roles_too else None), done=self._loaded)

    def _loaded(self, result: tuple[list[UserView], list[RoleView] | None]) -> None:
        users, roles = result
        if roles is not None:
            self._role_checks(roles)
        self.users = {u.id: u for u in users}
        rows = [[u.full_name, u.email, ", ".join(u.roles), u.status, show_time(u.last_login_at)] for u in users]
        fill(self.table, rows, [u.id for u in users])
        if self.editing is not None:
            self.editing = self.users.get(self.editing.id, self.editing)
        self._buttons()

    def _role_checks(self, roles: list[RoleView]) -> None:
        chosen = self.chosen_roles()
        for box in self.role_checks.values():
            self.role_grid.removeWidget(box)
            box.deleteLater()
        self.role_checks = {}
        self.role_views = {r.name: r for r in roles}
        for i, role in enumerate(roles):
            box = QCheckBox(role.name)
            box.setObjectName(f"role_{role.name}")
            box.setChecked(role.name in chosen)
            self.role_grid.addWidget(box, i // 3, i % 3)
            self.role_checks[role.name] = box
        self._apply_rules()

    def _apply_rules(self) -> None:
        """Disable what the grant rules refuse for the user being edited (or a new account), saying why."""
        me, user = holder_of(self.session.actor), self.editing
        target = user.id if user is not None else NEW_ACCOUNT
        before = frozenset(user.roles) if user is not None else frozenset()
        is_super = SUPER_ADMIN in before
        roles = {n: (r.is_system, r.permissions) for n, r in self.role_views.items()}
        for name, box in self.role_checks.items():
            why = role_assignment_refusal(me, target, is_super, before, before ^ {name}, roles)
            box.setEnabled(why is None)
            box.setToolTip(why or self.role_views[name].description)
        account = account_change_refusal(me, user.id, is_super) if user is not None else None
        for field in (self.name, self.phone):
            field.setEnabled(account is None)
            field.setToolTip(account or "")
        self._buttons()

    def chosen_roles(self) -> list[str]:
        return [name for name, box in self.role_checks.items() if box.isChecked()]

    def selected(self) -> UserView | None:
        key = row_key(self.table)
        return self.users.get(key) if key is not None else None

    def _buttons(self) -> None:
        user = self.selected()
        me = holder_of(self.session.actor)
        is_super = user is not None and SUPER_ADMIN in user.roles
        account = account_change_refusal(me, user.id, is_super) if user is not None else None
        codes = frozenset(
            c for n in (user.roles if user else ()) if n in self.role_views for c in self.role_views[n].permissions
        )
        reset = password_reset_refusal(me, user.id, is_super, codes) if user is not None else None
        self.disable_button.setEnabled(user is not None and user.status == "active" and account is None)
        self.enable_button.setEnabled(user is not None and user.status != "active" and account is None)
        for b in (self.disable_button, self.enable_button):
            b.setToolTip(account or "")
        self.reset_box.setEnabled(user is not None and reset is None)
        self.reset_box.setToolTip(reset or "")
        self.reset_box.setTitle(f"Reset the password of {user.full_name}" if user else "Select a user to reset")

    def _selected(self) -> None:
        user = self.selected()
        self._buttons()
        if user is not None and self.manage:
            self.edit(user)

    # --- the form

    def clear(self) -> None:
        self.editing = None
        self.form_box.setTitle("New user")
        self.save_button.setText("Create user")
        self.email.setReadOnly(False)
        for w in (self.email, self.name, self.phone, self.password):
            w.clear()
        for box in self.role_checks.values():
            box.setChecked(False)
        self.password.show()
        self.password_label.show()
        self.errors.clear()
        self.table.clearSelection()
        self._apply_rules()
        self.email.setFocus()

    def edit(self, user: UserView) -> None:
        self.editing = user
        self.form_box.setTitle(f"Edit {user.full_name}")
        self.save_button.setText("Save changes")
        self.email.setText(user.email)
        self.email.setReadOnly(True)
        self.name.setText(user.full_name)
        self.phone.setText(user.phone)
        for name, box in self.role_checks.items():
            box.setChecked(name in user.roles)
        self.password.clear()
        self.password.hide()
        self.password_label.hide()
        self.errors.clear()
        self._apply_rules()

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.errors.clear()
        ctx, roles = self.session.ctx, self.chosen_roles()
        name, phone, user = self.name.text(), self.phone.text(), self.editing
        call: Callable[[], UserView]
        if user is None:
            data = UserInput(self.email.text(), name, self.password.text(), roles, phone=phone)
            call = lambda: create_user(ctx, data)  # noqa: E731
        else:
            call = lambda: _save_existing(ctx, user, name, phone, roles)  # noqa: E731
        self.save_button.setEnabled(False)
        run(self, call, done=self._saved, failed=self._failed, label="Saving...")

    def _saved(self, user: UserView) -> None:
        self.save_button.setEnabled(True)
        say(self.status, f"Saved {user.full_name} ({', '.join(user.roles)}).")
        self.clear()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(exc)

    # --- disable, enable, reset

    def disable(self) -> None:
        user = self.selected()
        if user is None:
            return
        answer = QMessageBox.question(
            self, "Disable user", f"Disable {user.full_name}? They are signed out everywhere and cannot sign in."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._act(disable_user, user.id, f"{user.full_name} is disabled.")

    def enable(self) -> None:
        user = self.selected()
        if user is not None:
            self._act(enable_user, user.id, f"{user.full_name} can sign in again.")

    def _act(self, fn: Callable[..., Any], user_id: uuid.UUID, text: str) -> None:
        def done(_user: object) -> None:
            say(self.status, text)
            self.refresh()

        run(
            self,
            fn,
            self.session.ctx,
            user_id,
            done=done,
            failed=lambda exc: say(self.status, getattr(exc, "message", str(exc)), error=True),
        )

    def reset(self) -> None:
        user = self.selected()
        if user is None or not self.reset_button.isEnabled():
            return
        self.reset_errors.clear()
        ctx, password = self.session.ctx, self.reset_password.text()
        run(
            self,
            lambda: admin_reset_password(ctx, user.id, password),
            done=self._reset_done,
            failed=self.reset_errors.show,
            label="Resetting...",
        )

    def _reset_done(self, user: UserView) -> None:
        self.reset_password.clear()
        say(self.status, f"{user.full_name} must sign in with the temporary password and change it.")


def _save_existing(ctx: Any, user: UserView, name: str, phone: str, roles: list[str]) -> UserView:
    """Runs on the worker: the name and phone, then the roles if they changed (the name and phone checked first)."""
    clean_text(name, "full_name", label="Name")
    clean_mobile(phone, required=False)
    view = user
    if set(roles) != set(user.roles):
        view = set_user_roles(ctx, user.id, roles)
    if name != user.full_name or phone != user.phone:
        view = update_user(ctx, user.id, full_name=name, phone=phone)
    return view
