"""The same migrations build the central PostgreSQL database: models and migrations agree there too, and the
sync revision goes down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import db.models
from db.migrate import alembic_config, current_revision, head_revision
from hms_desktop.sync.server.store import make_engine, upgrade
from tests.pg import shared_cluster


def test_postgresql_schema_from_the_migrations_matches_the_models() -> None:
    cluster = shared_cluster()
    name = "hms_migration_check"
    engine = make_engine(cluster.create_database(name), pool_size=1)
    try:
        upgrade(engine)  # from nothing, every revision
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision() == "0011"
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.models.metadata)
            triggers = conn.execute(sa.text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'trg_%'")).scalar()
        assert diff == []
        assert triggers == 8, "the ledgers are append-only on the server too"
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        with engine.connect() as conn:
            assert "sync_rows" not in sa.inspect(conn).get_table_names()
        upgrade(engine)
        with engine.connect() as conn:
            assert {"sync_rows", "sync_outbox", "sync_conflicts"} <= set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
        cluster.drop_database(name)
