"""Errors the store raises. Each carries one sentence a person can act on; none carries a key or a path's
secrets, and none is a raw traceback."""

from __future__ import annotations


class HmsError(Exception):
    """Base of every error the application shows to a user as its message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class StoreError(HmsError):
    """Something about the encrypted store file itself."""


class StoreNotFound(StoreError):
    pass


class StoreExists(StoreError):
    pass


class WrongKeyOrNotAStore(StoreError):
    pass


class StoreTooNew(StoreError):
    pass


class StoreInUse(StoreError):
    pass


class StoreDamaged(StoreError):
    pass


class BackupInvalid(StoreError):
    pass


class ReadOnlyViolation(StoreError):
    pass
