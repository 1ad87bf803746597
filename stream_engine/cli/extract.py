"""`stream-engine extract`: rows of a PostgreSQL table, incrementally, into a topic.

Each page is sent and acknowledged by the broker before the cursor is saved, so a run
that stops anywhere continues after the last delivered page (rows of that page may be
sent twice; a compacted topic or an upsert sink keyed by the primary key absorbs it).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future
from pathlib import Path

import typer

from connectors.cursor_store import CursorStore
from connectors.postgres_source import PostgresIncrementalSource
from connectors.sql.types import parse_timestamp
from stream_engine.cli.errors import handle_errors
from stream_engine.cli.produce_file import _check_topic
from stream_engine.errors import BrokerError, ConfigError
from stream_engine.producer import EventProducer
from stream_engine.producer.client import Delivery
from stream_engine.settings import Settings, load_settings
from stream_engine.spec.durations import parse_duration


def resolve_dsn(dsn: str | None, settings: Settings) -> str:
    """--dsn, else STREAM_ENGINE_POSTGRES_DSN; never echoed back."""
    if dsn:
        return dsn
    if settings.postgres_dsn is not None:
        return settings.postgres_dsn.get_secret_value()
    raise ConfigError("no database: pass --dsn or set STREAM_ENGINE_POSTGRES_DSN")


def _seconds(option: str, text: str) -> float:
    try:
        return parse_duration(text) / 1000
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


@handle_errors
def extract(
    table: str = typer.Argument(..., help="The table (or schema.table) to read."),
    topic: str = typer.Option(..., "--topic", help="The topic to write the rows to (JSON)."),
    watermark: str = typer.Option(
        "updated_at", help="Column that grows when a row changes (a timestamp or a number)."
    ),
    key: str = typer.Option(
        "id", help="Primary key column: breaks watermark ties; the message key by default."
    ),
    message_key: str | None = typer.Option(
        None, help="Column whose value is the message key (e.g. customer_id for windows)."
    ),
    dsn: str | None = typer.Option(
        None, help="postgresql://... (default: $STREAM_ENGINE_POSTGRES_DSN)", show_default=False
    ),
    state: Path = typer.Option(
        Path(".stream-engine/cursors"), help="Directory of the durable cursors."
    ),
    name: str | None = typer.Option(
        None, help="Cursor name (default: the table and topic); a new name starts over."
    ),
    page_size: int = typer.Option(1000, min=1, max=100_000, help="Rows per query and send."),
    safety_lag: str = typer.Option(
        "5s", help="Leave rows newer than now minus this for the next run (late commits)."
    ),
    follow: bool = typer.Option(False, "--follow", help="Keep polling until interrupted."),
    interval: str = typer.Option("5s", help="Pause between polls with --follow."),
    retry_for: str = typer.Option("30s", help="How long to retry an unreachable database."),
    create: bool = typer.Option(False, "--create", help="Create the topic when missing."),
    partitions: int = typer.Option(4, min=1, help="Partitions of a topic made by --create."),
) -> None:
    """Copy new and changed rows of a PostgreSQL table into a topic, resuming where it stopped."""
    settings = load_settings()
    lag_s = _seconds("--safety-lag", safety_lag)
    pause_s = _seconds("--interval", interval)
    source = PostgresIncrementalSource(
        resolve_dsn(dsn, settings),
        table,
        watermark,
        key,
        CursorStore(state),
        page_size=page_size,
        safety_lag_s=lag_s,
        retry_for_s=_seconds("--retry-for", retry_for),
        name=name or f"{table}-{topic}",
    )
    _check_topic(settings, topic, create, partitions)
    producer = EventProducer(topic, key_field=message_key or key, settings=settings)
    total = 0
    try:
        _warn_null_watermarks(source, table, watermark)
        while True:
            sent = _run_once(source, producer, watermark)
            total += sent
            if not follow:
                break
            time.sleep(pause_s)
    finally:
        producer.close()
        source.close()
    typer.echo(f"extracted {total} rows of {table} into {topic}; cursor {_cursor_text(source)}")


def _warn_null_watermarks(source: PostgresIncrementalSource, table: str, watermark: str) -> None:
    skipped = source.null_watermark_rows()
    if skipped:
        print(
            f"warning: {skipped} rows of {table} have a null {watermark} and are never "
            "extracted; give them a value",
            file=sys.stderr,
        )


def _run_once(source: PostgresIncrementalSource, producer: EventProducer, watermark: str) -> int:
    sent = 0
    for page in source.pages():
        futures: list[Future[Delivery]] = []
        for row in page:
            futures.append(producer.send(row, timestamp_ms=_timestamp_ms(row.get(watermark))))
        if producer.flush(60):
            raise BrokerError("the broker did not acknowledge a page within 60s; cursor kept")
        failed = [f.exception() for f in futures if f.exception() is not None]
        if failed:
            raise BrokerError(f"a page was not delivered ({failed[0]}); cursor kept")
        source.commit()
        sent += len(page)
    return sent


def _timestamp_ms(value: object) -> int | None:
    """The watermark as the record's timestamp, when it is a time."""
    if not isinstance(value, str):
        return None
    try:
        return int(parse_timestamp(value).timestamp() * 1000)
    except ValueError:
        return None


def _cursor_text(source: PostgresIncrementalSource) -> str:
    c = source.cursor
    return "none (nothing read yet)" if c is None else f"({c.watermark}, {c.key})"
