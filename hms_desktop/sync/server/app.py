"""The HTTP API of the central server (Starlette, served by uvicorn). Stateless: every request reads what it
needs from PostgreSQL, so several processes or hosts can serve one clinic behind a load balancer.

    GET  /v1/health                          liveness and schema revision
    POST /v1/enrol   {code, name, ...}       one-time code -> workstation + tokens
    POST /v1/token   {refresh_token}         rotate -> new access + refresh token
    POST /v1/push    {op_id, workstation_id, changes}     (Bearer access token)
    GET  /v1/pull?since=N&limit=M                         (Bearer access token)
    POST /v1/blocks  {series, period, size}               (Bearer access token)

Every request but health carries ``X-HMS-Schema``: a PC on another schema revision is refused (update it).
"""

from __future__ import annotations

import json
import logging
import os
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
from hms_desktop.sync.errors import ApiError, SyncError
from hms_desktop.sync.server import auth, enrol, feed, store
from hms_desktop.sync.server.apply import apply_batch
from hms_desktop.sync.server.validate import parse_batch

log = logging.getLogger("hms.sync.server")
MAX_BODY = 64 * 1024 * 1024
SCHEMA_HEADER = "x-hms-schema"
Handler = Callable[[Request], Awaitable[Response]]


def _now() -> datetime:
    return utc_now()


async def _body(request: Request) -> bytes:
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
        raise ApiError(413, "too_large", "The request is too large.")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", "The request is too large.")
    return body


async def _json(request: Request) -> dict[str, Any]:
    try:
        doc = json.loads(await _body(request))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "The request is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise ApiError(400, "bad_json", "The request must be a JSON object.")
    return doc


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
        body = await _json(request)

        def run() -> dict[str, Any]:
            clinic = store.clinic(engine)
            with engine.begin() as conn:
                return enrol.enrol(conn, clinic, body, _now())

        return JSONResponse(await run_in_threadpool(run))

    async def token(request: Request) -> Response:
        body = await _json(request)

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
        raw = await _body(request)

        def run() -> dict[str, Any]:
            with engine.begin() as conn:
                keyed_lookups(conn)
                ws_id = who(request, conn)
                op_id, changes = parse_batch(raw, ws_id)  # every row checked before anything is written
                return apply_batch(conn, ws_id, op_id, changes, _now())

        return JSONResponse(await run_in_threadpool(run))

    async def pull(request: Request) -> Response:
        try:
            since = int(request.query_params.get("since", "0"))
            limit = int(request.query_params.get("limit", "2000"))
        except ValueError:
            raise ApiError(400, "bad_request", "since and limit must be whole numbers.") from None
        if since < 0:
            raise ApiError(400, "bad_request", "since must not be negative.")

        def run() -> dict[str, Any]:
            with engine.connect() as conn:
                keyed_lookups(conn)
                ws_id = who(request, conn)
                return feed.pull_page(conn, ws_id, since, limit)

        return JSONResponse(await run_in_threadpool(run))

    async def blocks(request: Request) -> Response:
        body = await _json(request)

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


def serve(database_url: str, *, host: str = "127.0.0.1", port: int = 8765, workers: int = 1) -> None:
    import uvicorn

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
        log_level="warning", access_log=False,
    )  # fmt: skip
