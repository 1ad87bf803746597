"""`worker --run-log`: a path that cannot be a log file is refused before the worker starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app

PIPELINE = "pipeline: p\nversion: 1\nsources:\n  s: {topic: t}\nsinks:\n  o: {topic: u}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run-log", "{dir}"], "is a directory"),
        (["--run-log", "{dir}/r.jsonl", "--run-log-interval", "inf"], "--run-log-interval"),
    ],
)
def test_bad_run_log_options_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "p.yaml").write_text(PIPELINE)
    argv = ["worker", str(tmp_path / "p.yaml"), *(a.format(dir=tmp_path) for a in args)]
    result = CliRunner().invoke(app, argv, env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
