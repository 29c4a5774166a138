"""The sync server's log never quotes pushed rows: a failed statement is logged by type, SQLSTATE, constraint
and code location only, and the central engine hides statement parameters from its errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from hms_desktop.sync.server.app import describe_failure
from hms_desktop.sync.server.store import make_engine

PATIENT = "Asha Patel 9886011111 XXXX XXXX 0124"


def failed_statement() -> DBAPIError:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(sa.text("INSERT INTO no_such_table VALUES (:row)"), {"row": PATIENT})
    return caught.value


def test_a_database_error_is_logged_without_the_row() -> None:
    exc = failed_statement()
    assert PATIENT in str(exc)  # what log.exception used to write
    logged = describe_failure(exc)
    assert PATIENT not in logged and "9886011111" not in logged
    assert logged.startswith("OperationalError") and "at " in logged


def test_the_central_engine_hides_parameters() -> None:
    engine = make_engine("postgresql+psycopg://hms@127.0.0.1:9/none")
    try:
        assert engine.hide_parameters is True
    finally:
        engine.dispose()
