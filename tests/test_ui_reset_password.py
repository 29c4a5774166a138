"""The "Forgot password?" dialog in a clinic with no email set up says so under the form and that an
administrator resets the password (issue 10, item 11), instead of promising a code that never comes."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.admin.auth import NO_MAIL_RESET
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL
from ui.dialogs.reset_password import ResetPasswordDialog
from ui.qt import QDialogButtonBox, QPushButton, Qt, QTest
from ui.session import AppSession
from ui.worker import worker


def test_no_email_set_up_is_said_under_the_form(qtbot: Any, store: Store) -> None:
    session = AppSession.open(store)
    dialog = ResetPasswordDialog(session, None, ADMIN_EMAIL)
    qtbot.addWidget(dialog)
    dialog.show()
    buttons = dialog.findChild(QDialogButtonBox)
    send = next(b for b in buttons.findChildren(QPushButton) if b.text() == "Send code")
    QTest.mouseClick(send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=5000)
    qtbot.waitUntil(worker().idle, timeout=5000)
    assert dialog.error.text() == NO_MAIL_RESET
    assert "on its way" not in dialog.info.text()
