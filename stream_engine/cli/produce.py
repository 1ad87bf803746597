"""`stream-engine produce`: send example data, or a JSON Lines file, to Kafka."""

from __future__ import annotations

from pathlib import Path

import typer
from typer._click.core import ParameterSource  # typer vendors click

from stream_engine.cli.errors import fail, handle_errors
from stream_engine.errors import ConfigError
from stream_engine.logs import configure_logging
from stream_engine.settings import Settings, load_settings

EXAMPLES = ("clickstream",)
FORMATS = ("json", "avro")
_EXAMPLE_ONLY = ("count", "rate", "bad_fraction", "users", "users_topic", "seed")
_FILE_ONLY = ("format", "schema", "schema_id", "schema_dir", "key", "create")


@handle_errors
def produce(
    ctx: typer.Context,
    example: str | None = typer.Option(
        None, "--example", help="Example data set: clickstream. Or use --file."
    ),
    file: str | None = typer.Option(
        None,
        "--file",
        metavar="PATH",
        help="JSON Lines to send, one event per line; - reads standard input.",
    ),
    topic: str | None = typer.Option(
        None, help="Topic of the events (required with --file; example: page-views)."
    ),
    format: str = typer.Option("json", "--format", help="--file: value format, json or avro."),
    schema: Path | None = typer.Option(
        None, "--schema", help="--file with avro: the writer schema (.avsc)."
    ),
    schema_id: int | None = typer.Option(
        None, "--schema-id", help="--file with avro: the schema id for the wire format."
    ),
    schema_dir: Path | None = typer.Option(
        None,
        "--schema-dir",
        help="--file with avro: directory whose registry.yaml gives the schema id.",
    ),
    key: str | None = typer.Option(
        None, "--key", metavar="FIELD", help="--file: the field whose value is the message key."
    ),
    create: bool = typer.Option(
        False, "--create", help="--file: create the topic (with --partitions) if it is missing."
    ),
    count: int = typer.Option(10_000, min=0, help="Example: how many events."),
    rate: float = typer.Option(
        0, min=0, help="Example: events per second (0: as fast as possible)."
    ),
    bad_fraction: float = typer.Option(
        0.01, min=0.0, max=1.0, help="Example: share of deliberately broken events."
    ),
    users: int = typer.Option(200, min=1, help="Example: rows of the users reference topic."),
    users_topic: str = typer.Option("users", help="Example: compacted topic of the users."),
    partitions: int = typer.Option(4, min=1, help="Partitions when a topic is created."),
    seed: int = typer.Option(1, help="Example: random seed (same seed, same events)."),
) -> None:
    """Produce events: an example data set (creating its topics) or a JSON Lines file.

    With --file, each failing line is reported with its number and skipped; then exit 1.
    """
    given = {
        name
        for name in (*_EXAMPLE_ONLY, *_FILE_ONLY)
        if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE
    }
    if (example is None) == (file is None):
        raise ConfigError("give exactly one of --example NAME or --file PATH")
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if example is not None:
        _reject(given & set(_FILE_ONLY), "--example")
        _produce_example(
            settings, example, topic or "page-views", count, rate, bad_fraction, users,
            users_topic, partitions, seed,
        )  # fmt: skip
        return
    _reject(given & set(_EXAMPLE_ONLY), "--file")
    if topic is None:
        raise ConfigError("--file needs --topic TOPIC")
    assert file is not None
    if format not in FORMATS:
        raise ConfigError(f"unknown format {format!r}: expected json or avro")
    if format == "json" and (schema or schema_id is not None or schema_dir):
        raise ConfigError("--schema, --schema-id and --schema-dir are for --format avro")
    if format == "avro" and schema is None:
        raise ConfigError("--format avro needs --schema FILE.avsc")
    if format == "avro" and (schema_id is None) == (schema_dir is None):
        raise ConfigError("--format avro needs exactly one of --schema-id N or --schema-dir DIR")
    from stream_engine.cli.produce_file import label, produce_file

    failed = produce_file(
        settings, file, topic, format, schema, schema_id, schema_dir, key, create, partitions
    )
    if failed:
        lines = "1 line" if failed == 1 else f"{failed} lines"
        raise fail(f"{lines} of {label(file)} not sent (listed above)")


def _reject(options: set[str], mode: str) -> None:
    if options:
        names = ", ".join("--" + o.replace("_", "-") for o in sorted(options))
        raise ConfigError(f"{names} cannot be used with {mode}")


def _produce_example(
    settings: Settings,
    example: str,
    topic: str,
    count: int,
    rate: float,
    bad_fraction: float,
    users: int,
    users_topic: str,
    partitions: int,
    seed: int,
) -> None:
    if example not in EXAMPLES:
        raise fail(f"unknown example {example!r}: expected one of {', '.join(EXAMPLES)}", 2)
    from stream_engine.producer.clickstream import expected_outcome
    from stream_engine.producer.example_run import produce_clickstream

    summary = produce_clickstream(
        settings,
        count=count,
        rate=rate,
        bad_fraction=bad_fraction,
        user_count=users,
        events_topic=topic,
        users_topic=users_topic,
        partitions=partitions,
        seed=seed,
    )
    kinds = ", ".join(f"{k}={v}" for k, v in sorted(summary.kinds.items()))
    typer.echo(f"users: {summary.users} to {users_topic}")
    typer.echo(
        f"events: {sum(summary.kinds.values())} to {topic} in {summary.seconds:.1f}s ({kinds})"
    )
    expected = expected_outcome(summary.kinds)
    typer.echo(
        "expected from examples/clickstream/pipeline.yaml: "
        + ", ".join(f"{k}={v}" for k, v in expected.items())
    )
