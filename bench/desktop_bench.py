"""Desktop start-up and memory on a big store (issue 5).

    .venv/bin/python bench/desktop_bench.py [patients]    # default 1,000,000 (built by bench/make_store.py)

From process start to the sign-in window, and memory (RSS) after signing in and opening the Reception dock
with a search on screen. Compared with a 1,000-patient store in the same run, as a ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_section  # noqa: E402
from bench.make_store import PASSPHRASE, build  # noqa: E402

RUNS = 5
ADMIN = ("admin@bench.example.in", "Quiet-Harbour-Lamp-26")


def one_run(data_dir: Path) -> tuple[float, float, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HMS_PASSPHRASE": PASSPHRASE, "HMS_KEYRING": "off"}
    started = time.time()
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "desktop_start.py"), str(data_dir), *ADMIN],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    login = float(lines["login-shown"][1]) - started
    rss, peak = float(lines["reception-open"][3]), float(lines["reception-open"][5])
    return login, rss, peak


def measure(n: int) -> tuple[float, float, float, float]:
    paths = build(n)
    runs = [one_run(paths.data_dir) for _ in range(RUNS)]
    logins = [r[0] for r in runs]
    return statistics.median(logins), max(logins), statistics.median(r[1] for r in runs), max(r[2] for r in runs)


def main(n: int) -> None:
    small = measure(1_000)
    big = measure(n)
    lines = [
        "## Desktop start-up and memory (issue 5)",
        "",
        f"`bench/desktop_bench.py`: {RUNS} fresh processes per store (offscreen Qt, passphrase-keyed SQLCipher "
        "store, so each start pays SQLCipher's key derivation). "
        f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| store | start to sign-in, median (s) | slowest (s) | RSS after Reception + a search (MB) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| 1,000 patients | {small[0]:.2f} | {small[1]:.2f} | {small[2]:.0f} | {small[3]:.0f} |",
        f"| {n:,} patients | {big[0]:.2f} | {big[1]:.2f} | {big[2]:.0f} | {big[3]:.0f} |",
        "",
        f"Start-up ratio big/small: {big[0] / small[0]:.2f}; memory ratio: {big[2] / small[2]:.2f}. "
        "The daily backup runs on the worker after the window is up, so it is not in these figures.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("desktop", body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
