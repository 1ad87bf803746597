"""`warehouse dim-date` arguments: an empty path or table is a usage error, never a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output", "duckdb:"], "--output duckdb: needs a file path"),
        (["--output", "duckdb:{dir}/w.duckdb", "--table", ""], "--table must name a table"),
        (["--output", "duckdb:{dir}/w.duckdb", "--table", "a."], "--table must name a table"),
    ],
)
def test_empty_output_path_or_table_is_a_usage_error(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    args = ["warehouse", "dim-date", "--from", "2024-01-01", "--to", "2024-01-02"]
    result = CliRunner().invoke(app, [*args, *(a.format(dir=tmp_path) for a in extra)])
    assert result.exit_code == 2, result.output
    assert message in result.output
