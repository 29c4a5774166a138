"""``hms sql`` is audited (reading the store is an export), but the text of a key never reaches the trail,
which syncs to every PC."""

from __future__ import annotations

import pytest

from hms_desktop.cli.sql_cmd import audit_text
from tests.test_cli import cli_store, hms  # noqa: F401 - the shared CLI store fixture

SECRET = "correct-horse-battery-staple"


@pytest.mark.parametrize(
    "statement",
    [f"PRAGMA key = '{SECRET}'", f"pragma rekey='{SECRET}'", f"PRAGMA hexkey = '{SECRET}'",
     f"ATTACH DATABASE '/tmp/x.db' AS x KEY '{SECRET}'", f"PRAGMA main.key = \"{SECRET}\""],
)  # fmt: skip
def test_the_text_of_a_key_is_never_recorded(statement: str) -> None:
    assert SECRET not in audit_text(statement)
    assert "not recorded" in audit_text(statement)


def test_an_ordinary_query_is_recorded_as_run() -> None:
    assert audit_text("SELECT code FROM patients LIMIT 5") == "hms sql: SELECT code FROM patients LIMIT 5"


def test_through_the_command_the_trail_never_holds_the_key(cli_store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data, _ = cli_store
    tried = hms("sql", "-c", f"PRAGMA key = '{SECRET}'", data_dir=data)
    assert tried.returncode != 0 and SECRET not in tried.stderr + tried.stdout
    trail = hms("sql", "-c", "SELECT detail FROM audit_logs WHERE detail LIKE 'hms sql%'", data_dir=data)
    assert trail.returncode == 0, trail.stderr
    assert SECRET not in trail.stdout and "naming a key" in trail.stdout
