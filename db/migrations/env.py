"""Alembic environment: always run on a connection the application hands over (``db.migrate``)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from db.models import metadata
from db.types import UTCDateTime

NOT_MODELLED_PREFIXES = ("patients_fts",)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out what the models do not describe: full-text indexes (FTS5 tables and their shadow tables)."""
    return not (type_ == "table" and name is not None and name.startswith(NOT_MODELLED_PREFIXES))


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the project's column types as plain SQLAlchemy ones, so revisions stand on their own."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
    compare_server_default=True,
    render_item=render_item,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
