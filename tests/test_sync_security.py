"""The server refuses what it must, and writes nothing when it does: expired, forged and `none` tokens, a
revoked workstation, malformed batches, a push pretending to be another workstation, spent codes, a reused
refresh token, another schema."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from db.migrate import head_revision
from db.models.sync import SyncOutbox
from hms_desktop.clock import utc_now
from hms_desktop.security import tokens
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.errors import SyncRefused
from hms_desktop.sync.policy import spec
from hms_desktop.sync.server.admin import revoke
from hms_desktop.sync.state import identity
from hms_desktop.sync.transport import REFRESH_KEY, Transport
from tests.helpers import signed_in_admin
from tests.pg import Lab

Change = dict[str, Any]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One clinic for the module: every test takes a snapshot of the central database before and after."""
    from tests.conftest import make_clinic

    base = tmp_path_factory.mktemp("sync-security")
    paths, recovery = make_clinic(base / "founder")
    made = Lab(base, paths, recovery)
    try:
        yield made
    finally:
        made.close()


def snapshot(lab: Lab) -> list[tuple[object, ...]]:
    return lab.central(
        "SELECT (SELECT coalesce(max(seq), 0) FROM sync_rows), (SELECT count(*) FROM sync_batches),"
        " (SELECT count(*) FROM patients), (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM sync_conflicts),"
        " (SELECT count(*) FROM stock_movements)"
    )


def ws_id(store: Store) -> uuid.UUID:
    with store.engine.connect() as conn:
        ident = identity(conn)
    assert ident is not None
    return ident.workstation_id


def access_token(lab: Lab, store: Store) -> str:
    with Transport(lab.server.url, store.keys) as t:
        return t._token()


def post(lab: Lab, path: str, body: bytes, token: str | None = None, schema: str | None = None) -> httpx.Response:
    headers = {"x-hms-schema": schema or head_revision(), "content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(lab.server.url + path, content=body, headers=headers, timeout=30)


def new_patient_changes(store: Store) -> list[Change]:
    """A valid patient change and its audit row, registered on ``store`` (not yet pushed)."""
    ctx = signed_in_admin(store)
    register_patient(ctx, PatientInput("Bad Batch", "F", date(1990, 1, 1)), allow_duplicates=True)
    out = []
    with store.engine.connect() as conn:
        for name in ("patients", "audit_logs"):
            table = spec(name)
            assert table is not None
            row = conn.execute(select(*table.columns).order_by(table.table.c.id.desc()).limit(1)).mappings().one()
            entry = conn.execute(
                select(SyncOutbox.hlc, SyncOutbox.author_id, SyncOutbox.proof).where(SyncOutbox.row_id == row["id"])
            ).one()  # the admin's proof of it, as the push would send it
            change = {"t": name, "id": str(row["id"]), "h": entry.hlc, "b": None, "r": codec_for(table).encode(row)}
            out.append({**change, "a": str(entry.author_id), "p": entry.proof})
    return out


def batch(store: Store, changes: list[Change], *, as_ws: uuid.UUID | None = None) -> bytes:
    doc = {"op_id": str(uuid.uuid4()), "workstation_id": str(as_ws or ws_id(store)), "changes": changes}
    return json.dumps(doc).encode()


def test_expired_forged_and_unsigned_tokens_are_refused(lab: Lab) -> None:
    a = lab.founder
    good = new_patient_changes(a)
    body = batch(a, good)
    secret = bytes(lab.central("SELECT token_secret FROM sync_clinic")[0][0])  # type: ignore[arg-type]
    family = uuid.UUID(str(lab.central(f"SELECT family_id FROM sync_tokens WHERE workstation_id = '{ws_id(a)}'")[0][0]))
    old = utc_now() - timedelta(hours=1)
    expired, _ = tokens.issue_access(secret, ws_id(a), family, old, audience="hms-sync")
    forged, _ = tokens.issue_access(os.urandom(32), ws_id(a), family, utc_now(), audience="hms-sync")
    claims = {"sub": str(ws_id(a)), "fam": str(family), "iat": int(utc_now().timestamp()),
              "exp": int(utc_now().timestamp()) + 600, "aud": "hms-sync", "typ": "access"}  # fmt: skip
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    other_aud, _ = tokens.issue_access(secret, ws_id(a), family, utc_now())  # a desktop token
    before = snapshot(lab)
    for token in (expired, forged, unsigned, other_aud, "not-a-token", None):
        response = post(lab, "/v1/push", body, token)
        assert response.status_code == 401, (token, response.text)
    assert snapshot(lab) == before
    assert post(lab, "/v1/push", body, access_token(lab, a)).status_code == 200  # the same batch, signed right


def test_a_revoked_workstation_is_refused_and_nothing_is_written(lab: Lab) -> None:
    c = lab.new_pc("Old laptop")
    token = access_token(lab, c)
    good = new_patient_changes(c)
    short = lab.central(f"SELECT short_code FROM workstations WHERE id = '{ws_id(c)}'")[0][0]
    revoke(lab.engine, str(short))
    before = snapshot(lab)
    response = post(lab, "/v1/push", batch(c, good), token)
    assert response.status_code == 403 and response.json()["error"] == "revoked"
    refresh = post(lab, "/v1/token", json.dumps({"refresh_token": c.keys.get(REFRESH_KEY).decode()}).encode())  # type: ignore[union-attr]
    assert refresh.status_code == 403
    with pytest.raises(SyncRefused) as info:
        lab.sync(c)
    assert info.value.code == "revoked"
    assert snapshot(lab) == before
    lab.sync(lab.founder)  # the other PCs learn of it
    with lab.founder.engine.connect() as conn:
        revoked = conn.exec_driver_sql(f"SELECT revoked_at FROM workstations WHERE id = '{ws_id(c).hex}'").scalar()
    assert revoked is not None


def _mutations() -> list[tuple[str, Callable[[list[Change]], object]]]:
    def setr(col: str, value: object) -> Callable[[list[Change]], object]:
        def f(changes: list[Change]) -> object:
            changes[0]["r"][col] = value
            return changes

        return f

    def setr1(col: str, value: object) -> Callable[[list[Change]], object]:
        def f(changes: list[Change]) -> object:
            changes[1]["r"][col] = value
            return changes

        return f

    def drop(col: str) -> Callable[[list[Change]], object]:
        def f(changes: list[Change]) -> object:
            del changes[0]["r"][col]
            return changes

        return f

    def table(name: str) -> Callable[[list[Change]], object]:
        def f(changes: list[Change]) -> object:
            changes[0]["t"] = name
            return changes

        return f

    def delete_ledger(changes: list[Change]) -> object:
        changes[1].pop("r")
        changes[1]["d"] = True
        return changes

    return [
        ("unknown table", table("no_such_table")),
        ("local-only table", table("refresh_tokens")),
        ("server-managed table", table("workstations")),
        ("unknown column", setr("favourite_colour", "blue")),
        ("missing column", drop("city")),
        ("integer for text", setr("gender", 3)),
        ("number for text", setr("full_name", 4.2)),
        ("text for an integer", setr1("seq", "7")),
        ("integer out of range", setr1("seq", 2**70)),
        ("boolean for an integer", setr1("seq", True)),
        ("too long", setr("pincode", "1234567")),
        ("naive datetime", setr("created_at", "2026-01-01T10:00:00")),
        ("bad uuid", setr("created_by_id", "not-a-uuid")),
        ("bad boolean", setr("dob_is_approximate", "yes")),
        ("empty where required", setr("full_name", None)),
        ("delete from a ledger", delete_ledger),
    ]


@pytest.mark.parametrize("what", [m[0] for m in _mutations()])
def test_malformed_batches_are_refused_with_nothing_written(lab: Lab, what: str) -> None:
    a = lab.founder
    good = new_patient_changes(a)
    token = access_token(lab, a)
    mutate = dict(_mutations())[what]
    # the valid audit row travels in the same batch: it must not be written either
    body = batch(a, mutate(copy.deepcopy(good)))  # type: ignore[arg-type]
    before = snapshot(lab)
    response = post(lab, "/v1/push", body, token)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_batch"
    assert snapshot(lab) == before


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"op_id": "x"}', b"\xff\xfe", b'{"changes": []}'])
def test_bad_json_is_refused(lab: Lab, raw: bytes) -> None:
    before = snapshot(lab)
    response = post(lab, "/v1/push", raw, access_token(lab, lab.founder))
    assert response.status_code in (400, 403) and response.json()["error"] in ("bad_batch", "not_yourself")
    assert snapshot(lab) == before


def test_a_push_pretending_to_be_another_workstation_is_refused(lab: Lab) -> None:
    a = lab.founder
    b = lab.new_pc("Doctor 1")
    token_b = access_token(lab, b)
    good_a = new_patient_changes(a)  # rows stamped with A's clock
    before = snapshot(lab)
    assert post(lab, "/v1/push", batch(a, good_a), token_b).status_code == 403  # names A, signed as B
    assert post(lab, "/v1/push", batch(b, good_a), token_b).status_code == 403  # names B, A's clocks
    mine = new_patient_changes(b)
    forged_chain = copy.deepcopy(mine)
    forged_chain[1]["r"]["chain"] = str(ws_id(a))  # into A's audit chain
    assert post(lab, "/v1/push", batch(b, forged_chain), token_b).status_code == 403
    forged_ws = copy.deepcopy(mine)
    forged_ws[1]["r"]["workstation_id"] = str(ws_id(a))
    response = post(lab, "/v1/push", batch(b, forged_ws), token_b)
    assert response.status_code == 403 and response.json()["error"] == "not_yourself"
    assert snapshot(lab) == before
    assert post(lab, "/v1/push", batch(b, mine), token_b).status_code == 200


def test_enrolment_codes_are_single_use_and_another_clinic_is_refused(lab: Lab, tmp_path: Path) -> None:
    from hms_desktop.storage.store import open_store
    from hms_desktop.sync.enrol import enrol
    from hms_desktop.sync.server.auth import code_hash
    from tests.conftest import make_clinic

    def enrol_raw(code: str) -> httpx.Response:
        return post(lab, "/v1/enrol", json.dumps({"code": code, "name": "Spare PC"}).encode())

    code = lab.codes[-1]
    lab.new_pc("Spare")  # uses it
    assert enrol_raw(code).json()["error"] == "bad_code"
    assert enrol_raw("AAAA-BBBB-CCCC").json()["error"] == "bad_code"
    stale = lab.codes.pop()
    lab.central_exec(
        f"UPDATE sync_enrolment_codes SET expires_at = now() - interval '1 day' WHERE code_hash = '{code_hash(stale)}'"
    )
    assert enrol_raw(stale).json()["error"] == "bad_code"
    other, _ = make_clinic(tmp_path / "other")
    store = open_store(other)
    lab.stores.append(store)
    unused = lab.central("SELECT count(*) FROM sync_enrolment_codes WHERE used_at IS NULL")
    before = snapshot(lab)
    with pytest.raises(SyncRefused) as info:
        enrol(store, lab.server.url, lab.codes[-1], "Other clinic PC")
    assert info.value.code == "other_clinic"
    assert lab.central("SELECT count(*) FROM sync_enrolment_codes WHERE used_at IS NULL") == unused
    assert snapshot(lab) == before


def test_a_reused_refresh_token_ends_the_family_but_a_lost_answer_is_forgiven(lab: Lab) -> None:
    a = lab.new_pc("Reception 2")
    first = a.keys.get(REFRESH_KEY).decode()  # type: ignore[union-attr]

    def rotate(token: str) -> httpx.Response:
        return post(lab, "/v1/token", json.dumps({"refresh_token": token}).encode())

    second = rotate(first)
    assert second.status_code == 200
    again = rotate(first)  # the answer to the first use was lost: the successor was never used
    assert again.status_code == 200
    current = again.json()["refresh_token"]
    third = rotate(current)
    assert third.status_code == 200
    reused = rotate(current)  # its successor has not been used either: forgiven once more
    assert reused.status_code == 200
    fresh = reused.json()["refresh_token"]
    assert rotate(fresh).status_code == 200  # fresh is now used, and its successor too below
    stolen = rotate(first)  # an old token whose successors were used: reuse
    assert stolen.status_code == 401 and stolen.json()["error"] == "token_reuse"
    assert rotate(fresh).status_code == 401  # the whole family is ended


def test_another_schema_version_is_refused(lab: Lab) -> None:
    response = post(lab, "/v1/push", b"{}", access_token(lab, lab.founder), schema="0001")
    assert response.status_code == 409 and response.json()["error"] == "schema_mismatch"
