"""Password rules and bcrypt at its real cost (12): the one place the suite pays for it."""

from __future__ import annotations

import pytest

from hms_desktop.errors import ValidationError
from hms_desktop.security import passwords


def test_bcrypt_runs_at_cost_12_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HMS_BCRYPT_COST", raising=False)
    assert passwords.bcrypt_cost() == 12
    hashed = passwords.hash_password("Saffron-Teapot-2027")
    assert hashed.startswith("$2b$12$")
    assert passwords.verify_password("Saffron-Teapot-2027", hashed)
    assert not passwords.verify_password("saffron-teapot-2027", hashed)
    assert not passwords.needs_rehash(hashed)


def test_the_test_cost_can_only_be_lowered_for_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMS_BCRYPT_COST", "31")
    assert passwords.bcrypt_cost() == 12
    monkeypatch.setenv("HMS_BCRYPT_COST", "1")
    assert passwords.bcrypt_cost() == 4
    low = passwords.hash_password("Saffron-Teapot-2027")
    monkeypatch.delenv("HMS_BCRYPT_COST")
    assert passwords.needs_rehash(low)  # a hash made cheaper than today's cost is upgraded at the next sign-in


@pytest.mark.parametrize(
    ("password", "text"),
    [
        ("Short1!", "at least 8"),
        ("A" * 65, "at most 64"),
        ("€" * 25, "72 bytes"),  # 25 characters, 75 bytes: refused, never cut silently
        ("password123", "too common"),
        ("Qwerty123", "too common"),
        ("welcome@123", "too common"),
        ("asha.rao2026", "email or name"),
    ],
)
def test_password_rules(password: str, text: str) -> None:
    with pytest.raises(ValidationError) as err:
        passwords.check_password_rules(password, email="asha.rao@example.in", name="Asha Rao")
    assert err.value.field == "password" and text in err.value.message


def test_a_good_password_passes_and_long_ones_fail_closed() -> None:
    passwords.check_password_rules("Saffron-Teapot-2027", email="asha.rao@example.in")
    hashed = passwords.hash_password("x" * 72)
    assert not passwords.verify_password("x" * 73, hashed)  # bcrypt would ignore byte 73; we refuse it
