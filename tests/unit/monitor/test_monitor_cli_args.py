"""`stream-engine monitor` argument errors: one `error:` line and exit 2, before any broker."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-g", "", "--once"], "--group"),
        (["-g", "  ", "--once"], "--group"),
        (["-g", "g", "--once", "--interval", "inf"], "--interval"),
        (["-g", "g", "--once", "--window", "1e300"], "--window"),
    ],
)
def test_bad_arguments_are_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        app, ["monitor", *args], env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.output
