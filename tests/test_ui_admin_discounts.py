"""Admin > Roles, the discount limits: the matrix's first row shows each role's limit, the box below sets one by
keyboard (Enter on the row's cell or Alt+L, type, Enter), and the service's sentence shows under the box with
nothing saved: bad text, or an Admin raising a role above their own 20%. Driven offscreen over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hms_desktop.services.admin.roles import create_role, list_roles
from hms_desktop.storage.store import Store
from tests.ui_support import signed_in_window
from ui.qt import QApplication, Qt, QTest
from ui.worker import worker

WAIT = 5000
PASSWORD = "Marigold-Ledger-2026"


@pytest.fixture(autouse=True)
def settle(qtbot: Any) -> Iterator[None]:
    """Every background job has delivered before the widgets go away."""
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def activate(qtbot: Any, window: Any) -> None:
    """Make the window the active one, so shortcuts (Alt+L) and focus work as for a user. Asked again until it
    is: offscreen, a request made while the docks are still being laid out can be lost."""

    def active() -> bool:
        window.activateWindow()
        return bool(window.isActiveWindow())

    qtbot.waitUntil(active, timeout=WAIT)


def roles_tab(qtbot: Any, store: Store, tmp_path: Path, email: str | None = None) -> Any:
    window = signed_in_window(qtbot, store, tmp_path, **({"email": email, "password": PASSWORD} if email else {}))
    tab = window.dock_widget("admin").show_tab("roles")
    qtbot.waitUntil(lambda: "Optical Staff" in tab.columns and tab.limits.role.count() > 0, timeout=WAIT)
    activate(qtbot, window)
    return tab


def stored(ctx: Any, name: str) -> int:
    return next(r.discount_limit_basis_points for r in list_roles(ctx) if r.name == name)


def type_and_enter(widget: Any, text: str) -> None:
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_enter_on_a_limit_then_type_sets_it(qtbot: Any, store: Store, tmp_path: Path, system_ctx: Any) -> None:
    tab = roles_tab(qtbot, store, tmp_path)  # the clinic's Super Admin
    assert tab.limit_cell("Optical Staff").text() == "10%" and tab.limit_cell("Receptionist").text() == "0%"
    assert tab.limit_cell("Super Admin").text() == "any"
    assert "Super Admin" not in [tab.limits.role.itemText(i) for i in range(tab.limits.role.count())]
    tab.matrix.setFocus()
    tab.matrix.setCurrentCell(0, tab.columns["Optical Staff"])
    QTest.keyClick(tab.matrix, Qt.Key.Key_Return)  # Enter on the role's limit: to the box, its text selected
    box = tab.limits
    assert box.role.currentText() == "Optical Staff" and box.limit.text() == "10"
    assert QApplication.focusWidget() is box.limit and box.limit.selectedText() == "10"
    QTest.keyClicks(box.limit, "12.5")
    QTest.keyClick(box.limit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Saved: Optical Staff" in tab.message.text(), timeout=WAIT)
    assert stored(system_ctx, "Optical Staff") == 1250
    assert tab.limit_cell("Optical Staff").text() == "12.5%" and box.limit.text() == "12.5"
    assert "may give up to 12.5% off a line" in tab.message.text()


def test_bad_text_is_shown_under_the_box_and_nothing_is_saved(
    qtbot: Any, store: Store, tmp_path: Path, system_ctx: Any
) -> None:
    tab = roles_tab(qtbot, store, tmp_path)
    box = tab.limits
    tab.matrix.setCurrentCell(tab.rows["billing.view"], tab.columns["Cashier"])  # the box follows the column
    assert box.role.currentText() == "Cashier" and box.limit.text() == "10"
    for text, words in (("12.345", "12.345 is not a"), ("150", "150 is not a"), ("", "Enter the discount limit")):
        tab.matrix.setFocus()
        QTest.keyClick(tab.matrix, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Alt+L: into the box
        assert QApplication.focusWidget() is box.limit
        if text:
            type_and_enter(box.limit, text)
        else:
            box.limit.clear()
            QTest.keyClick(box.limit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda w=words: box.message().startswith(w), timeout=WAIT)
        assert stored(system_ctx, "Cashier") == 1000 and tab.limit_cell("Cashier").text() == "10%"
    type_and_enter(box.limit, "7.5")
    qtbot.waitUntil(lambda: stored(system_ctx, "Cashier") == 750, timeout=WAIT)
    qtbot.waitUntil(lambda: box.message() == "", timeout=WAIT)  # the error went with the good value


def test_an_admin_cannot_raise_a_role_above_their_own_limit(
    qtbot: Any, store: Store, tmp_path: Path, system_ctx: Any, make_user: Any
) -> None:
    make_user("Admin", email="office@sunrise.example.in", password=PASSWORD)  # may give 20%
    tab = roles_tab(qtbot, store, tmp_path, email="office@sunrise.example.in")
    box = tab.limits
    box.pick(next(r.id for r in tab.roles if r.name == "Optical Staff"), focus=True)
    type_and_enter(box.limit, "25")
    qtbot.waitUntil(lambda: "only up to your own, 20.00%" in box.message(), timeout=WAIT)
    assert "ask a Super Admin to give Optical Staff 25.00%" in box.message()
    assert stored(system_ctx, "Optical Staff") == 1000 and tab.limit_cell("Optical Staff").text() == "10%"
    type_and_enter(box.limit, "20")
    qtbot.waitUntil(lambda: stored(system_ctx, "Optical Staff") == 2000, timeout=WAIT)
    qtbot.waitUntil(lambda: tab.limit_cell("Optical Staff").text() == "20%", timeout=WAIT)


def test_a_role_viewer_sees_the_limits_but_no_box(
    qtbot: Any, store: Store, tmp_path: Path, system_ctx: Any, make_user: Any
) -> None:
    create_role(system_ctx, "Role Viewer", ["roles.view", "settings.view", "settings.manage"])
    make_user("Role Viewer", email="viewer@sunrise.example.in", password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, email="viewer@sunrise.example.in", password=PASSWORD)
    tab = window.dock_widget("admin").show_tab("roles")
    qtbot.waitUntil(lambda: "Pharmacist" in tab.columns, timeout=WAIT)
    activate(qtbot, window)
    assert tab.limit_cell("Pharmacist").text() == "5%" and not tab.limits.isVisible()
    tab.matrix.setCurrentCell(0, tab.columns["Pharmacist"])
    QTest.keyClick(tab.matrix, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is not tab.limits.limit and stored(system_ctx, "Pharmacist") == 500
