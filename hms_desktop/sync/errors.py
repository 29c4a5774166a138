"""Errors of sync, each with one sentence an admin can act on."""

from __future__ import annotations

from db.errors import HmsError


class SyncError(HmsError):
    """Sync could not complete; the store is as it was after the last whole step."""


class SyncUnavailable(SyncError):
    """The server could not be reached or did not answer (try again later; nothing is lost)."""


class SyncRefused(SyncError):
    """The server answered with a refusal (``code`` says which, ``status`` is the HTTP status)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class NotEnrolled(SyncError):
    pass


class SyncBusy(SyncError):
    """Another sync of this store is running (the desktop's timer and a command, for example)."""


class ApiError(Exception):
    """Raised inside the server; becomes a JSON error response. Messages never echo secrets or values."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
