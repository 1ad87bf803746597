"""`stream-engine load`: rows of data files (CSV, JSON Lines, Parquet, Avro) into a topic.

Reading is connectors.files' (one file or a folder, in sorted path order); sending is the
producer SDK's (validation against an Avro schema, murmur2 keys, acks=all). A row that
fails validation is reported with its file and row number and skipped; the command then
exits 1, so nothing fails silently.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import typer

from connectors.base import plain_values
from connectors.files import iter_records
from connectors.sql.types import parse_timestamp
from stream_engine.cli.errors import EXIT_FAILURE, handle_errors
from stream_engine.cli.produce_file import topic_producer
from stream_engine.errors import ConfigError
from stream_engine.producer import EventProducer
from stream_engine.producer.client import Delivery
from stream_engine.producer.errors import InvalidEventError
from stream_engine.settings import load_settings

MAX_SHOWN_FAILURES = 100
_WINDOW = 10_000  # sends in flight before their results are checked


@handle_errors
def load(
    path: Path = typer.Argument(
        ..., help="A data file (.csv, .jsonl, .parquet, .avro) or a folder of them."
    ),
    topic: str = typer.Option(..., "--topic", help="The topic to write to."),
    key: str | None = typer.Option(
        None, "--key", metavar="FIELD", help="The field whose value is the message key."
    ),
    fmt: str = typer.Option("json", "--format", help="Value format: json or avro."),
    schema: Path | None = typer.Option(None, help="With --format avro: the writer schema (.avsc)."),
    schema_id: int | None = typer.Option(
        None, help="With --format avro: the schema id for the Confluent wire format."
    ),
    schema_dir: Path | None = typer.Option(
        None, help="With --format avro: directory whose registry.yaml gives the schema id."
    ),
    timestamp: str | None = typer.Option(
        None,
        metavar="FIELD",
        help="Field holding each record's time (epoch ms or ISO-8601); default: now.",
    ),
    create: bool = typer.Option(False, "--create", help="Create the topic when missing."),
    partitions: int = typer.Option(4, min=1, help="Partitions of a topic made by --create."),
) -> None:
    """Send every row of data files to a topic, one event per row, in file order."""
    if fmt not in ("json", "avro"):
        raise ConfigError(f"--format must be json or avro, got {fmt!r}")
    if (fmt == "avro") != (schema is not None):
        raise ConfigError("--schema is required with --format avro, and only used with it")
    settings = load_settings()
    producer = topic_producer(
        settings,
        topic,
        fmt=fmt,
        schema=schema,
        schema_id=schema_id,
        schema_dir=schema_dir,
        key=key,
        create=create,
        partitions=partitions,
    )
    try:
        sent, failed, seconds = _send(producer, path, fmt, timestamp)
    finally:
        producer.close()
    typer.echo(
        f"sent {sent} rows from {path} to {topic} ({fmt}) in {seconds:.1f}s; failed {failed}"
    )
    if failed:
        raise typer.Exit(EXIT_FAILURE)


def _send(
    producer: EventProducer, path: Path, fmt: str, timestamp: str | None
) -> tuple[int, int, float]:
    began = time.monotonic()
    failed = 0
    sent = 0
    pending: list[tuple[str, Future[Delivery]]] = []

    def report(where: str, why: str) -> None:
        nonlocal failed
        failed += 1
        if failed <= MAX_SHOWN_FAILURES:
            print(f"{where}: {why}", file=sys.stderr)

    def settle() -> None:
        nonlocal sent
        for where, future in pending:
            error = future.exception()
            if error is None:
                sent += 1
            else:
                report(where, str(error))
        pending.clear()

    for record in iter_records(path):
        where = f"{record.file}: row {record.row}"
        value: dict[str, Any] = plain_values(record.value) if fmt == "json" else record.value
        try:
            ts = _timestamp_ms(value, timestamp)
            pending.append((where, producer.send(value, timestamp_ms=ts)))
        except (InvalidEventError, ValueError) as exc:
            report(where, str(exc))
        if len(pending) >= _WINDOW:
            producer.flush()
            settle()
    producer.flush()
    settle()
    if failed > MAX_SHOWN_FAILURES:
        print(f"{failed - MAX_SHOWN_FAILURES} more failed rows not shown", file=sys.stderr)
    return sent, failed, time.monotonic() - began


def _timestamp_ms(value: dict[str, Any], field: str | None) -> int | None:
    if field is None:
        return None
    raw = value.get(field)
    if raw is None:
        raise ValueError(f"timestamp field {field!r} is missing or null")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        ms = raw
    else:
        ms = parse_timestamp(raw).timestamp() * 1000
    if not 0 <= ms < 2**63:  # also NaN and infinities: Kafka timestamps are int64 ms from 1970
        raise ValueError(f"timestamp field {field!r} is not a time Kafka can carry: {raw}")
    return int(ms)
