"""Errors a user can cause, typed, each with a message a receptionist can act on.

The UI shows ``ValidationError`` next to its field; the CLI prints the message; nothing is half-written
because every service runs in one transaction that is rolled back when an error leaves it.
"""

from __future__ import annotations

from db.errors import HmsError, StoreError

__all__ = [
    "AuthError",
    "Conflict",
    "HmsError",
    "NotFound",
    "PermissionDenied",
    "StoreError",
    "TokenError",
    "ValidationError",
]


class ValidationError(HmsError):
    """Bad input in one field. ``field`` names it (as the form and the service's input call it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def __repr__(self) -> str:
        return f"ValidationError({self.field!r}, {self.message!r})"


class PermissionDenied(HmsError):
    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or f"You do not have permission to do this ({code}).")
        self.code = code


class NotFound(HmsError):
    pass


class Conflict(HmsError):
    """The action clashes with the current state (already checked in, slot full, in use, ...)."""


class AuthError(HmsError):
    """Sign-in failed; the message never says whether the account exists."""


class TokenError(HmsError):
    """A token that is expired, used, revoked, forged or malformed."""
