"""Every synced table says who may write it on the server (``sync/table_rights.py``), and the map's rights exist."""

from __future__ import annotations

from hms_desktop.security.permissions import CATALOGUE, DEFAULT_ROLES
from hms_desktop.sync.policy import pushable, synced
from hms_desktop.sync.table_rights import ACCESS, ANY_AUTHOR, SYSTEM_WRITES, WRITE_RIGHTS, may_write


def test_every_pushed_table_has_its_writers_named() -> None:
    pushed = {name for name in synced() if pushable(name)}
    named = set(WRITE_RIGHTS) | set(ACCESS) | ANY_AUTHOR
    assert pushed - named == set(), "a synced table nobody may write on the server: name its rights"
    assert named - pushed == set(), "a table named that does not sync"
    assert SYSTEM_WRITES <= ANY_AUTHOR


def test_the_rights_named_are_permission_codes() -> None:
    used = set().union(*WRITE_RIGHTS.values()) | {c for c in ACCESS.values() if c}
    assert used - set(CATALOGUE) == set()


def test_each_default_role_writes_what_its_job_needs_and_not_more() -> None:
    def codes(role: str) -> frozenset[str]:
        return frozenset(DEFAULT_ROLES[role][1])

    assert may_write("patients", codes("Receptionist")) and may_write("appointment_queue", codes("Receptionist"))
    assert not may_write("prescriptions", codes("Receptionist")) and not may_write("users", codes("Receptionist"))
    assert may_write("prescriptions", codes("Doctor")) and may_write("charges", codes("Doctor"))
    assert not may_write("payments", codes("Doctor")) and not may_write("stock_movements", codes("Doctor"))
    assert may_write("vitals", codes("Nurse")) and not may_write("consultations", codes("Nurse"))
    assert may_write("users", codes("Admin")) and not may_write("permissions", codes("Super Admin"))
    assert may_write("audit_logs", frozenset()), "every action leaves its audit row"
