"""Issue 11 finding 6, on screen: once the account of the signed-in user is disabled (here, by the Super Admin
in another window over the same store), the next action of their open window is refused by the service and
the window signs them out, the sign-in window saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hms_desktop.context import Context
from hms_desktop.security.live_access import DISABLED
from hms_desktop.services.admin import auth
from hms_desktop.services.admin.users import disable_user
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.ui_support import signed_in_window
from ui.app import AppController
from ui.qt import QLabel
from ui.worker import worker

WAIT = 5000
PASSWORD = "Saffron-Teapot-2027"


@pytest.fixture(autouse=True)
def settle(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def test_a_disabled_admin_is_signed_out_at_the_next_action(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path
) -> None:
    office = make_user("Admin", email="office@sunrise.example.in", password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, "office@sunrise.example.in", PASSWORD)
    controller = AppController(window.session)
    controller.window = window
    window.logged_out.connect(controller.on_logout)
    users = window.dock_widget("admin").show_tab("users")
    qtbot.waitUntil(lambda: users.table.rowCount() == 2, timeout=WAIT)
    owner = system_ctx.as_actor(auth.login(system_ctx, ADMIN_EMAIL, ADMIN_PASSWORD).actor)
    disable_user(owner, office.id, "left the clinic")
    with qtbot.waitSignal(window.logged_out, timeout=WAIT):
        users.refresh()  # the next action: refused, and the window signs out
    assert window.farewell == DISABLED and window.session.tokens is None
    hint = controller.login_dialog.findChild(QLabel, "hint")
    assert hint is not None and hint.text() == DISABLED
    controller.login_dialog.close()
