"""The Admin dock: one tab per area the signed-in user may see (Users, Roles, Settings, Departments, Taxes,
Doctors, Sync). A tab loads its lists when it is shown, so switching tabs shows what other tabs just saved."""

from __future__ import annotations

from typing import Any

from ui.docks.admin.common import AdminTab
from ui.docks.admin.departments import DepartmentsTab
from ui.docks.admin.doctors import DoctorsTab
from ui.docks.admin.roles import RolesTab
from ui.docks.admin.settings import SettingsTab
from ui.docks.admin.sync import SyncTab
from ui.docks.admin.taxes import TaxesTab
from ui.docks.admin.users import UsersTab
from ui.qt import QLabel, QTabWidget, QVBoxLayout, QWidget

# key, title, class, the permission that shows the tab
TABS: tuple[tuple[str, str, type[AdminTab], str], ...] = (
    ("users", "Users", UsersTab, "users.view"),
    ("roles", "Roles", RolesTab, "roles.view"),
    ("settings", "Settings", SettingsTab, "settings.view"),
    ("departments", "Departments", DepartmentsTab, "settings.view"),
    ("taxes", "Taxes", TaxesTab, "settings.view"),
    ("doctors", "Doctors", DoctorsTab, "doctors.view"),
    ("sync", "Sync", SyncTab, "sync.manage"),
)


class AdminDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.tabs = QTabWidget()
        self.tabs.setObjectName("adminTabs")
        self.pages: dict[str, AdminTab] = {}
        for key, title, cls, code in TABS:
            page = cls(self.session) if self.session.can(code) else None
            setattr(self, key, page)  # admin.users, admin.roles, ... (None when not offered)
            if page is not None:
                page.setObjectName(f"admin_{key}")
                self.pages[key] = page
                self.tabs.addTab(page, title)
        box = QVBoxLayout(self)
        if not self.pages:
            box.addWidget(QLabel("Your role does not allow any of the Admin pages."))
        box.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._shown)
        self._shown(self.tabs.currentIndex())

    def _shown(self, index: int) -> None:
        page = self.tabs.widget(index)
        if isinstance(page, AdminTab):
            page.activate()

    def show_tab(self, key: str) -> Any:
        """Bring a tab to the front (loading it) and return it."""
        page = self.pages[key]
        if self.tabs.currentWidget() is page:
            page.activate()
        else:
            self.tabs.setCurrentWidget(page)
        return page
