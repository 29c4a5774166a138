#!/usr/bin/env python3
"""Set up and run HMS Desktop with one command (Linux, macOS and Windows; Python 3.11 or newer).

    python3 tasks.py run      # make .venv, install, launch the desktop app   (extra args go to the app)
    python3 tasks.py test     # make .venv, install, run the checks and the whole test suite
                              # (spread over the machine's cores: one pytest worker per core, each test
                              # file kept on one worker; pass -n 0 to run in one process)

Only the standard library is used here, so this works before anything is installed. The virtual
environment is made once in ``.venv`` and re-installed only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".hms-installed"
WINDOWS = os.name == "nt"


def venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if WINDOWS else "bin") / (name + (".exe" if WINDOWS else ""))


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(f"HMS Desktop needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not venv_bin("python").exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    py = venv_bin("python")
    code = run(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    code = code or run(py, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    if code:
        sys.exit(f"Installing the dependencies failed (exit {code}); see the messages above.")
    STAMP.write_text(wanted)


def cmd_run(args: list[str]) -> int:
    ensure_venv()
    return run(venv_bin("python"), "-m", "ui.app", *args)


def workers() -> list[str]:
    """pytest-xdist's options: one worker per core (at most 4), a test file's tests on one worker (the sync
    and CLI files share a PostgreSQL cluster or a store per module); none on a one-core machine."""
    cores = min(os.cpu_count() or 1, 4)
    return ["-n", str(cores), "--dist", "loadfile"] if cores > 1 else []


def cmd_test(args: list[str]) -> int:
    ensure_venv()
    py = venv_bin("python")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    gates = [
        ("ruff", [py, "-m", "ruff", "check", "."]),
        ("mypy", [py, "-m", "mypy"]),
        ("import-linter", [venv_bin("lint-imports")]),
    ]
    failed = [name for name, cmd in gates if run(*cmd, env=env) != 0]
    spread = [] if any(a == "-n" or a.startswith(("-n=", "--numprocesses")) for a in args) else workers()
    code = run(py, "-m", "pytest", *spread, *args, env=env)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
        code = 1
    if failed:
        print(f"Checks failed: {', '.join(failed)}.", file=sys.stderr)
        return code or 1
    return code


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    handler = cmd_run if sys.argv[1] == "run" else cmd_test
    return handler(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
