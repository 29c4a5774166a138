"""Enrolment of a PC: an admin gives the server's URL and a one-time code; the PC gets its workstation id,
name and short code, and keeps its refresh token in the store's key store.

- The address is ``https://`` with the fingerprint of the server's certificate (printed beside the code),
  or ``http://`` to a server on this PC only (``pinning``). The certificate is fetched and compared before
  the code is sent, the code goes over a connection that trusts that certificate alone, and the certificate
  is kept in the key store for every later connection. A wrong fingerprint enrols nothing.

- A PC that already runs the clinic (``founder``) keeps its data: everything in it is queued for the first
  push, and the numbers its code series already issued are reserved to it on the server.
- A new PC starts from an empty store (``enrol_new_store``) and downloads the clinic at its first sync. Give
  it the clinic's recovery key: then the audit chains of every PC verify on every PC, and the backups of
  every PC open with that one key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from db.types import UTCDateTime
from hms_desktop.audit.trail import record
from hms_desktop.clock import Clock
from hms_desktop.context import Actor
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.storage.keys import PassphraseSource, env_or_prompt
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import Store, discard_new_store, init_store
from hms_desktop.sync import pinning, state
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.errors import NotEnrolled
from hms_desktop.sync.policy import PULL_ONLY, spec, sql_table, synced
from hms_desktop.sync.transport import Transport

WORKSTATIONS = sql_table("workstations")
OUTBOX = sql_table("sync_outbox")


@dataclass(frozen=True, kw_only=True)
class EnrolResult:
    workstation_id: uuid.UUID
    name: str
    short_code: str
    clinic_name: str
    founder: bool
    queued: int  # rows of a founder queued for the first push


@dataclass(frozen=True, kw_only=True)
class NewStoreEnrolment:
    store: Store
    result: EnrolResult
    recovery_key: str | None  # the new store's own key when the clinic's was not given (shown once)


def _local_facts(conn: Connection) -> dict[str, object]:
    hospital = conn.execute(select(sql_table("hospitals").c.id).limit(1)).scalar_one_or_none()
    ws = conn.execute(
        select(WORKSTATIONS.c.id, WORKSTATIONS.c.short_code).where(WORKSTATIONS.c.is_local.is_(True))
    ).first()
    seq = sql_table("id_sequences")
    series = [
        {"series": s, "period": p, "next_value": int(n)}
        for s, p, n in conn.execute(select(seq.c.series, seq.c.period, seq.c.next_value).where(seq.c.scope == ""))
    ]
    return {
        "hospital_id": str(hospital) if hospital else None,
        "workstation_id": str(ws[0]) if ws and hospital else None,
        "short_code": ws[1] if ws and hospital else None,
        "series": series if hospital else [],
    }


def enrol(
    store: Store, server_url: str, code: str, name: str, *, fingerprint: str = "", clock: Clock | None = None
) -> EnrolResult:
    """Enrol the store's PC with the central server (see the module's notes)."""
    url = (server_url or "").strip().rstrip("/")
    pinning.check_entry(url, fingerprint)
    label = (name or "").strip()
    if not 1 <= len(label) <= 100:
        raise ValidationError("name", "Give this PC a name of 1 to 100 characters (for example Reception 1).")
    if not (code or "").strip():
        raise ValidationError("code", "Give the one-time enrolment code from the server's administrator.")
    now = (clock or Clock()).now()
    with store.engine.connect().execution_options(hms_readonly=True) as conn:
        if state.identity(conn) is not None:
            raise Conflict("This PC is already enrolled with a sync server.")
        facts = _local_facts(conn)
    pem = pinning.certificate_for(url, fingerprint)  # compared before the code is sent
    try:
        with Transport(url, store.keys, pinned_pem=pem) as transport:
            answer = transport.enrol({**facts, "code": code.strip(), "name": label})
            transport.adopt(answer)  # the refresh token goes into the key store now
    except pinning.ServerNotTrusted:  # another certificate than the one just compared
        raise ValidationError("fingerprint", pinning.MISMATCH) from None
    if pem is not None:
        store.keys.set(pinning.CERT_KEY, pem)
    else:
        store.keys.delete(pinning.CERT_KEY)
    table = spec("workstations")
    assert table is not None
    ws = codec_for(table).decode(answer["workstation"])
    founder = facts["hospital_id"] is not None
    with store.engine.begin() as conn:
        conn.execute(update(WORKSTATIONS).values(is_local=False))
        if conn.execute(select(WORKSTATIONS.c.id).where(WORKSTATIONS.c.id == ws["id"])).first():
            conn.execute(update(WORKSTATIONS).where(WORKSTATIONS.c.id == ws["id"]).values(**ws, is_local=True))
        else:
            conn.execute(insert(WORKSTATIONS).values(**ws, is_local=True))
        conn.execute(delete(sql_table("sync_state")))
        conn.execute(
            insert(sql_table("sync_state")).values(
                server_url=url, clinic_id=uuid.UUID(answer["clinic"]["id"]), workstation_id=ws["id"],
                short_code=ws["short_code"], enrolled_at=now,
            )
        )  # fmt: skip
        queued = _seed(conn, now) if founder else 0
    pinned = f" (certificate {pinning.short_form(pinning.fingerprint_of(pem))})" if pem is not None else ""
    _audit(store, ws["id"], ws["name"], f"{url[:200]}{pinned}", clock)
    return EnrolResult(
        workstation_id=ws["id"],
        name=ws["name"],
        short_code=ws["short_code"],
        clinic_name=str(answer["clinic"]["name"]),
        founder=founder,
        queued=queued,
    )


def pin_server(store: Store, server_url: str, fingerprint: str = "", *, clock: Clock | None = None) -> str:
    """Point this enrolled PC at ``server_url`` and pin the certificate it presents there: after the server's
    certificate was replaced, or for a PC enrolled over plain http to the network before https was required.

    The certificate must match ``fingerprint`` (as at enrolment), and the server must accept this PC's own
    credentials over that pinned connection (a token refresh) before anything is changed: a server that does
    not know this PC is refused and the PC keeps its old address. Returns the short form pinned ("" for http).
    """
    url = (server_url or "").strip().rstrip("/")
    pinning.check_entry(url, fingerprint)
    with store.engine.connect().execution_options(hms_readonly=True) as conn:
        ident = state.identity(conn)
    if ident is None:
        raise NotEnrolled("This PC is not enrolled with a sync server (hms sync enroll).")
    pem = pinning.certificate_for(url, fingerprint)
    try:
        with Transport(url, store.keys, pinned_pem=pem) as transport:
            transport.refresh()  # this PC's credentials work there: it is this clinic's server
    except pinning.ServerNotTrusted:
        raise ValidationError("fingerprint", pinning.MISMATCH) from None
    if pem is not None:
        store.keys.set(pinning.CERT_KEY, pem)
    else:
        store.keys.delete(pinning.CERT_KEY)
    with store.engine.begin() as conn:
        state.set_values(conn, server_url=url)
    short = pinning.short_form(pinning.fingerprint_of(pem)) if pem is not None else ""
    name = _workstation_name(store, ident.workstation_id)
    where = f"{url[:200]} (certificate {short})" if short else url[:200]
    _audit(store, ident.workstation_id, name, where, clock, action="sync_pin")
    return short


def _workstation_name(store: Store, ws_id: uuid.UUID) -> str:
    with store.engine.connect().execution_options(hms_readonly=True) as conn:
        name = conn.execute(select(WORKSTATIONS.c.name).where(WORKSTATIONS.c.id == ws_id)).scalar_one_or_none()
    return str(name or "")


def _seed(conn: Connection, now: datetime) -> int:
    """Queue every row a founder holds (and stamp the mutable ones with its clock) for the first push."""
    stamp = state.tick(conn, now)
    assert stamp is not None
    # the server takes the rows of this clock from its founder as the clinic's base (no author needed)
    conn.execute(update(sql_table("sync_state")).values(seed_hlc=stamp))
    queued = 0
    for table in synced().values():
        if table.name in PULL_ONLY:
            continue
        t = table.table
        source = select(
            sa.func.lower(sa.func.hex(sa.func.randomblob(16))),
            sa.literal(table.name),
            t.c.id,
            sa.literal(stamp),
            sa.literal(now, UTCDateTime()),
            sa.literal(now, UTCDateTime()),
        ).where(t.c.hlc.is_(None))
        result = conn.execute(
            insert(OUTBOX).from_select(["id", "table_name", "row_id", "hlc", "created_at", "updated_at"], source)
        )
        queued += result.rowcount or 0
        if not table.append_only:
            conn.execute(update(t).where(t.c.hlc.is_(None)).values(hlc=stamp, updated_at=t.c.updated_at))
    return queued


def _audit(
    store: Store, ws_id: uuid.UUID, name: str, where: str, clock: Clock | None, *, action: str = "sync_enrol"
) -> None:
    from dataclasses import replace

    from hms_desktop.context import WorkstationInfo
    from hms_desktop.runtime import context_for

    ctx = replace(
        context_for(store, Actor.system("sync enrolment"), clock=clock), workstation=WorkstationInfo(ws_id, name)
    )
    with ctx.transaction() as tx:
        verb = "enrolled with" if action == "sync_enrol" else "now syncs with"
        record(tx, action, entity_type="workstations", entity_id=ws_id, detail=f"{verb} {where}")
        tx.commit()


def enrol_new_store(
    paths: StorePaths,
    server_url: str,
    code: str,
    name: str,
    *,
    recovery_key: bytes | None = None,
    key_mode: str = "auto",
    passphrase_source: PassphraseSource = env_or_prompt,
    fingerprint: str = "",
    clock: Clock | None = None,
) -> NewStoreEnrolment:
    """Create an empty store on a new PC and enrol it; its first sync downloads the clinic."""
    pinning.check_entry((server_url or "").strip().rstrip("/"), fingerprint)  # no store made for a bad address
    created = init_store(paths, key_mode=key_mode, passphrase_source=passphrase_source)
    store = created.store
    try:
        if recovery_key is not None:
            store.keys.set("recovery-key", recovery_key)
        result = enrol(store, server_url, code, name, fingerprint=fingerprint, clock=clock)
    except BaseException:
        discard_new_store(store)
        raise
    own_key = None if recovery_key is not None else created.recovery_key
    return NewStoreEnrolment(store=store, result=result, recovery_key=own_key)
