"""Shared fixtures. Every store here is a real SQLCipher file in a temporary folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# bcrypt at cost 12 runs in the tests that check it (see test_passwords); elsewhere cost 4 keeps the suite fast.
os.environ["HMS_BCRYPT_COST"] = "4"
os.environ["HMS_AUTHOR_KDF_ITERATIONS"] = "1000"  # the sync signing key's work factor, as low as bcrypt's above
os.environ["HMS_CHECK_WRITE_RIGHTS"] = "1"  # every user's write checked against sync/table_rights.py
os.environ.pop("HMS_DATA_DIR", None)
os.environ.pop("HMS_PASSPHRASE", None)

from db.ids import uuid7  # noqa: E402
from hms_desktop.clinic_setup import create_clinic  # noqa: E402
from hms_desktop.context import Actor, Context  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.security.keystore import KeyringStore  # noqa: E402
from hms_desktop.services.admin.setup import AdminInput, HospitalInput  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import Store, open_store  # noqa: E402
from tests.memory_keyring import MemoryKeyring  # noqa: E402
from tests.pg import Lab  # noqa: E402

PASSPHRASE = "correct horse battery staple"
ADMIN_EMAIL = "admin@sunrise.example.in"
ADMIN_PASSWORD = "Marigold-Ledger-2026"
_KEYRING = MemoryKeyring()
keyring.set_keyring(_KEYRING)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HMS_DATA_DIR", "HMS_PASSPHRASE", "HMS_NEW_PASSPHRASE", "HMS_RECOVERY_KEY", "HMS_KEYRING"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with no OS keyring: the store is keyed by a passphrase."""
    monkeypatch.setenv("HMS_KEYRING", "off")


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch, no_keyring: None) -> str:
    monkeypatch.setenv("HMS_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


def make_clinic(data_dir: Path) -> tuple[StorePaths, str]:
    """A new store with the demo hospital and its first Super Admin; returns (paths, recovery key)."""
    paths = StorePaths(data_dir)
    result, _ = create_clinic(
        paths,
        HospitalInput(name="Sunrise Clinic", city="Bengaluru", state_code="29", gstin="29AAACR5055K1Z3"),
        AdminInput(ADMIN_EMAIL, "Asha Rao", ADMIN_PASSWORD),
        workstation_name="Front desk",
    )
    result.store.close()
    return paths, result.recovery_key


@pytest.fixture(scope="session")
def template_clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One set-up clinic (keyring mode) copied for each test that needs one: set-up runs once."""
    base = tmp_path_factory.mktemp("template") / "data"
    _, recovery = make_clinic(base)
    return base, recovery


@pytest.fixture
def clinic_paths(template_clinic: tuple[Path, str], tmp_path: Path) -> StorePaths:
    src, _ = template_clinic
    dest = tmp_path / "data"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("store.lock"))
    paths = StorePaths(dest)
    # The copy gets its own identity, so a test that rekeys it cannot disturb the template's keys.
    config = paths.read_config()
    new_id = str(uuid7())
    old, new = KeyringStore(config["store_id"]), KeyringStore(new_id)
    for name in ("store-key", "recovery-key", "jwt-secret"):
        value = old.get(name)
        if value is not None:
            new.set(name, value)
    config["store_id"] = new_id
    config.pop("format", None)
    paths.write_config(config)
    return paths


@pytest.fixture
def recovery_key(template_clinic: tuple[Path, str]) -> str:
    return template_clinic[1]


@pytest.fixture
def store(clinic_paths: StorePaths) -> Iterator[Store]:
    s = open_store(clinic_paths)
    yield s
    s.close()


@pytest.fixture
def system_ctx(store: Store) -> Context:
    return context_for(store, Actor.system("test"))


def actor_with_role(role: str, email: str | None = None) -> Actor:
    """An actor holding exactly the default permissions of ``role`` (no user row needed)."""
    from hms_desktop.security.permissions import DEFAULT_ROLES

    return Actor(uuid7(), email or f"{role.lower().replace(' ', '.')}@sunrise.example.in", (role,),
                 frozenset(DEFAULT_ROLES[role][1]))  # fmt: skip


@pytest.fixture
def make_user(system_ctx: Context):  # type: ignore[no-untyped-def]
    """Create a staff account: make_user("Receptionist", email=..., password=...) -> UserView."""
    from hms_desktop.services.admin.users import UserInput, create_user

    counter = iter(range(1, 10_000))

    def make(*roles: str, email: str | None = None, password: str = "Marigold-Ledger-2026", name: str = "Staff Member"):  # type: ignore[no-untyped-def]
        address = email or f"staff{next(counter)}@sunrise.example.in"
        return create_user(system_ctx, UserInput(address, name, password, list(roles), must_change_password=False))

    return make


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    """A running SMTP server on loopback (aiosmtpd) for one test."""
    from tests.smtp_sink import Sink

    server = Sink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lab(tmp_path: Path, clinic_paths: StorePaths, recovery_key: str) -> Iterator[Lab]:
    """A central server over a real PostgreSQL with this test's clinic enrolled as its founder PC (tests/pg.py)."""
    made = Lab(tmp_path, clinic_paths, recovery_key)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread() -> Iterator[None]:
    """Once a UI test has moved garbage collection to the UI thread (ui/main_thread_gc.py), later tests that
    run no Qt event loop still collect, here on the main thread, on Python's usual schedule."""
    yield
    import gc

    if not gc.isenabled():
        from ui.main_thread_gc import collect_if_due

        collect_if_due()


@pytest.fixture(autouse=True)
def _screens_follow_no_old_session() -> Iterator[None]:
    """A main window makes every screen follow its session's clock (ui.clinic_time): undo it after each test."""
    yield
    import sys

    module = sys.modules.get("ui.clinic_time")
    if module is not None:
        module.follow(module._Default())


@pytest.fixture
def previews(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, str, Any]]:
    """The print previews the screens asked for: (pdf, title, page size), no dialog shown (UI tests)."""
    shown: list[tuple[bytes, str, Any]] = []
    monkeypatch.setattr(
        "ui.print_preview.preview_pdf", lambda _parent, pdf, title, size=None: shown.append((pdf, title, size))
    )
    return shown
