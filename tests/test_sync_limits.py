"""Issue 11, findings 2, 3 and 4, attacked as the review did, against a real server over a real PostgreSQL:

2. bodies are limited while they stream in, per endpoint, before any sign-in work (a 63 MiB object to
   /v1/enrol and a 200 MiB chunked body are refused early, the server's peak memory barely moves); JSON is
   bounded (100k deep, ``1e400``); ``since``/``limit`` beyond 64 bits are a 400 with a sentence, not a 500;
3. a change whose clock is far ahead of the server's time is refused, and a far-future clock on the server
   (from before the fix) does not drag a PC's clock along: the PC keeps syncing;
4. a settings value nested 900 deep or a time zone that does not exist is refused by the server, and set
   aside by a PC that pulls one anyway, which keeps syncing and working.

Every refusal is checked to have written nothing.
"""

from __future__ import annotations

import json
import select
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select as sql_select
from sqlalchemy import text

from db.migrate import head_revision
from hms_desktop.clock import utc_now
from hms_desktop.services.admin.clinic_time import clinic_today
from hms_desktop.services.admin.hospital import get_settings
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync import hlc
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.test_sync_security import access_token as token
from tests.test_sync_security import ws_id

MiB = 1024 * 1024
Change = dict[str, Any]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from tests.conftest import make_clinic

    base = tmp_path_factory.mktemp("sync-limits")
    paths, recovery = make_clinic(base / "founder")
    made = Lab(base, paths, recovery)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def doctor(lab: Lab) -> Store:
    """A second PC (a new store that downloaded the clinic)."""
    return lab.new_pc("Doctor 1")  # type: ignore[no-any-return]


def snapshot(lab: Lab) -> list[tuple[object, ...]]:
    return lab.central(
        "SELECT (SELECT coalesce(max(seq), 0) FROM sync_rows), (SELECT count(*) FROM sync_batches),"
        " (SELECT count(*) FROM patients), (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM sync_conflicts),"
        " (SELECT count(*) FROM workstations), (SELECT count(*) FROM sync_tokens),"
        " (SELECT string_agg(key || '=' || value::text || hlc, ',' ORDER BY key) FROM hospital_settings)"
    )


def post(lab: Lab, path: str, body: bytes, auth: str | None = None) -> httpx.Response:
    headers = {"x-hms-schema": head_revision(), "content-type": "application/json"}
    if auth:
        headers["authorization"] = f"Bearer {auth}"
    return httpx.post(lab.server.url + path, content=body, headers=headers, timeout=60)


def refused(response: httpx.Response, status: int, error: str, says: str = "") -> str:
    assert response.status_code == status, response.text
    doc = response.json()
    assert set(doc) == {"error", "message"} and doc["error"] == error, doc
    assert says in doc["message"] and doc["message"].endswith("."), doc
    return str(doc["message"])


def peak_memory(lab: Lab) -> int:
    """The server process's peak resident memory so far (VmHWM, bytes)."""
    assert lab.server.proc is not None
    with open(f"/proc/{lab.server.proc.pid}/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def send_raw(lab: Lab, path: str, pieces: Iterator[bytes], *, length: int | None) -> tuple[int, bytes, int]:
    """POST ``pieces`` on a raw socket (Content-Length ``length``, or chunked when None) while watching for the
    answer: stop sending as soon as it comes (or the server closes). Returns (status, answer body, bytes sent)."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"x-hms-schema: {head_revision()}\r\n{framing}\r\n\r\n").encode()  # fmt: skip
    sock = socket.create_connection(("127.0.0.1", lab.server.port), timeout=30)
    sock.sendall(head)
    sock.setblocking(False)
    answer, sent, pending, finished = b"", 0, b"", False
    try:
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            readable, writable, _ = select.select([sock], [] if finished else [sock], [], 30)
            if not readable and not writable:
                raise AssertionError("the server neither answered nor read")
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
                continue
            if not pending:
                piece = next(pieces, None)
                if piece is None:
                    pending, finished = (b"0\r\n\r\n" if length is None else b""), True
                else:
                    pending = b"%x\r\n%s\r\n" % (len(piece), piece) if length is None else piece
            try:
                n = sock.send(pending)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                finished = True
                continue
            sent, pending = sent + n, pending[n:]
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer.split(b"\r\n\r\n", 1)[-1], sent


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def repeat(piece: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(piece)):
        yield piece


# --- finding 2: bodies, JSON, query parameters


def test_a_63_mib_object_to_enrol_is_refused_unread(lab: Lab) -> None:
    """The review's 63 MiB ``{}`` with no code was parsed (server 113 MB -> 1.8 GB)."""
    before, memory = snapshot(lab), peak_memory(lab)
    size = 63 * MiB
    head, tail = b'{"name":"x","pad":"', b'"}'
    filler = size - len(head) - len(tail)
    pieces = iter([head, *repeat(b"a" * MiB, filler - filler % MiB), b"a" * (filler % MiB), tail])
    status, answer, sent = send_raw(lab, "/v1/enrol", pieces, length=size)
    assert status == 413 and json.loads(answer)["error"] == "too_large"
    assert sent < 16 * MiB  # answered from the Content-Length, before the body came in
    assert peak_memory(lab) - memory < 16 * MiB
    assert snapshot(lab) == before


@pytest.mark.parametrize(("path", "most"), [("/v1/enrol", 16 * MiB), ("/v1/token", 16 * MiB), ("/v1/push", 96 * MiB)])
def test_a_chunked_200_mib_body_is_refused_as_soon_as_it_passes_the_limit(lab: Lab, path: str, most: int) -> None:
    """A chunked body (no Content-Length) was buffered whole before the size check (1 GiB sent: +2.7 GB)."""
    before, memory = snapshot(lab), peak_memory(lab)
    status, answer, sent = send_raw(lab, path, repeat(b" " * (256 * 1024), 200 * MiB), length=None)
    assert status == 413 and json.loads(answer) == {"error": "too_large", "message": "The request is too large."}
    assert sent < most  # the limit (64 KiB, 4 KiB, 64 MiB for a push) and the sockets' buffers, not 200 MiB
    assert peak_memory(lab) - memory < most
    assert snapshot(lab) == before


@pytest.mark.parametrize(("path", "limit"), [("/v1/enrol", 64 * 1024), ("/v1/token", 4096), ("/v1/blocks", 4096)])
def test_each_endpoint_has_its_own_limit(lab: Lab, path: str, limit: int) -> None:
    before = snapshot(lab)
    refused(post(lab, path, b'{"x":"' + b"a" * limit + b'"}'), 413, "too_large")
    assert snapshot(lab) == before


def deep(levels: int, inner: bytes = b"1") -> bytes:
    return b"[" * levels + inner + b"]" * levels


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/enrol", b'{"name":"x","code":' + deep(30_000) + b"}"),
        ("/v1/token", b'{"refresh_token":' + deep(1500) + b"}"),
        ("/v1/blocks", b'{"series":' + deep(1500) + b"}"),
    ],
)
def test_deep_json_is_refused_with_a_sentence(lab: Lab, path: str, body: bytes) -> None:
    before = snapshot(lab)
    refused(post(lab, path, body), 400, "bad_json", "more than 64 levels deep")
    assert snapshot(lab) == before


def test_a_push_100k_deep_is_refused_with_a_sentence(lab: Lab) -> None:
    auth = token(lab, lab.founder)
    before = snapshot(lab)
    body = b'{"op_id":"' + str(uuid.uuid4()).encode() + b'","changes":' + deep(100_000) + b"}"
    refused(post(lab, "/v1/push", body, auth), 400, "bad_batch", "more than 64 levels deep")
    assert snapshot(lab) == before


def pull_raw(lab: Lab, query: str) -> httpx.Response:
    headers = {"x-hms-schema": head_revision(), "authorization": f"Bearer {token(lab, lab.founder)}"}
    return httpx.get(f"{lab.server.url}/v1/pull?{query}", headers=headers, timeout=30)


@pytest.mark.parametrize(
    "query",
    ["since=18446744073709551616", "since=" + "9" * 40, "limit=" + str(2**70), "since=-1", "since=1e3",
     "since=%D9%A1%D9%A2", "since=", "limit=0x10"],
)  # fmt: skip
def test_since_and_limit_must_be_64_bit_whole_numbers(lab: Lab, query: str) -> None:
    refused(pull_raw(lab, query), 400, "bad_request", "must be a whole number from 0 to 9223372036854775807")


def test_the_largest_since_is_an_empty_page(lab: Lab) -> None:
    response = pull_raw(lab, f"since={2**63 - 1}&limit={2**63 - 1}")
    assert response.status_code == 200 and response.json()["changes"] == []


def new_patient_changes(store: Store) -> list[Change]:
    """A registered patient's change and its audit row, as the PC would push them (not pushed yet)."""
    register_patient(signed_in_admin(store), PatientInput("Limit Test", "F", date(1990, 1, 1)),
                     allow_duplicates=True)  # fmt: skip
    out = []
    with store.engine.connect() as conn:
        for name in ("patients", "audit_logs"):
            table = spec(name)
            assert table is not None
            row = conn.execute(sql_select(*table.columns).order_by(table.table.c.id.desc()).limit(1)).mappings().one()
            out.append({"t": name, "id": str(row["id"]), "h": row["hlc"], "b": None, "r": codec_for(table).encode(row)})
    return out


def batch(store: Store, changes: list[Change]) -> bytes:
    return json.dumps({"op_id": str(uuid.uuid4()), "workstation_id": str(ws_id(store)), "changes": changes}).encode()


def test_1e400_in_a_pushed_row_is_a_400_not_a_500(lab: Lab) -> None:
    changes = new_patient_changes(lab.founder)
    changes[1]["r"]["new_values"] = {"weight": "BIG"}
    body = batch(lab.founder, changes).replace(b'"BIG"', b"1e400")
    auth = token(lab, lab.founder)
    before = snapshot(lab)
    refused(post(lab, "/v1/push", body, auth), 400, "bad_batch", "a number too large to store")
    assert snapshot(lab) == before


# --- finding 3: a clock far ahead


def restamp(changes: list[Change], stamp: str) -> list[Change]:
    for change in changes:
        change["h"] = change["r"]["hlc"] = stamp
    return changes


def test_a_change_with_a_far_future_clock_is_refused_and_the_pc_keeps_syncing(lab: Lab) -> None:
    a = lab.founder
    changes = new_patient_changes(a)  # the real rows stay in A's outbox
    forged = restamp(json.loads(json.dumps(changes)), f"999999999999999-99999-{ws_id(a).hex}")
    auth = token(lab, a)
    before = snapshot(lab)
    message = refused(post(lab, "/v1/push", batch(a, forged), auth), 400, "bad_batch", "years ahead")
    assert "set that PC's date and time right" in message
    assert snapshot(lab) == before
    lab.sync(a)  # its real changes go
    assert lab.central(f"SELECT hlc FROM patients WHERE id = '{changes[0]['id']}'") == [(changes[0]["h"],)]


def clock_of(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT hlc_ms FROM sync_state").scalar_one())


def serve_again(lab: Lab, table: str, row_id: str, stamp: str, sets: str = "") -> None:
    """Change a row on the central database directly (as a server before the fix let a push do) and put it at
    the head of the feed, from no PC (so every PC pulls it)."""
    lab.central_exec(f"UPDATE {table} SET hlc = '{stamp}'{sets} WHERE id = '{row_id}'")
    lab.central_exec(
        f"UPDATE sync_rows SET seq = (SELECT max(seq) + 1 FROM sync_rows), hlc = '{stamp}', origin_id = NULL"
        f" WHERE table_name = '{table}' AND row_id = '{row_id}'"
    )


def test_a_pulled_far_future_clock_does_not_move_a_pcs_clock(lab: Lab, doctor: Store) -> None:
    """A pulled 999999999999999-99999 clock used to become the PC's, whose next edit then ticked to a value
    the server refused on every push, for ever."""
    a = lab.founder
    patient = new_patient_changes(a)[0]
    lab.sync(a)
    serve_again(lab, "patients", patient["id"], f"999999999999999-99999-{ws_id(a).hex}")
    lab.sync(doctor)
    now_ms = int(utc_now().timestamp() * 1000)
    assert clock_of(doctor) <= now_ms + hlc.MAX_DRIFT_MS
    mine = register_patient(signed_in_admin(doctor), PatientInput("After", "M", date(1980, 2, 2)))
    lab.sync(doctor)  # still syncs
    assert lab.central(f"SELECT count(*) FROM patients WHERE id = '{mine.id}'") == [(1,)]


# --- finding 4: settings that fit their column but break every reader


def setting_change(store: Store, key: str, value_json: str) -> bytes:
    """A push of ``store``'s ``key`` setting with its value replaced by ``value_json`` (raw JSON text)."""
    table = spec("hospital_settings")
    assert table is not None
    with store.engine.connect() as conn:
        row = conn.execute(sql_select(*table.columns).where(table.table.c.key == key)).mappings().one()
    raw = codec_for(table).encode(row)
    stamp = str(hlc.Stamp(ms=int(utc_now().timestamp() * 1000), counter=0, node=ws_id(store).hex))
    raw.update(value="VALUE", hlc=stamp)
    body = batch(store, [{"t": "hospital_settings", "id": raw["id"], "h": stamp, "b": row["hlc"], "r": raw}])
    return body.replace(b'"VALUE"', value_json.encode())


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("[" * 900 + '"Asia/Kolkata"' + "]" * 900, "more than 64 levels deep"),
        ("[" * 20 + '"Asia/Kolkata"' + "]" * 20, "The value of the clinic setting timezone is nested more than 8"),
        ('"Not/AZone"', "Not/AZone is not a time zone name; use one such as Asia/Kolkata."),
    ],
)
def test_the_server_refuses_a_setting_that_breaks_its_rule(lab: Lab, value: str, says: str) -> None:
    body, auth = setting_change(lab.founder, "timezone", value), token(lab, lab.founder)
    before = snapshot(lab)
    refused(post(lab, "/v1/push", body, auth), 400, "bad_batch", says)
    assert snapshot(lab) == before


def local_setting(store: Store, key: str) -> tuple[str, str]:
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT value, hlc FROM hospital_settings WHERE key = :k"), {"k": key}).one()
    return row[0], row[1]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("[" * 900 + '"Asia/Kolkata"' + "]" * 900, "The value of the clinic setting timezone is nested more than 8"),
        ('"Not/AZone"', "Not/AZone is not a time zone name"),
    ],
)
def test_a_pulled_setting_that_breaks_its_rule_is_set_aside_and_sync_goes_on(
    lab: Lab, doctor: Store, value: str, says: str
) -> None:
    lab.sync(doctor)
    kept = local_setting(doctor, "timezone")
    setting_id = str(lab.central("SELECT id FROM hospital_settings WHERE key = 'timezone'")[0][0])
    stamp = hlc.server_stamp(int(utc_now().timestamp() * 1000))
    serve_again(lab, "hospital_settings", setting_id, stamp, f", value = '{value}'::json")
    try:
        lab.sync(doctor)  # no error: the page is applied without that row
        assert local_setting(doctor, "timezone") == kept
        with doctor.engine.connect() as conn:
            reason, values = conn.execute(
                text("SELECT reason, loser_values FROM sync_conflicts WHERE row_id = :r AND loser_hlc = :h"),
                {"r": uuid.UUID(setting_id).hex, "h": stamp},
            ).one()
        assert reason.startswith("not applied on this PC: ") and says in reason
        assert json.loads(values)["value"] == "[redacted]"  # the bad value is not kept anywhere on the PC
        ctx = signed_in_admin(doctor)
        assert get_settings(ctx)["timezone"] == "Asia/Kolkata" and isinstance(clinic_today(ctx), date)
        register_patient(ctx, PatientInput("Still Works", "F", date(1985, 5, 5)), allow_duplicates=True)
        lab.sync(doctor)  # its changes, the set-aside record too, still go to the server
        assert lab.central(f"SELECT count(*) FROM sync_conflicts WHERE loser_hlc = '{stamp}'") == [(1,)]
    finally:
        serve_again(lab, "hospital_settings", setting_id, hlc.server_stamp(int(utc_now().timestamp() * 1000)),
                    ", value = '\"Asia/Kolkata\"'::json")  # fmt: skip
