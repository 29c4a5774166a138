"""Issue 11 finding 1: one workstation's credential no longer makes its holder Super Admin of every PC.

Against a real sync server over a throwaway PostgreSQL. The attack of the review is replayed as it was made
(a new user linked to the Super Admin role, and the real Super Admin's password hash overwritten, pushed with
one PC's token), then with a forged proof and with a real proof moved onto other content; each is refused
with nothing written to users or roles, and the PCs keep the real Super Admin. The legitimate paths still
work: an admin staffs the clinic on one PC and the new user works on another; a user changes their own
password. A user signed in with their real key still cannot give themselves a role (the server applies the
services' grant rules), and a sign-in on one PC never undoes a disable made on another (finding 5).
"""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from db.models.identity import Role, User, UserRole
from hms_desktop.clock import utc_now
from hms_desktop.context import Actor
from hms_desktop.errors import AuthError
from hms_desktop.runtime import context_for
from hms_desktop.security import passwords
from hms_desktop.services.admin.auth import change_password, login
from hms_desktop.services.admin.users import UserInput, create_user, disable_user
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync import hlc
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.test_sync_security import access_token, post, ws_id

RECEPTION_PASSWORD = "Tamarind-Window-2026"
ATTACKER_PASSWORD = "Planted-Backdoor-2026"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from tests.conftest import make_clinic

    base = tmp_path_factory.mktemp("sync-authorship")
    paths, recovery = make_clinic(base / "founder")
    made = Lab(base, paths, recovery)
    try:
        signed_in_admin(made.founder)  # the admin signs in on the founder: the server learns their key
        made.sync(made.founder)
        yield made
    finally:
        made.close()


def access_rows(lab: Lab) -> list[tuple[object, ...]]:
    return lab.central(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM user_roles),"
        " (SELECT string_agg(password_hash || status, ',' ORDER BY id) FROM users),"
        " (SELECT count(*) FROM role_permissions)"
    )


def encoded(store: Store, table: str, row_id: uuid.UUID) -> dict[str, Any]:
    t = spec(table)
    assert t is not None
    with store.engine.connect() as conn:
        row = conn.execute(select(*t.columns).where(t.table.c.id == row_id)).mappings().one()
    return codec_for(t).encode(row)


def ids(store: Store) -> tuple[uuid.UUID, uuid.UUID]:
    """(the founder's Super Admin, the Super Admin role)."""
    with store.engine.connect() as conn:
        admin = conn.execute(select(User.id).where(User.email == ADMIN_EMAIL)).scalar_one()
        role = conn.execute(select(Role.id).where(Role.name == "Super Admin")).scalar_one()
    return admin, role


def attack(store: Store, admin_id: uuid.UUID, role_id: uuid.UUID) -> list[dict[str, Any]]:
    """The review's push: a new user holding Super Admin, and the real Super Admin's password replaced."""
    stamp = str(hlc.Stamp(ms=int(utc_now().timestamp() * 1000), counter=0, node=ws_id(store).hex))
    planted_hash = passwords.hash_password(ATTACKER_PASSWORD)
    real = encoded(store, "users", admin_id)
    new_user = {**copy.deepcopy(real), "id": str(uuid.uuid4()), "email": "backdoor@evil.example", "hlc": stamp,
                "full_name": "Maintenance", "password_hash": planted_hash}  # fmt: skip
    link = {**encoded_link_template(store), "id": str(uuid.uuid4()), "user_id": new_user["id"],
            "role_id": str(role_id), "hlc": stamp}  # fmt: skip
    takeover = {**copy.deepcopy(real), "password_hash": planted_hash, "hlc": stamp}
    return [
        {"t": "users", "id": new_user["id"], "h": stamp, "b": None, "r": new_user},
        {"t": "users", "id": takeover["id"], "h": stamp, "b": real["hlc"], "r": takeover},
        {"t": "user_roles", "id": link["id"], "h": stamp, "b": None, "r": link},
    ]


def encoded_link_template(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        any_link = conn.execute(select(UserRole.id).limit(1)).scalar_one()
    return encoded(store, "user_roles", any_link)


def push(lab: Lab, store: Store, changes: list[dict[str, Any]]) -> dict[str, Any]:
    doc = {"op_id": str(uuid.uuid4()), "workstation_id": str(ws_id(store)), "changes": changes}
    response = post(lab, "/v1/push", json.dumps(doc).encode(), access_token(lab, store))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def signs_in(store: Store, email: str, password: str) -> bool:
    try:
        login(context_for(store, Actor.anonymous()), email, password)
    except AuthError:
        return False
    return True


@pytest.mark.parametrize("how", ["no author", "a forged proof", "the admin named without proof"])
def test_one_workstation_credential_cannot_plant_a_super_admin(lab: Lab, how: str) -> None:
    a = lab.founder
    b = lab.new_pc(f"Rogue {how}")
    admin_id, role_id = ids(a)
    changes = attack(b, admin_id, role_id)
    for change in changes:
        if how == "a forged proof":
            change.update(a=str(admin_id), p=secrets.token_hex(32))
        elif how == "the admin named without proof":
            change["a"] = str(admin_id)
    before = access_rows(lab)
    answer = push(lab, b, changes)
    assert answer["refused"] == 3 and answer["applied"] == 0
    assert access_rows(lab) == before, "nothing of users or roles changed on the server"
    reasons = lab.central("SELECT reason FROM sync_conflicts WHERE reason LIKE 'refused:%' ORDER BY created_at")
    assert reasons, "the refusals are kept for an administrator"
    for store in (a, b, a):
        lab.sync(store)
    for store in (a, b):
        assert signs_in(store, ADMIN_EMAIL, ADMIN_PASSWORD), "the real Super Admin still signs in"
        assert not signs_in(store, "backdoor@evil.example", ATTACKER_PASSWORD)
        assert not signs_in(store, ADMIN_EMAIL, ATTACKER_PASSWORD)


def test_a_real_proof_moved_to_other_content_or_another_row_is_refused(lab: Lab) -> None:
    """An admin's signed change (a receptionist's phone) is taken from the outbox and its proof reused: on the
    same row with the password hash replaced, and on the Super Admin's row."""
    from db.models.sync import SyncOutbox
    from hms_desktop.services.admin.users import update_user

    a = lab.founder
    admin = signed_in_admin(a)
    clerk = create_user(admin, UserInput("clerk@sunrise.example.in", "Ravi Clerk", RECEPTION_PASSWORD,
                                         ["Receptionist"], must_change_password=False))  # fmt: skip
    lab.sync(a)
    update_user(admin, clerk.id, phone="9886012345")
    with a.engine.connect() as conn:
        entry = conn.execute(
            select(SyncOutbox.hlc, SyncOutbox.author_id, SyncOutbox.proof).where(SyncOutbox.row_id == clerk.id)
        ).one()
    assert entry.author_id == admin.actor.user_id and entry.proof, "the change is signed by the admin"
    row = encoded(a, "users", clerk.id)
    proof = {"a": str(entry.author_id), "p": entry.proof}
    planted = {**row, "password_hash": passwords.hash_password(ATTACKER_PASSWORD)}
    admin_id, _ = ids(a)
    on_admin = {**encoded(a, "users", admin_id), "hlc": row["hlc"], "password_hash": planted["password_hash"]}
    lab.sync(a)  # the genuine change itself is accepted
    assert lab.central(f"SELECT phone FROM users WHERE id = '{clerk.id}'") == [("9886012345",)]
    before = access_rows(lab)
    for forged in (planted, on_admin):
        answer = push(lab, a, [{"t": "users", "id": forged["id"], "h": row["hlc"], "b": None, "r": forged, **proof}])
        assert answer["refused"] == 1
    assert access_rows(lab) == before
    lab.sync(a)
    assert signs_in(a, "clerk@sunrise.example.in", RECEPTION_PASSWORD)
    assert signs_in(a, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_an_admin_staffs_the_clinic_on_one_pc_and_the_new_user_works_on_another(lab: Lab) -> None:
    a = lab.founder
    admin = signed_in_admin(a)
    create_user(admin, UserInput("desk2@sunrise.example.in", "Meera Desk", RECEPTION_PASSWORD, ["Receptionist"],
                                 must_change_password=False))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Reception 2")
    desk = signed_in_admin(b, email="desk2@sunrise.example.in", password=RECEPTION_PASSWORD)
    patient = register_patient(desk, PatientInput("Lakshmi Nair", "F", date(1980, 5, 6)))
    report = lab.sync(b)
    assert lab.central(f"SELECT full_name FROM patients WHERE id = '{patient.id}'") == [("Lakshmi Nair",)]
    assert report.pushed >= 1
    change_password(desk, RECEPTION_PASSWORD, "Coconut-Harbour-2026")  # their own password: allowed
    lab.sync(b)
    lab.sync(a)
    assert signs_in(a, "desk2@sunrise.example.in", "Coconut-Harbour-2026")
    # the new key (of the new password) signs what they do next, and the server knows it
    later = register_patient(
        signed_in_admin(b, email="desk2@sunrise.example.in", password="Coconut-Harbour-2026"),
        PatientInput("Suresh Menon", "M", date(1972, 1, 2)),
    )
    lab.sync(b)
    assert lab.central(f"SELECT count(*) FROM patients WHERE id = '{later.id}'") == [(1,)]


def test_a_signed_in_user_cannot_give_themselves_a_role_through_sync(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receptionist's own, genuine key signs a link of herself to Super Admin, written around the
    services on her PC: the server refuses it by the grant rules and her PC gets the server's state back."""
    a = lab.founder
    admin = signed_in_admin(a)
    clerk = create_user(admin, UserInput("desk3@sunrise.example.in", "Anil Desk", RECEPTION_PASSWORD,
                                         ["Receptionist"], must_change_password=False))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Reception 3")
    her = signed_in_admin(b, email="desk3@sunrise.example.in", password=RECEPTION_PASSWORD)
    _, role_id = ids(b)
    monkeypatch.delenv("HMS_CHECK_WRITE_RIGHTS")  # a tampered PC: no service stands in the way
    with her.transaction() as tx:
        tx.session.add(UserRole(user_id=clerk.id, role_id=role_id))
        tx.commit()
    before = access_rows(lab)
    lab.sync(b)
    assert access_rows(lab) == before
    reason = lab.central("SELECT reason FROM sync_conflicts WHERE table_name = 'user_roles' ORDER BY created_at DESC")
    assert reason[0][0].startswith("refused:") and "users.manage" in reason[0][0]
    lab.sync(b)
    with b.engine.connect() as conn:
        links = conn.execute(select(UserRole.role_id).where(UserRole.user_id == clerk.id)).scalars().all()
    assert role_id not in links, "her PC took the server's state back"


def test_a_sign_in_on_another_pc_does_not_undo_a_disable(lab: Lab) -> None:
    """Finding 5: the user's sign-in bookkeeping is per PC, so a sign-in attempt (right or wrong) on a PC that
    has not synced no longer rewrites the user's row over the administrator's disable."""
    a = lab.founder
    admin = signed_in_admin(a)
    nurse = create_user(admin, UserInput("nurse9@sunrise.example.in", "Divya Nurse", RECEPTION_PASSWORD, ["Nurse"],
                                         must_change_password=False))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Ward")
    disable_user(admin, nurse.id, "left the clinic")
    assert not signs_in(b, "nurse9@sunrise.example.in", "wrong password 1")
    assert signs_in(b, "nurse9@sunrise.example.in", RECEPTION_PASSWORD)  # b has not heard of the disable yet
    for store in (a, b, a, b):
        lab.sync(store)
    assert lab.central(f"SELECT status FROM users WHERE id = '{nurse.id}'") == [("disabled",)]
    for store in (a, b):
        assert not signs_in(store, "nurse9@sunrise.example.in", RECEPTION_PASSWORD)


def test_a_reset_by_emailed_code_is_refused_up_front_on_a_pc_that_syncs(lab: Lab) -> None:
    """The server could not check an emailed code, so the reset would be refused there and undone here: the
    PC says so before it sends anything, for a known and an unknown address alike."""
    from hms_desktop.errors import ValidationError
    from hms_desktop.services.admin.auth import SYNCED_RESET, request_password_reset

    ctx = context_for(lab.founder, Actor.anonymous())
    for address in (ADMIN_EMAIL, "nobody@example.in"):
        with pytest.raises(ValidationError) as refused:
            request_password_reset(ctx, address)
        assert refused.value.field == "email" and str(refused.value.message) == SYNCED_RESET
    assert lab.central("SELECT count(*) FROM users WHERE email = 'nobody@example.in'") == [(0,)]


def test_the_server_checks_the_authors_right_to_write_every_table(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond users and roles: a patient pushed by the system (a workstation token and no user) is refused,
    and so is a doctor's weekly hours changed by a receptionist with her genuine key (her rights do not write
    them); her patient registration goes through."""
    from db.models.scheduling import DoctorSchedule
    from tests.test_sync_unique_values import founder_day

    a = lab.founder
    founder_day(lab)  # a doctor and their weekly hours, set by the admin
    admin = signed_in_admin(a)
    create_user(admin, UserInput("desk4@sunrise.example.in", "Gita Desk", RECEPTION_PASSWORD, ["Receptionist"],
                                 must_change_password=False))  # fmt: skip
    lab.sync(a)
    b = lab.new_pc("Reception 4")
    anonymous = register_patient(context_for(b, Actor.system("desk")), PatientInput("No One", "F", date(1990, 1, 1)))
    her = signed_in_admin(b, email="desk4@sunrise.example.in", password=RECEPTION_PASSWORD)
    mine = register_patient(her, PatientInput("Her Patient", "M", date(1985, 3, 4)))
    with b.engine.connect() as conn:
        hours = conn.execute(select(DoctorSchedule.id)).scalars().first()
    assert hours is not None
    monkeypatch.delenv("HMS_CHECK_WRITE_RIGHTS")  # a tampered PC: no service stands in the way
    with her.transaction() as tx:
        row = tx.session.get(DoctorSchedule, hours)
        assert row is not None
        row.max_patients_per_slot = 7
        tx.commit()
    lab.sync(b)
    assert lab.central(f"SELECT count(*) FROM patients WHERE id = '{anonymous.id}'") == [(0,)]
    assert lab.central(f"SELECT count(*) FROM patients WHERE id = '{mine.id}'") == [(1,)]
    assert lab.central(f"SELECT max_patients_per_slot FROM doctor_schedules WHERE id = '{hours}'") == [(2,)]
    reasons = {r[0] for r in lab.central("SELECT reason FROM sync_conflicts WHERE reason LIKE 'refused:%'")}
    assert "refused: no signed-in user made this change of patients" in reasons
    assert "refused: its author holds no right that writes doctor_schedules" in reasons


def test_a_new_users_first_sign_in_before_the_sync_keeps_their_account_whole(lab: Lab) -> None:
    """A sign-in is bookkeeping of this PC, not an edit of the user: it leaves who and when the row was last
    edited alone and queues nothing. (It used to stamp the user as the row's last editor, so the server put the
    row off until it learnt her key, and applied her role link without her: refused by the foreign key.)"""
    a = lab.founder
    admin = signed_in_admin(a)
    clerk = create_user(admin, UserInput("clerk7@sunrise.example.in", "Anita Clerk", RECEPTION_PASSWORD,
                                         ["Receptionist"], must_change_password=False))  # fmt: skip
    with a.engine.connect() as conn:
        before = conn.execute(select(User.updated_at, User.updated_by_id).where(User.id == clerk.id)).one()
    assert signs_in(a, "clerk7@sunrise.example.in", RECEPTION_PASSWORD)
    with a.engine.connect() as conn:
        after = conn.execute(select(User.updated_at, User.updated_by_id, User.last_login_at)
                             .where(User.id == clerk.id)).one()  # fmt: skip
    assert tuple(after[:2]) == tuple(before) and after[2] is not None
    conflicts = lab.central("SELECT count(*) FROM sync_conflicts")
    lab.sync(a)
    assert lab.central(f"SELECT count(*) FROM users WHERE id = '{clerk.id}'") == [(1,)]
    assert lab.central(f"SELECT count(*) FROM user_roles WHERE user_id = '{clerk.id}'") == [(1,)]
    assert lab.central("SELECT count(*) FROM sync_conflicts") == conflicts
