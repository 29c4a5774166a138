"""A lock file beside the store: programs using it hold a shared lock; restore and rekey need it alone.

POSIX uses ``flock`` (shared/exclusive). Windows has no shared ``msvcrt`` lock, so each user locks one byte
at a random offset of a large range and the exclusive holder locks the whole range: any reader blocks it.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from types import TracebackType

from db.errors import StoreInUse

IN_USE = (
    "The store is open in another HMS program (the desktop app or another command); "
    "close it and try again. Nothing was changed."
)
_WIN_RANGE = 1 << 20


class StoreLock:
    def __init__(self, path: Path, *, exclusive: bool) -> None:
        self.path = Path(path)
        self.exclusive = exclusive
        self._fd: int | None = None
        self._offset = 0

    def acquire(self) -> StoreLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                self._offset = 0 if self.exclusive else random.randrange(1, _WIN_RANGE)
                os.lseek(fd, self._offset, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, _WIN_RANGE if self.exclusive else 1)
            else:
                import fcntl

                fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StoreInUse(IN_USE) from exc
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                os.lseek(self._fd, self._offset, os.SEEK_SET)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, _WIN_RANGE if self.exclusive else 1)
        finally:
            os.close(self._fd)  # closing releases a flock
            self._fd = None

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
