"""A role's discount limit cannot be raised through the sync server without roles.manage, nor above the editor's own.

Against a real sync server over a throwaway PostgreSQL. An optician (Optical Staff: 10%, no roles.manage) signs
in on a second PC whose program has been tampered with, and raises her own role's limit to 100% straight into
the store with her genuine key: the server refuses the ``roles`` change (its rules need roles.manage for every
column of a role), records why, and her PC takes the server's row back. The Super Admin's change of the same
limit through the service travels to the other PC as it should.

An Admin (roles.manage, a 20% limit) on a tampered PC raising Optical Staff to 100% is refused by the server
too: it judges ``grant_rules.discount_limit_refusal``, the rule the roles service applies on every PC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.models.identity import Role
from hms_desktop.services.admin.roles import update_role
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.storage.store import Store
from tests.helpers import signed_in_admin
from tests.pg import Lab

OPTICIAN_PASSWORD = "Tamarind-Window-2026"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from tests.conftest import make_clinic

    base = tmp_path_factory.mktemp("sync-discount-limits")
    paths, recovery = make_clinic(base / "founder")
    made = Lab(base, paths, recovery)
    try:
        signed_in_admin(made.founder)  # the admin signs in on the founder: the server learns their key
        made.sync(made.founder)
        yield made
    finally:
        made.close()


def local_limit(store: Store, role: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(Role.discount_limit_basis_points).where(Role.name == role)).scalar_one())


def role_id(store: Store, name: str) -> uuid.UUID:
    with store.engine.connect() as conn:
        found: uuid.UUID = conn.execute(select(Role.id).where(Role.name == name)).scalar_one()
    return found


def central_limit(lab: Lab, role: str) -> object:
    return lab.central(f"SELECT discount_limit_basis_points FROM roles WHERE name = '{role}'")[0][0]


def test_a_limit_cannot_be_raised_through_sync_without_roles_manage(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    a = lab.founder
    admin = signed_in_admin(a)
    create_user(admin, UserInput("optician@sunrise.example.in", "Rekha Optician", OPTICIAN_PASSWORD,
                                 ["Optical Staff"], must_change_password=False))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Optical counter")
    her = signed_in_admin(b, email="optician@sunrise.example.in", password=OPTICIAN_PASSWORD)
    assert central_limit(lab, "Optical Staff") == 1000 and local_limit(b, "Optical Staff") == 1000
    monkeypatch.delenv("HMS_CHECK_WRITE_RIGHTS")  # a tampered PC: no service stands in the way
    with her.transaction() as tx:
        role = tx.session.scalars(select(Role).where(Role.name == "Optical Staff")).one()
        role.discount_limit_basis_points = 10000
        tx.commit()
    lab.sync(b)
    assert central_limit(lab, "Optical Staff") == 1000, "the server kept its limit"
    reason = lab.central("SELECT reason FROM sync_conflicts WHERE table_name = 'roles' ORDER BY created_at DESC")
    assert reason[0][0] == "refused: its author does not hold roles.manage"
    lab.sync(b)
    assert local_limit(b, "Optical Staff") == 1000, "her PC took the server's row back"
    monkeypatch.setenv("HMS_CHECK_WRITE_RIGHTS", "1")
    # the Super Admin's change through the service is accepted and reaches the counter
    update_role(admin, role_id(a, "Optical Staff"), discount_limit="12.5")
    lab.sync(a)
    assert central_limit(lab, "Optical Staff") == 1250
    lab.sync(b)
    assert local_limit(b, "Optical Staff") == 1250


ADMIN2_PASSWORD = "Saffron-Ledger-2026"


def test_an_admin_cannot_raise_a_limit_above_their_own_through_sync(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    a = lab.founder
    admin = signed_in_admin(a)
    create_user(admin, UserInput("manager@sunrise.example.in", "Clinic Manager", ADMIN2_PASSWORD,
                                 ["Admin"], must_change_password=False))  # fmt: skip
    lab.sync(a)
    c = lab.new_pc("Manager's desk")
    manager = signed_in_admin(c, email="manager@sunrise.example.in", password=ADMIN2_PASSWORD)
    before = central_limit(lab, "Optical Staff")
    monkeypatch.delenv("HMS_CHECK_WRITE_RIGHTS")
    with manager.transaction() as tx:
        role = tx.session.scalars(select(Role).where(Role.name == "Optical Staff")).one()
        role.discount_limit_basis_points = 10000
        tx.commit()
    lab.sync(c)
    assert central_limit(lab, "Optical Staff") == before, "the server kept its limit"
    reason = lab.central("SELECT reason FROM sync_conflicts WHERE table_name = 'roles' ORDER BY created_at DESC")
    assert "only up to your own, 20.00%" in str(reason[0][0])
    # within the Admin's own limit the same edit is accepted
    with manager.transaction() as tx:
        role = tx.session.scalars(select(Role).where(Role.name == "Optical Staff")).one()
        role.discount_limit_basis_points = 2000
        tx.commit()
    lab.sync(c)
    assert central_limit(lab, "Optical Staff") == 2000
    monkeypatch.setenv("HMS_CHECK_WRITE_RIGHTS", "1")
