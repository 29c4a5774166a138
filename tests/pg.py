"""A throwaway PostgreSQL cluster for the sync tests and the sync benchmark.

``initdb`` and ``pg_ctl`` on a temporary directory, listening on a free loopback port only (no Unix socket),
trust authentication for one superuser. The binaries are found on PATH or under /usr/lib/postgresql/<ver>/bin
(Debian). PostgreSQL refuses to run as root, so under root the cluster runs as the ``postgres`` user (or
``nobody``) through ``runuser``.

Under CI (``HMS_CI=1``) a missing PostgreSQL is a failure, never a skip (see ``require_postgres``).
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

USER = "hms"


class PostgresUnavailable(RuntimeError):
    pass


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key, reverse=True)
    return candidates[0] if candidates else None


def _version_key(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> list[str]:
    """The command prefix that runs a server binary as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root and runuser is missing: PostgreSQL cannot start as root")
    return [runuser, "-u", _unprivileged_user(), "--"]


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("no unprivileged user (postgres or nobody) to run PostgreSQL as")


class PgCluster:
    """One cluster: ``start()``, ``url(db)``, ``create_database(name)``, ``stop()``."""

    def __init__(self, *, fast: bool = True) -> None:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise PostgresUnavailable("initdb/pg_ctl not found (install the postgresql package)")
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.fast = fast
        self.root = Path(tempfile.mkdtemp(prefix="hms-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.prefix = _run_as()
        if self.prefix:
            entry = pwd.getpwnam(self.prefix[2])
            os.chmod(self.root, 0o755)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> PgCluster:
        self._run(self.initdb, "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale")
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={self.port}",
            "-c unix_socket_directories=''",
            "-c max_connections=60",
            "-c shared_buffers=128MB",
        ]
        if self.fast:  # throwaway data: durability is not what the tests measure
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", " ".join(options), "start"
        )
        self._wait()
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not listen on port {self.port}: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text("utf-8", "replace")[-2000:]
        except OSError:
            return ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f" TEMPLATE {template}" if template else ""
        self.admin_sql(f"CREATE DATABASE {name}{clause}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            subprocess.run(
                [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def require_postgres() -> PgCluster:
    """A started cluster; under CI (HMS_CI=1) a missing PostgreSQL fails the run instead of skipping."""
    import pytest

    try:
        return PgCluster().start()
    except PostgresUnavailable as exc:
        if os.environ.get("HMS_CI") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL is not available: {exc}")
        raise  # unreachable: skip raises


class SyncServer:
    """``hms sync-server`` in a subprocess on a free loopback port (killed for real by the crash tests).

    Plain http unless ``tls_dir`` names a folder holding the pair of ``hms sync-server tls`` (then https on
    ``port``, a free one unless given: a second server can take over the address of a stopped one)."""

    def __init__(
        self, database_url: str, log_dir: Path, *, tls_dir: Path | None = None, port: int | None = None
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.tls_dir = tls_dir
        self.url = f"{'https' if tls_dir else 'http'}://127.0.0.1:{self.port}"
        self.log = log_dir / f"sync-server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SyncServer:
        import sys

        import httpx

        root = Path(__file__).resolve().parents[1]
        cmd = [sys.executable, "-m", "hms_desktop.cli.main", "sync-server", "--database-url", self.database_url,
               "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        cmd += ["--tls-dir", str(self.tls_dir), "--tls"] if self.tls_dir else ["--no-tls"]
        verify: ssl.SSLContext | bool = True
        if self.tls_dir:
            from hms_desktop.sync.pinning import pinned_context
            from hms_desktop.sync.server.tls import tls_files

            verify = pinned_context(tls_files(self.tls_dir).cert.read_bytes())
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sync server exited: {self.log.read_text('utf-8', 'replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1, verify=verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the sync server did not answer within 60 s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, whatever it was doing is cut off."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


_shared: PgCluster | None = None
_names = itertools.count(1)
TEMPLATE = "hms_central_template"


def shared_cluster() -> PgCluster:
    """One cluster per test process (started on first use, stopped at exit), with a template database at
    the schema head so that each test gets a fresh central database in a fraction of a second."""
    global _shared
    if _shared is None:
        cluster = require_postgres()
        atexit.register(cluster.stop)
        from hms_desktop.sync.server.store import make_engine, upgrade

        engine = make_engine(cluster.create_database(TEMPLATE), pool_size=1)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        _shared = cluster
    return _shared


def fresh_database() -> tuple[PgCluster, str, str]:
    """(cluster, database name, URL) of a new central database at the schema head."""
    cluster = shared_cluster()
    name = f"hms_central_{os.getpid()}_{next(_names)}"
    return cluster, name, cluster.create_database(name, template=TEMPLATE)


class Lab:
    """A clinic on a central server: a fresh central database, ``hms sync-server`` in a subprocess, the
    founder PC (the test's set-up clinic, enrolled and synced) and helpers to add PCs and sync them."""

    def __init__(self, tmp: Path, founder_paths: object, recovery_text: str, *, enrol_founder: bool = True) -> None:
        from hms_desktop.storage.store import open_store
        from hms_desktop.sync.enrol import enrol
        from hms_desktop.sync.server.admin import init_server
        from hms_desktop.sync.server.store import make_engine

        self.tmp = tmp
        self.cluster, self.db_name, self.db_url = fresh_database()
        self.engine = make_engine(self.db_url, pool_size=2)
        self.codes = init_server(self.engine, "Sunrise Clinic", codes=20).codes
        self.server = SyncServer(self.db_url, tmp).start()
        self.recovery_text = recovery_text
        self.stores: list[object] = []
        self.founder = open_store(founder_paths)  # type: ignore[arg-type]
        self.stores.append(self.founder)
        if enrol_founder:  # else the test enrols it (the desktop's Admin > Sync, for example)
            enrol(self.founder, self.server.url, self.codes.pop(), "Reception 1")
            self.sync(self.founder)

    def new_pc(self, name: str):  # type: ignore[no-untyped-def]
        from hms_desktop.security import recovery
        from hms_desktop.storage.paths import StorePaths
        from hms_desktop.sync.enrol import enrol_new_store

        paths = StorePaths(self.tmp / f"pc-{len(self.stores)}")
        made = enrol_new_store(
            paths, self.server.url, self.codes.pop(), name, recovery_key=recovery.decode(self.recovery_text),
            key_mode="keyring",
        )  # fmt: skip
        self.stores.append(made.store)
        self.sync(made.store)
        return made.store

    def sync(self, store: object, **kw: object):  # type: ignore[no-untyped-def]
        from hms_desktop.sync.runner import run_once

        return run_once(store, pauses=(0.05, 0.1), **kw)  # type: ignore[arg-type]

    def central(self, sql: str) -> list[tuple[object, ...]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def central_exec(self, sql: str) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text(sql))

    def close(self) -> None:
        self.server.stop()
        for store in self.stores:
            store.close()  # type: ignore[attr-defined]
        self.engine.dispose()
        try:
            self.cluster.drop_database(self.db_name)
        except Exception:
            pass
