"""First run: the setup wizard creates the encrypted store, the clinic and its Super Admin, and shows the
recovery key once; then the new administrator can sign in. And ``--demo`` opens a ready clinic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hms_desktop.clock import FixedClock
from hms_desktop.security import recovery
from hms_desktop.services.admin import auth
from hms_desktop.services.reception.doctors import list_doctors
from hms_desktop.services.reception.queue import queue_for
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import open_store
from ui.dialogs.setup_wizard import SetupWizard
from ui.qt import QTest, QWizard
from ui.session import AppSession


def test_setup_wizard_creates_the_clinic(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMS_KEYRING", "off")  # a headless PC: the wizard asks for a passphrase
    paths = StorePaths(tmp_path / "clinic")
    wizard = SetupWizard(paths)
    qtbot.addWidget(wizard)
    wizard.show()
    QTest.keyClicks(wizard.clinic.name, "Lotus Eye Clinic")
    wizard.clinic.state.setCurrentIndex(wizard.clinic.state.findData("33"))
    wizard.next()
    a = wizard.admin
    QTest.keyClicks(a.full_name, "Priya Raman")
    QTest.keyClicks(a.email, "Priya@Lotus.example.in")
    QTest.keyClicks(a.password, "Jasmine-Garden-2026")
    QTest.keyClicks(a.repeat, "Jasmine-Garden-2026")
    wizard.next()
    assert wizard.currentPage() is wizard.protect and not wizard.protect.keyring
    QTest.keyClicks(wizard.protect.passphrase, "lotus clinic passphrase")
    QTest.keyClicks(wizard.protect.repeat, "lotus clinic passphrase")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.created, timeout=20000)
    assert wizard.currentPage() is wizard.finish
    key = wizard.finish.key.text()
    assert recovery.decode(key)  # a well-formed recovery key, shown on the page
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    wizard.finish.confirm.setChecked(True)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    store = open_store(paths, passphrase_source=lambda _p: "lotus clinic passphrase")
    try:
        session = AppSession.open(store)
        session.login("priya@lotus.example.in", "Jasmine-Garden-2026")
        assert "Super Admin" in session.actor.roles
    finally:
        store.close()


def test_wizard_shows_a_service_error_on_its_page(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMS_KEYRING", "off")
    wizard = SetupWizard(StorePaths(tmp_path / "clinic"))
    qtbot.addWidget(wizard)
    wizard.show()
    QTest.keyClicks(wizard.clinic.name, "Lotus Eye Clinic")
    wizard.next()
    QTest.keyClicks(wizard.admin.full_name, "Priya Raman")
    QTest.keyClicks(wizard.admin.email, "priya@lotus.example.in")
    QTest.keyClicks(wizard.admin.password, "password123")
    QTest.keyClicks(wizard.admin.repeat, "password123")
    wizard.next()
    QTest.keyClicks(wizard.protect.passphrase, "lotus clinic passphrase")
    QTest.keyClicks(wizard.protect.repeat, "lotus clinic passphrase")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.admin.error.text() != "", timeout=20000)
    assert "too common" in wizard.admin.error.text() and wizard.currentPage() is wizard.admin
    assert not (tmp_path / "clinic" / "store.db").exists()


def test_demo_clinic_opens_with_a_live_queue(tmp_path: Path) -> None:
    from hms_desktop.demo import RECEPTION, open_demo

    monday_10am = FixedClock(datetime(2026, 11, 30, 4, 30, tzinfo=UTC))  # 10:00 in Bengaluru: within hours
    store = open_demo(StorePaths(tmp_path / "demo"), clock=monday_10am)
    try:
        session = AppSession.open(store)
        session.base = replace(session.base, clock=monday_10am)
        session.login(*RECEPTION)
        queues = [queue_for(session.ctx, d.id) for d in list_doctors(session.ctx)]
        assert len(queues) == 3 and any(q.serving or q.waiting for q in queues)
        assert auth.authenticate(session.base, session.tokens.access_token).roles == ("Receptionist",)  # type: ignore[union-attr]
    finally:
        store.close()
