"""`stream-engine produce --file`: a JSON Lines file through the SDK, with progress and summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from connectors.kafka_admin import TopicRequest, ensure_topics, topic_partitions, wait_for_cluster
from stream_engine.errors import ConfigError
from stream_engine.producer import EventProducer
from stream_engine.producer.file_run import produce_lines, read_lines
from stream_engine.settings import Settings

MAX_SHOWN_FAILURES = 100


def produce_file(
    settings: Settings,
    file: str,
    topic: str,
    fmt: str,
    schema: Path | None,
    schema_id: int | None,
    schema_dir: Path | None,
    key: str | None,
    create: bool,
    partitions: int,
) -> int:
    """Send the file; print failures (stderr) and the summary (stdout); return failures."""
    stream, total = _open(file)
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
    name = label(file)
    shown = 0

    def report(number: int, why: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_SHOWN_FAILURES:
            print(f"{name}:{number}: {why}", file=sys.stderr)

    console = Console(stderr=True)
    columns = (TextColumn("sending"), BarColumn(), DownloadColumn())
    quiet = not console.is_terminal  # a bar only for people watching
    with stream, Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task("lines", total=total)
        summary = produce_lines(
            producer, read_lines(stream), report, lambda n: progress.advance(task, n)
        )
    if shown > MAX_SHOWN_FAILURES:
        print(f"{name}: {shown - MAX_SHOWN_FAILURES} more failed lines not shown", file=sys.stderr)
    spread = ", ".join(f"{p}: {n}" for p, n in sorted(summary.partitions.items())) or "none"
    typer.echo(
        f"sent {summary.sent} of {summary.lines} events from {name} to {topic} "
        f"({fmt}) in {summary.seconds:.1f}s; failed {summary.failed}; by partition: {spread}"
    )
    return summary.failed


def topic_producer(
    settings: Settings,
    topic: str,
    *,
    fmt: str,
    schema: Path | None,
    schema_id: int | None,
    schema_dir: Path | None,
    key: str | None,
    create: bool,
    partitions: int,
) -> EventProducer:
    """A producer for an existing topic (or one made with `create`), for the file commands.

    Schema problems surface first, before the cluster is asked; the producer is closed
    when the topic check fails.
    """
    producer = EventProducer(
        topic,
        format="avro" if fmt == "avro" else "json",
        schema=schema,
        schema_id=schema_id,
        schema_dir=schema_dir,
        key_field=key,
        settings=settings,
    )
    try:
        _check_topic(settings, topic, create, partitions)
    except BaseException:
        producer.close()
        raise
    return producer


def _check_topic(settings: Settings, topic: str, create: bool, partitions: int) -> None:
    admin = wait_for_cluster(settings)
    if create:
        ensure_topics(admin, [TopicRequest(topic, partitions)])
    elif topic not in topic_partitions(admin, [topic]):
        raise ConfigError(
            f"topic {topic!r} does not exist; create it, or pass --create (with --partitions)"
        )


def _open(file: str) -> tuple[IO[bytes], int | None]:
    if file == "-":
        return sys.stdin.buffer, None
    path = Path(file)
    try:
        return path.open("rb"), path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def label(file: str) -> str:
    return "<stdin>" if file == "-" else file
