"""The Roles tab's discount limit box: how much a role's holders may take off a line's price.

Pick the role (or press Enter on its cell in the matrix's "Discount limit" row; Alt+L comes here), type the
percent ("10", "12.5"; 0: none) and press Enter or Set limit. ``update_role`` decides: bad text, or a raise above
the editor's own limit (only a Super Admin may), comes back as one sentence shown under the box, and nothing is
saved. Super Admin is not listed: it may always give any discount. A reload of the roles keeps what is being
typed for the same role."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.services.admin.roles import RoleView, update_role
from ui.docks.admin.common import button, line
from ui.forms import FieldErrors, find_data
from ui.qt import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run

FIELD = "discount_limit"


class DiscountLimitBox(QGroupBox):
    def __init__(self, session: AppSession, saved: Callable[[RoleView], None], parent: QWidget | None = None) -> None:
        super().__init__("Discount limit of a role", parent)
        self.setObjectName("discountLimitBox")
        self.session = session
        self.saved = saved
        self.roles: dict[uuid.UUID, RoleView] = {}
        self.role = QComboBox()
        self.role.setObjectName("discountRole")
        self.limit = line("discountLimit", "percent, e.g. 10 or 12.5 (0: none)", self.save)
        self.limit.setToolTip("The most a holder of this role may take off a line's price (Alt+L)")
        self.set_button = button("Set limit", "setDiscountLimit", self.save)
        form = QFormLayout()
        form.addRow("Role", self.role)
        form.addRow("Discount limit %", self.limit)
        general = QLabel()
        self.errors = FieldErrors(form, {FIELD: self.limit}, general)
        form.addRow("", self.set_button)
        box = QVBoxLayout(self)
        box.addWidget(general)
        box.addLayout(form)
        self.setFixedWidth(self.fontMetrics().averageCharWidth() * 60)  # an error wraps, the tab does not jump
        self.role.currentIndexChanged.connect(lambda _i: self._picked())

    def current(self) -> RoleView | None:
        role_id = self.role.currentData()
        return self.roles.get(role_id) if isinstance(role_id, uuid.UUID) else None

    def show_roles(self, roles: list[RoleView]) -> None:
        """List the editable roles, keeping the chosen one (and what is typed for it, if it was changed)."""
        before = self.current()
        typing = before is not None and self.limit.text() != before.discount_limit_text
        self.roles = {r.id: r for r in roles if not r.is_system}
        self.role.blockSignals(True)
        self.role.clear()
        for r in self.roles.values():
            self.role.addItem(r.name, r.id)
        self.role.setCurrentIndex(max(find_data(self.role, before.id if before else None), 0))
        self.role.blockSignals(False)
        now = self.current()
        if not (typing and now is not None and before is not None and now.id == before.id):
            self._picked()

    def pick(self, role_id: uuid.UUID, focus: bool = False) -> None:
        """Choose ``role_id`` (from the matrix); ``focus`` puts the cursor in the box, its text selected."""
        index = find_data(self.role, role_id)
        if index < 0:
            return
        if index != self.role.currentIndex():
            self.role.setCurrentIndex(index)
        if focus:
            self.limit.setFocus()
            self.limit.selectAll()

    def _picked(self) -> None:
        role = self.current()
        self.errors.clear()
        self.limit.setText(role.discount_limit_text if role is not None else "")
        for w in (self.limit, self.set_button):
            w.setEnabled(role is not None)

    def save(self) -> None:
        role = self.current()
        if role is None or not self.set_button.isEnabled():
            return
        text, ctx = self.limit.text(), self.session.ctx
        self.set_button.setEnabled(False)
        run(
            self,
            lambda: update_role(ctx, role.id, discount_limit=text),
            done=self._saved,
            failed=self._failed,
            label="Saving the discount limit...",
        )

    def _saved(self, role: RoleView) -> None:
        self.set_button.setEnabled(True)
        self.roles[role.id] = role
        if self.role.currentData() == role.id:
            self._picked()
        self.saved(role)

    def _failed(self, exc: BaseException) -> None:
        self.set_button.setEnabled(True)
        if isinstance(exc, PermissionDenied):  # over the editor's own limit: it belongs under the box
            exc = ValidationError(FIELD, exc.message)
        self.errors.show(exc)

    def message(self) -> str:
        """The sentence shown under the box ("" when none)."""
        return self.errors.message_for(FIELD)
