"""Where a store lives. The data dir comes from ``--data-dir``, else ``HMS_DATA_DIR``, else platformdirs."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.errors import StoreError, StoreNotFound
from hms_desktop.security.keystore import write_private

APP_NAME = "HMS Desktop"
APP_AUTHOR = "HMS"
CONFIG_FORMAT = 1


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def resolve_data_dir(arg: str | os.PathLike[str] | None = None) -> Path:
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get("HMS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return default_data_dir()


@dataclass(frozen=True)
class StorePaths:
    data_dir: Path

    @property
    def store(self) -> Path:
        return self.data_dir / "store.db"

    @property
    def config(self) -> Path:
        return self.data_dir / "store.json"

    @property
    def vault(self) -> Path:
        return self.data_dir / "keys.vault"

    @property
    def lock(self) -> Path:
        return self.data_dir / "store.lock"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    def exists(self) -> bool:
        return self.store.exists() or self.config.exists()

    def require(self) -> None:
        """Raise a clear error unless a store is here (never creates anything)."""
        if not self.data_dir.is_dir():
            raise StoreNotFound(
                f"The data folder {self.data_dir} does not exist; run `hms init` to create a store, "
                "or give the right folder with --data-dir."
            )
        if not self.store.is_file() or not self.config.is_file():
            raise StoreNotFound(f"There is no HMS store in {self.data_dir}; run `hms init` to create one.")

    def read_config(self) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = json.loads(self.config.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.config} is unreadable; the store settings are damaged.") from exc
        if doc.get("format") != CONFIG_FORMAT or doc.get("key_mode") not in {"keyring", "passphrase"}:
            raise StoreError(f"{self.config} is not an HMS store settings file this version understands.")
        return doc

    def write_config(self, doc: dict[str, Any]) -> None:
        write_private(self.config, json.dumps({"format": CONFIG_FORMAT, **doc}, indent=2).encode())
