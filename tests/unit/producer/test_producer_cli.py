"""`stream-engine produce` option checks: one line `error: ...` and exit 2, before any I/O."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCHEMA = str(Path(__file__).parents[3] / "schemas/page_view/v2.avsc")


def _produce(*args: str) -> subprocess.CompletedProcess[str]:
    drop = ("KAFKA_BOOTSTRAP_SERVERS", "STREAM_ENGINE_KAFKA_BOOTSTRAP_SERVERS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "produce", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},  # never reached
    )


@pytest.mark.parametrize(
    "args,message",
    [
        ((), "give exactly one of --example NAME or --file PATH"),
        (("--example", "clickstream", "--file", "x"), "give exactly one of --example"),
        (("--file", "x.jsonl"), "--file needs --topic TOPIC"),
        (("--file", "x", "--topic", "t", "--count", "5"), "--count cannot be used with --file"),
        (
            ("--example", "clickstream", "--format", "avro", "--key", "id"),
            "--format, --key cannot be used with --example",
        ),
        (("--file", "x", "--topic", "t", "--format", "xml"), "unknown format 'xml'"),
        (
            ("--file", "x", "--topic", "t", "--schema", SCHEMA),
            "--schema, --schema-id and --schema-dir are for --format avro",
        ),
        (
            ("--file", "x", "--topic", "t", "--format", "avro"),
            "--format avro needs --schema FILE.avsc",
        ),
        (
            ("--file", "x", "--topic", "t", "--format", "avro", "--schema", SCHEMA),
            "--format avro needs exactly one of --schema-id N or --schema-dir DIR",
        ),
        (("--file", "/no/such.jsonl", "--topic", "t"), "cannot read /no/such.jsonl"),
        (("--example", "nope"), "unknown example 'nope'"),
        (
            (
                "--file",
                SCHEMA,
                "--topic",
                "t",
                "--format",
                "avro",
                "--schema",
                "/no/such.avsc",
                "--schema-id",
                "3",
            ),
            "cannot read Avro schema /no/such.avsc",
        ),  # before the (unreachable) cluster is asked
    ],
)
def test_bad_options_are_one_line_errors(args: tuple[str, ...], message: str) -> None:
    result = _produce(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1


def test_help_describes_both_modes() -> None:
    result = _produce("--help")
    assert result.returncode == 0
    assert "JSON Lines" in result.stdout and "--example" in result.stdout
