"""DuckDB sink errors are typed one-line sink errors, as PostgreSQL's are (no tracebacks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import SinkError, SinkSchemaError
from connectors.sql.database import DuckDBDatabase, PostgresDatabase
from connectors.sql.types import Column


@pytest.mark.parametrize("value", [2**70, "not a number"])
def test_a_value_that_does_not_fit_is_a_schema_error(tmp_path: Path, value: object) -> None:
    db = DuckDBDatabase(tmp_path / "w.duckdb")
    try:
        with pytest.raises(SinkSchemaError, match="a value does not fit its column"):
            db.stage("batch", [Column("n", "int")], [{"n": 1}, {"n": value}])
    finally:
        db.close()


def test_postgres_checks_values_the_same_way() -> None:
    db = PostgresDatabase("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(SinkSchemaError, match="a value does not fit its column"):
        db.stage("batch", [Column("n", "int")], [{"n": 2**70}])


def test_a_transaction_on_a_closed_database_is_a_sink_error(tmp_path: Path) -> None:
    db = DuckDBDatabase(tmp_path / "w.duckdb")
    db.close()
    with pytest.raises(SinkError, match="duckdb"), db.transaction():
        pass
