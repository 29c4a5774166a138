"""Schema versions: upgrade a store to head, refuse a store newer than this program.

Alembic's scripts live in ``db/migrations``. The application never calls ``metadata.create_all`` on a
store: a new store is made by running every migration, so new and upgraded stores are built the same way.

Developers make a new revision with ``python -m db.migrate revision "message"`` (autogenerate against a
scratch database at head); ledger tables recreated by a batch operation need their triggers again
(``db.ledger.trigger_sql``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from db.errors import StoreDamaged, StoreTooNew

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "no migrations"
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in script_directory().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def state(connection: Connection) -> str:
    """'current', 'behind', 'empty' (no schema yet) or raises ``StoreTooNew``."""
    rev = current_revision(connection)
    if rev is None:
        tables = sa.inspect(connection).get_table_names()
        if tables:
            raise StoreDamaged("The store has tables but no schema version; it was not changed.")
        return "empty"
    if rev not in known_revisions():
        raise StoreTooNew(
            "This store was written by a newer version of HMS Desktop (schema "
            f"{rev}); install that version or later to open it. The store was not changed."
        )
    return "current" if rev == head_revision() else "behind"


def upgrade(engine: Engine, target: str = "head") -> None:
    """Upgrade in one transaction with foreign keys off (batch table rebuilds), then check them."""
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                state(conn)
                command.upgrade(alembic_config(conn), target)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreDamaged(f"The upgrade would leave {len(broken)} broken references; it was rolled back.")
        finally:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def downgrade(engine: Engine, target: str) -> None:
    """Downgrade in one transaction with foreign keys off, as ``upgrade`` does (a batch rebuild drops and recreates
    a table other rows refer to), then check them. For tests and developers: the app never goes back."""
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                command.downgrade(alembic_config(conn), target)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreDamaged(f"The downgrade would leave {len(broken)} broken references; rolled back.")
        finally:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _revision(message: str) -> None:
    """Autogenerate a new revision against a scratch SQLite database at head."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/scratch.db")
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover - developer tool
    if len(sys.argv) == 3 and sys.argv[1] == "revision":
        _revision(sys.argv[2])
    else:
        print('usage: python -m db.migrate revision "message"')
        sys.exit(2)
