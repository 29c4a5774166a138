"""Enrolment on the server: a one-time code makes a workstation with an id, a name and a short code.

The first PC enrolled is normally the one the clinic already runs on (``founder``): it names its clinic
(hospital id), keeps its own workstation id when free, and reports how far its code series have gone, so
the server never hands those numbers out again. Every later PC starts from an empty store and downloads
the clinic. A PC of another clinic, or an empty PC before any clinic data is on the server, is refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection

from db.ids import uuid7
from hms_desktop.sync import hlc
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import spec, sql_table
from hms_desktop.sync.server import auth
from hms_desktop.sync.server.store import BLOCKS_LOCK, Clinic, FeedEntry, register

WORKSTATIONS = sql_table("workstations")
BLOCKS = sql_table("sync_blocks")
SERIES_RE = re.compile(r"^[A-Z]{1,16}$")
PERIOD_RE = re.compile(r"^[0-9-]{0,16}$")


def _text(body: dict[str, Any], key: str, max_len: int, *, required: bool = True) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value.strip()) > max_len or (required and not value.strip()):
        raise ApiError(400, "bad_request", f"{key} must be text of 1 to {max_len} characters.")
    return value.strip()


def _uuid(body: dict[str, Any], key: str) -> uuid.UUID | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApiError(400, "bad_request", f"{key} is not an id.") from None


def _short_code(conn: Connection, wanted: str | None) -> str:
    taken = set(conn.execute(select(WORKSTATIONS.c.short_code)).scalars())
    if wanted and re.fullmatch(r"[A-Z0-9]{2,8}", wanted) and wanted not in taken:
        return wanted
    n = 1
    while f"WS{n:02d}" in taken:
        n += 1
    return f"WS{n:02d}"


def reserve_high_water(conn: Connection, ws_id: uuid.UUID, series: object, now: datetime) -> None:
    """Numbers a founder issued before it synced become its block, so they are never handed out again."""
    if not isinstance(series, list):
        raise ApiError(400, "bad_request", "series must be a list.")
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BLOCKS_LOCK})
    for item in series[:200]:
        if not isinstance(item, dict):
            raise ApiError(400, "bad_request", "a series entry must be an object.")
        name, period, used = item.get("series"), item.get("period"), item.get("next_value")
        if not (
            isinstance(name, str) and SERIES_RE.match(name) and isinstance(period, str) and PERIOD_RE.match(period)
        ):
            raise ApiError(400, "bad_request", "a series entry has a bad name or period.")
        if not isinstance(used, int) or isinstance(used, bool) or not 1 <= used <= 10**12:
            raise ApiError(400, "bad_request", "a series entry has a bad next value.")
        top = conn.execute(
            select(func.coalesce(func.max(BLOCKS.c.block_end), 0)).where(
                BLOCKS.c.series == name, BLOCKS.c.period == period
            )
        ).scalar_one()
        if used - 1 > top:
            conn.execute(
                BLOCKS.insert().values(
                    id=uuid7(), series=name, period=period, block_start=top + 1, block_end=used - 1,
                    workstation_id=ws_id, created_at=now, updated_at=now,
                )
            )  # fmt: skip


def enrol(conn: Connection, clinic: Clinic, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    code_id = auth.take_code(conn, str(body.get("code", "")), now)
    name = _text(body, "name", 100)
    proposed_id = _uuid(body, "workstation_id")
    hospital_id = _uuid(body, "hospital_id")
    server_hospital = conn.execute(select(sql_table("hospitals").c.id).limit(1)).scalar_one_or_none()
    if hospital_id is not None and server_hospital is not None and server_hospital != hospital_id:
        raise ApiError(
            409, "other_clinic", "This PC holds another clinic's data; enrol a new, empty store on it instead."
        )
    if hospital_id is None and server_hospital is None:
        raise ApiError(
            409, "no_clinic_yet", "The server holds no clinic yet: first enrol the PC the clinic already runs on."
        )
    ws_id = proposed_id if hospital_id is not None else None
    if ws_id is None or conn.execute(select(WORKSTATIONS.c.id).where(WORKSTATIONS.c.id == ws_id)).first():
        ws_id = uuid7()
    short = _short_code(conn, str(body.get("short_code") or "") if hospital_id is not None else None)
    stamp = hlc.server_stamp(int(now.timestamp() * 1000))
    values = {
        "id": ws_id, "name": name, "short_code": short, "is_local": False, "enrolled_at": now,
        "revoked_at": None, "last_seen_at": now, "created_at": now, "updated_at": now,
        "created_by_id": None, "updated_by_id": None, "deleted_at": None, "hlc": stamp,
    }  # fmt: skip
    conn.execute(WORKSTATIONS.insert().values(**values))
    if hospital_id is not None:
        reserve_high_water(conn, ws_id, body.get("series", []), now)
    if hospital_id is not None and server_hospital is None:
        # the first PC with the clinic's data: the rows it holds now are the clinic's base (``authorize``)
        clinic_table = sql_table("sync_clinic")
        conn.execute(
            update(clinic_table).where(clinic_table.c.founder_id.is_(None)).values(founder_id=ws_id, updated_at=now)
        )
    conn.execute(
        update(sql_table("sync_enrolment_codes"))
        .where(sql_table("sync_enrolment_codes").c.id == code_id)
        .values(used_at=now, workstation_id=ws_id, updated_at=now)
    )
    tokens = auth.issue(conn, clinic.secret, clinic.id, ws_id, now)
    register(conn, [FeedEntry("workstations", ws_id, stamp, None)], now)
    table = spec("workstations")
    assert table is not None
    return {
        "workstation": codec_for(table).encode(values),
        "clinic": {"id": str(clinic.id), "name": clinic.name},
        **tokens,
    }


def reserve_block(conn: Connection, ws_id: uuid.UUID, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    series, period, size = body.get("series"), body.get("period"), body.get("size")
    if not (
        isinstance(series, str) and SERIES_RE.match(series) and isinstance(period, str) and PERIOD_RE.match(period)
    ):
        raise ApiError(400, "bad_request", "series must be 1-16 capital letters and period up to 16 digits or dashes.")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100_000:
        raise ApiError(400, "bad_request", "size must be between 1 and 100000.")
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BLOCKS_LOCK})
    top = int(
        conn.execute(
            select(func.coalesce(func.max(BLOCKS.c.block_end), 0)).where(
                BLOCKS.c.series == series, BLOCKS.c.period == period
            )
        ).scalar_one()
    )
    conn.execute(
        BLOCKS.insert().values(
            id=uuid7(), series=series, period=period, block_start=top + 1, block_end=top + size,
            workstation_id=ws_id, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return {"series": series, "period": period, "start": top + 1, "end": top + size}
