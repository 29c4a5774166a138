"""Helpers shared by the subcommands: the data dir, opening the store, prompts."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from hms_desktop.context import Actor, Context
from hms_desktop.errors import HmsError
from hms_desktop.runtime import context_for
from hms_desktop.storage.paths import StorePaths, resolve_data_dir
from hms_desktop.storage.store import Store, open_store


def paths_of(args: argparse.Namespace) -> StorePaths:
    return StorePaths(resolve_data_dir(args.data_dir))


def open_for(args: argparse.Namespace) -> Store:
    return open_store(paths_of(args))


def cli_context(store: Store, what: str) -> Context:
    """The key holder at the command line acts as the system (the store key is the authority here)."""
    return context_for(store, Actor.system(f"hms {what} (store key holder)"))


def interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def ask(prompt: str, *, default: str = "", secret: bool = False) -> str:
    if not interactive():
        raise HmsError(f"{prompt.rstrip(': ')} is needed: give it as a flag (see --help).")
    shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
    value = getpass.getpass(shown) if secret else input(shown)
    return value.strip() or default


def read_secret_file(path: str) -> str:
    try:
        return Path(path).read_text("utf-8").strip()
    except OSError as exc:
        raise HmsError(f"Cannot read {path}: {exc.strerror}.") from exc
