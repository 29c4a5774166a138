"""Issue 10 item 9: a temporary password (a new account, an administrator's reset) is changed before anything
else, checked in the services (every gated call is refused and audited) and in the window (the sign-in leads to
"Set your own password" before the main window; Cancel signs out)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from hms_desktop.context import Actor, Context
from hms_desktop.runtime import context_for
from hms_desktop.security.live_access import MUST_CHANGE, PasswordChangeRequired
from hms_desktop.services.admin.auth import change_password, login
from hms_desktop.services.admin.users import UserInput, admin_reset_password, create_user
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store

TEMPORARY = "Welcome-Desk-2026"
OWN = "Jasmine-Courtyard-2026"
EMAIL = "new.desk@sunrise.example.in"


def sign_in(store: Store, password: str) -> Context:
    ctx = context_for(store, Actor.anonymous())
    tokens = login(ctx, EMAIL, password)
    return ctx.as_actor(tokens.actor)


def denials(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(AuditLog.outcome == "denied")).scalar_one())


def test_a_new_account_does_nothing_but_set_its_own_password_first(store: Store, system_ctx: Context) -> None:
    create_user(system_ctx, UserInput(EMAIL, "Nisha Desk", TEMPORARY, ["Receptionist"]))  # must change: the default
    ctx = context_for(store, Actor.anonymous())
    assert login(ctx, EMAIL, TEMPORARY).must_change_password
    desk = sign_in(store, TEMPORARY)
    before = denials(store)
    with pytest.raises(PasswordChangeRequired) as refused:
        register_patient(desk, PatientInput("Too Early", "F", date(1990, 1, 1)))
    assert str(refused.value) == MUST_CHANGE
    assert denials(store) == before + 1, "the refusal is audited"
    change_password(desk, TEMPORARY, OWN)
    assert register_patient(desk, PatientInput("Now Fine", "F", date(1990, 1, 1))).full_name == "Now Fine"
    assert not login(ctx, EMAIL, OWN).must_change_password


def test_an_administrators_reset_is_a_temporary_password_again(store: Store, system_ctx: Context) -> None:
    user = create_user(system_ctx, UserInput(EMAIL, "Nisha Desk", OWN, ["Receptionist"], must_change_password=False))
    register_patient(sign_in(store, OWN), PatientInput("Before Reset", "F", date(1990, 1, 1)))
    admin_reset_password(system_ctx, user.id, TEMPORARY)
    desk = sign_in(store, TEMPORARY)
    with pytest.raises(PasswordChangeRequired):
        register_patient(desk, PatientInput("After Reset", "F", date(1990, 1, 1)))


def test_the_window_asks_for_the_users_own_password_before_it_opens(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path
) -> None:
    from ui.dialogs.change_password import ChangePasswordDialog
    from ui.session import AppSession
    from ui.worker import worker

    create_user(system_ctx, UserInput(EMAIL, "Nisha Desk", TEMPORARY, ["Receptionist"]))
    session = AppSession.open(store)
    session.login(EMAIL, TEMPORARY)
    assert session.must_change_password
    dialog = ChangePasswordDialog(session, forced=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Set your own password" and dialog.end_others.isHidden()
    dialog.current.setText(TEMPORARY)
    dialog.new.setText(OWN)
    dialog.repeat.setText(OWN + "x")
    dialog.submit()
    assert "differ" in dialog.errors.message_for("new_password")
    dialog.repeat.setText(OWN)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.submit()
    qtbot.waitUntil(worker().idle, timeout=10_000)
    assert not session.must_change_password
    assert register_patient(session.ctx, PatientInput("First Patient", "M", date(1980, 1, 1))).full_name


def test_cancel_on_the_set_your_password_step_signs_out_and_ok_opens_the_window(
    qtbot: Any, store: Store, system_ctx: Context
) -> None:
    """The controller's path after a sign-in with a temporary password: Sign out goes back to the sign-in
    window (saying why); setting one's own password opens the main window."""
    from ui.app import AppController
    from ui.dialogs.change_password import ChangePasswordDialog
    from ui.qt import QApplication, QLabel, QTimer
    from ui.session import AppSession

    create_user(system_ctx, UserInput(EMAIL, "Nisha Desk", TEMPORARY, ["Receptionist"]))
    session = AppSession.open(store)
    controller = AppController(session)

    def answer(fill: bool) -> None:
        dialog = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, ChangePasswordDialog) and w.isVisible()
        )
        if not fill:
            dialog.reject()
            return
        dialog.current.setText(TEMPORARY)
        dialog.new.setText(OWN)
        dialog.repeat.setText(OWN)
        dialog.submit()

    session.login(EMAIL, TEMPORARY)
    QTimer.singleShot(200, lambda: answer(False))
    controller.show_main()
    assert controller.window is None and session.tokens is None
    hint = controller.login_dialog.findChild(QLabel, "hint")
    assert hint is not None and "own password" in hint.text()
    controller.login_dialog.close()

    session.login(EMAIL, TEMPORARY)
    QTimer.singleShot(200, lambda: answer(True))
    controller.show_main()
    assert controller.window is not None and not session.must_change_password
    qtbot.addWidget(controller.window)
