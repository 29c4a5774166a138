"""HTTP to the central server (httpx): schema header, bearer tokens, retries, errors in one sentence.

Transient failures (no connection, a dropped connection, 502/503/504) are retried a few times with a growing
pause, sending the very same bytes, so a batch whose answer was lost is recognised by its operation id and
not applied twice. A refusal (4xx) is not retried. The refresh token lives in the store's key store and is
replaced there as soon as the server rotates it.

Before any connection the address is checked (``pinning``): plain http only to this PC itself, and an https
server verified against the certificate pinned at enrolment (``CERT_KEY`` in the key store, or the one just
fetched and compared during enrolment) and nothing else. A server presenting another certificate is refused
in the TLS handshake, before the request is sent, with ``ServerNotTrusted`` (never retried).
"""

from __future__ import annotations

import json
import ssl
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx

from db.migrate import head_revision
from hms_desktop.clock import utc_now
from hms_desktop.security.keystore import KeyStore
from hms_desktop.sync import pinning
from hms_desktop.sync.errors import NotEnrolled, SyncError, SyncRefused, SyncUnavailable

REFRESH_KEY = "sync-refresh-token"
RETRY_PAUSES = (0.5, 1.0, 2.0)
TIMEOUT = httpx.Timeout(60.0, connect=5.0)
TRANSIENT_STATUS = {502, 503, 504}


class Transport:
    def __init__(
        self,
        server_url: str,
        keys: KeyStore | None = None,
        *,
        pauses: tuple[float, ...] = RETRY_PAUSES,
        pinned_pem: bytes | None = None,
    ) -> None:
        self.base = server_url.rstrip("/")
        self.keys = keys
        self.pauses = pauses
        verify = _verification(self.base, keys, pinned_pem)  # refuses before any connection
        self._client = httpx.Client(
            base_url=self.base, timeout=TIMEOUT, verify=verify, headers={"x-hms-schema": head_revision()}
        )
        self._access: str | None = None
        self._access_until = datetime.min.replace(tzinfo=UTC)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, content: bytes | None = None, params: dict[str, Any] | None = None,
              auth: bool = True) -> dict[str, Any]:  # fmt: skip
        refreshed = False
        attempts = 0
        while True:
            headers = {"content-type": "application/json"}
            if auth:
                headers["authorization"] = f"Bearer {self._token()}"
            try:
                response = self._client.request(method, path, content=content, params=params, headers=headers)
            except httpx.TransportError as exc:
                if pinning.is_pin_failure(exc):
                    raise pinning.ServerNotTrusted(pinning.NOT_TRUSTED) from None
                if attempts >= len(self.pauses):
                    raise SyncUnavailable(
                        f"The sync server at {self.base} cannot be reached ({type(exc).__name__})."
                    ) from None
                time.sleep(self.pauses[attempts])
                attempts += 1
                continue
            if response.status_code in TRANSIENT_STATUS and attempts < len(self.pauses):
                time.sleep(self.pauses[attempts])
                attempts += 1
                continue
            if response.status_code == 401 and auth and not refreshed:
                self._access = None
                refreshed = True
                continue
            return _answer(response)

    def _token(self) -> str:
        if self._access is None or utc_now() >= self._access_until:
            self.refresh()
        assert self._access is not None
        return self._access

    def refresh(self) -> None:
        stored = self.keys.get(REFRESH_KEY) if self.keys is not None else None
        if not stored:
            raise NotEnrolled("This PC has no sync credentials; enrol it again with a new code.")
        answer = self._send("POST", "/v1/token", content=_dump({"refresh_token": stored.decode()}), auth=False)
        self.adopt(answer)

    def adopt(self, answer: dict[str, Any]) -> None:
        """Keep the tokens of an enrol or refresh answer (the refresh token in the key store at once)."""
        if self.keys is not None:
            self.keys.set(REFRESH_KEY, str(answer["refresh_token"]).encode())
        self._access = str(answer["access_token"])
        expires = datetime.fromisoformat(str(answer["access_expires_at"]))
        self._access_until = expires - timedelta(seconds=60)

    def enrol(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", "/v1/enrol", content=_dump(body), auth=False)

    def push(self, body: bytes) -> dict[str, Any]:
        return self._send("POST", "/v1/push", content=body)

    def pull(self, since: int, limit: int) -> dict[str, Any]:
        return self._send("GET", "/v1/pull", params={"since": since, "limit": limit})

    def block(self, series: str, period: str, size: int) -> dict[str, Any]:
        return self._send("POST", "/v1/blocks", content=_dump({"series": series, "period": period, "size": size}))


def _verification(url: str, keys: KeyStore | None, pinned_pem: bytes | None) -> ssl.SSLContext | bool:
    """How the server at ``url`` is verified: the pinned certificate for https; http only on loopback."""
    problem = pinning.address_problem(url)
    if problem is not None:
        raise SyncError(problem)
    if not pinning.is_https(url):
        return True  # loopback http: no TLS at all
    pem = pinned_pem if pinned_pem is not None else (keys.get(pinning.CERT_KEY) if keys is not None else None)
    if not pem:
        raise SyncError(
            "This PC has no pinned certificate for its https server; pin it (hms sync pin) with the fingerprint "
            "from the administrator."
        )
    return pinning.pinned_context(pem)


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if response.status_code >= 400:
        code = doc.get("error", "error") if isinstance(doc, dict) else "error"
        message = doc.get("message") if isinstance(doc, dict) else None
        if response.status_code >= 500:
            raise SyncUnavailable(
                str(message or f"The sync server failed (HTTP {response.status_code}); try again later.")
            )
        raise SyncRefused(response.status_code, str(code), str(message or f"HTTP {response.status_code}"))
    if not isinstance(doc, dict):
        raise SyncUnavailable("The sync server sent an answer that is not JSON.")
    return doc
