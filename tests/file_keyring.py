"""Keyring backends for the rekey tests: one that several processes share (a JSON file, so a child process
that dies in the middle of a rekey leaves its keyring writes to the parent, as an OS keyring would), and one
whose writes of chosen names fail (an OS keyring that refuses, is locked, or drops its connection)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError

from tests.memory_keyring import MemoryKeyring


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        loaded: dict[str, str] = json.loads(self.path.read_text("utf-8"))
        return loaded

    def _save(self, values: dict[str, str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(values), "utf-8")
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}|{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        values = self._load()
        values[f"{service}|{username}"] = password
        self._save(values)

    def delete_password(self, service: str, username: str) -> None:
        values = self._load()
        values.pop(f"{service}|{username}", None)
        self._save(values)


class FailingKeyring(MemoryKeyring):
    """Refuses to save the names in ``fail_set`` (after saving them when ``written`` is set: the write landed
    but the answer was lost) and to delete those in ``fail_delete``."""

    def __init__(self, values: dict[tuple[str, str], str], *, fail_set: tuple[str, ...] = (),
                 fail_delete: tuple[str, ...] = (), written: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.values = dict(values)
        self.fail_set, self.fail_delete, self.written = fail_set, fail_delete, written

    def set_password(self, service: str, username: str, password: str) -> None:
        if username.endswith(tuple(f":{n}" for n in self.fail_set)):
            if self.written:
                super().set_password(service, username, password)
            raise PasswordSetError("the keyring refused the write")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if username.endswith(tuple(f":{n}" for n in self.fail_delete)):
            raise PasswordSetError("the keyring refused the delete")
        super().delete_password(service, username)
