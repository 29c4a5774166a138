"""The HTTP API of the central server (Starlette, served by uvicorn). Stateless: every request reads what it
needs from PostgreSQL, so several processes or hosts can serve one clinic behind a load balancer.

    GET  /v1/health                          liveness and schema revision
    POST /v1/enrol   {code, name, ...}       one-time code -> workstation + tokens
    POST /v1/token   {refresh_token}         rotate -> new access + refresh token
    POST /v1/push    {op_id, workstation_id, changes}     (Bearer access token)
    GET  /v1/pull?since=N&limit=M[&own=1]                 (Bearer access token)
    POST /v1/blocks  {series, period, size}               (Bearer access token)

Every request but health carries ``X-HMS-Schema``: a PC on another schema revision is refused (update it).
"""

from __future__ import annotations

import logging
import os
import re
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.migrate import head_revision
from hms_desktop.clock import utc_now
from hms_desktop.sync import strict_json
from hms_desktop.sync.errors import ApiError, SyncError
from hms_desktop.sync.server import auth, enrol, feed, store
from hms_desktop.sync.server.apply import apply_batch
from hms_desktop.sync.server.validate import parse_batch

log = logging.getLogger("hms.sync.server")
# A body is read as it streams in and refused (413) as soon as it passes its endpoint's limit, before any
# authentication or database work (a Content-Length over it is refused unread), so no request, signed in or
# not, makes the server hold more than this. Each body is JSON within ``strict_json``'s bounds.
ENROL_BODY_LIMIT = 64 * 1024  # a name, ids and a founder's code series (the first 200 are read)
TOKEN_BODY_LIMIT = 4 * 1024  # one refresh token
BLOCKS_BODY_LIMIT = 4 * 1024  # a series, a period, a size
# A push: 8 M characters of changes (push.MAX_BATCH_BYTES), up to 4 bytes each in UTF-8, or one larger row
# alone (a 10 MiB patient document is 14 MB in base64).
PUSH_BODY_LIMIT = 64 * 1024 * 1024
MAX_QUERY_INT = 2**63 - 1  # since and limit: PostgreSQL's bigint
_WHOLE = re.compile(r"[0-9]{1,19}")
SCHEMA_HEADER = "x-hms-schema"
Handler = Callable[[Request], Awaitable[Response]]


def _now() -> datetime:
    return utc_now()


def _too_large() -> ApiError:
    return ApiError(413, "too_large", "The request is too large.")


async def _body(request: Request, limit: int) -> bytes:
    """The body, read while it streams in; 413 as soon as it passes ``limit`` (the rest is never read)."""
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or len(size) > 19 or int(size) > limit):
        raise _too_large()
    parts: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large()
        parts.append(chunk)
    return b"".join(parts)


async def _json(request: Request, limit: int) -> dict[str, Any]:
    try:
        doc = strict_json.loads(await _body(request, limit))
    except strict_json.Refused as exc:
        raise ApiError(400, "bad_json", str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "The request is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise ApiError(400, "bad_json", "The request must be a JSON object.")
    return doc


def _whole(request: Request, name: str, default: int) -> int:
    """A query parameter that must be a whole number from 0 to 2^63 - 1 (400 otherwise)."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if not _WHOLE.fullmatch(value) or int(value) > MAX_QUERY_INT:
        raise ApiError(400, "bad_request", f"{name} must be a whole number from 0 to {MAX_QUERY_INT}.")
    return int(value)


def keyed_lookups(conn: Any) -> None:
    """Pushes and pulls only look rows up by key. A table that grew fast since its statistics were taken
    looks small to the planner, which then scans it whole for every batch; forbid that in this transaction."""
    conn.execute(text("SET LOCAL enable_seqscan = off"))


def describe_failure(exc: BaseException) -> str:
    """A server error for the log, without the data of the request: the exception's type, a database error's
    SQLSTATE and constraint, and where in the code it was raised (never its message, which can quote rows)."""
    parts = [type(exc).__name__]
    orig = getattr(exc, "orig", None)
    if orig is not None:
        parts.append(type(orig).__name__)
        diag = getattr(orig, "diag", None)
        for name in ("sqlstate", "constraint_name", "table_name"):
            value = getattr(diag, name, None) or (getattr(orig, name, None) if name == "sqlstate" else None)
            if value:
                parts.append(f"{name}={value}")
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "hms_desktop" in f.filename] or frames
    if ours:
        parts.append(f"at {ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno} ({ours[-1].name})")
    return " ".join(parts)


def create_app(database_url: str) -> Starlette:
    engine = store.make_engine(database_url)
    head = head_revision()

    def guarded(fn: Handler) -> Handler:
        async def handler(request: Request) -> Response:
            try:
                if request.url.path != "/v1/health" and request.headers.get(SCHEMA_HEADER) != head:
                    raise ApiError(
                        409,
                        "schema_mismatch",
                        "This PC runs another version of HMS Desktop than the server; update it.",
                    )
                return await fn(request)
            except ApiError as exc:
                return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)
            except Exception as exc:
                log.error("sync request failed: %s", describe_failure(exc))
                return JSONResponse({"error": "internal", "message": "The sync server failed; try again."}, 500)

        return handler

    def who(request: Request, conn: Any) -> uuid.UUID:
        return auth.authenticate(conn, store.clinic(engine).secret, request.headers.get("authorization"), _now())

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "schema": head})

    async def enrol_route(request: Request) -> Response:
        body = await _json(request, ENROL_BODY_LIMIT)

        def run() -> dict[str, Any]:
            clinic = store.clinic(engine)
            with engine.begin() as conn:
                return enrol.enrol(conn, clinic, body, _now())

        return JSONResponse(await run_in_threadpool(run))

    async def token(request: Request) -> Response:
        body = await _json(request, TOKEN_BODY_LIMIT)

        def run() -> dict[str, Any]:
            clinic = store.clinic(engine)
            with engine.begin() as conn:
                try:
                    return auth.refresh(conn, clinic.secret, clinic.id, body.get("refresh_token"), _now())
                except auth.RefuseAfterCommit as exc:
                    refusal = exc  # the family's revocation commits with this block
            raise refusal

        return JSONResponse(await run_in_threadpool(run))

    async def push(request: Request) -> Response:
        raw = await _body(request, PUSH_BODY_LIMIT)

        def run() -> dict[str, Any]:
            with engine.begin() as conn:
                keyed_lookups(conn)
                ws_id = who(request, conn)
                batch = parse_batch(raw, ws_id, _now())  # every row checked before anything is written
                return apply_batch(conn, ws_id, batch, _now(), store.clinic(engine).secret)

        return JSONResponse(await run_in_threadpool(run))

    async def pull(request: Request) -> Response:
        since = _whole(request, "since", 0)
        limit = _whole(request, "limit", 2000)
        own = request.query_params.get("own") == "1"  # a restored PC catching up gets its own rows too

        def run() -> dict[str, Any]:
            with engine.connect() as conn:
                keyed_lookups(conn)
                ws_id = who(request, conn)
                return feed.pull_page(conn, ws_id, since, limit, own=own)

        return JSONResponse(await run_in_threadpool(run))

    async def blocks(request: Request) -> Response:
        body = await _json(request, BLOCKS_BODY_LIMIT)

        def run() -> dict[str, Any]:
            with engine.begin() as conn:
                return enrol.reserve_block(conn, who(request, conn), body, _now())

        return JSONResponse(await run_in_threadpool(run))

    routes = [
        Route("/v1/health", guarded(health), methods=["GET"]),
        Route("/v1/enrol", guarded(enrol_route), methods=["POST"]),
        Route("/v1/token", guarded(token), methods=["POST"]),
        Route("/v1/push", guarded(push), methods=["POST"]),
        Route("/v1/pull", guarded(pull), methods=["GET"]),
        Route("/v1/blocks", guarded(blocks), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    return app


def app_from_env() -> Starlette:
    """The app for uvicorn's worker processes (``--workers``): the database URL comes from the environment."""
    return create_app(os.environ["HMS_SYNC_DATABASE_URL"])


def serve(
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 1,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """Run the server; over https with ``certfile``/``keyfile`` (the pair of ``hms sync-server tls``)."""
    import uvicorn

    if (certfile is None) != (keyfile is None):
        raise SyncError("Give both the certificate and its key, or neither.")
    for path in (certfile, keyfile):
        if path is not None and not os.path.isfile(path):
            raise SyncError(f"{os.path.basename(path)} is missing: create it with `hms sync-server tls`.")

    engine: Engine = store.make_engine(database_url, pool_size=1)
    try:
        if store.revision(engine) != head_revision():
            raise SyncError("The central database is not at this version's schema: run `hms sync-server init`.")
        store.clinic(engine)
    except ApiError as exc:
        raise SyncError(exc.message) from None
    finally:
        engine.dispose()
    os.environ["HMS_SYNC_DATABASE_URL"] = database_url
    uvicorn.run(
        "hms_desktop.sync.server.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level="warning", access_log=False, ssl_certfile=certfile, ssl_keyfile=keyfile,
    )  # fmt: skip
