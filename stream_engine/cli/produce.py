"""`stream-engine produce`: send example data (the clickstream generator) to Kafka."""

from __future__ import annotations

import typer

from stream_engine.cli.errors import fail, handle_errors
from stream_engine.producer.clickstream import expected_outcome
from stream_engine.settings import load_settings

EXAMPLES = ("clickstream",)


@handle_errors
def produce(
    example: str = typer.Option(..., "--example", help="Example data set: clickstream."),
    count: int = typer.Option(10_000, min=0, help="How many events."),
    rate: float = typer.Option(0, min=0, help="Events per second (0: as fast as possible)."),
    bad_fraction: float = typer.Option(
        0.01, min=0.0, max=1.0, help="Share of deliberately broken events."
    ),
    users: int = typer.Option(200, min=1, help="Rows of the users reference topic."),
    topic: str = typer.Option("page-views", help="Topic of the events."),
    users_topic: str = typer.Option("users", help="Compacted topic of the users."),
    partitions: int = typer.Option(4, min=1, help="Partitions when the topic is created."),
    seed: int = typer.Option(1, help="Random seed (same seed, same events)."),
) -> None:
    """Produce example events (and their reference data), creating the topics if missing."""
    if example not in EXAMPLES:
        raise fail(f"unknown example {example!r}: expected one of {', '.join(EXAMPLES)}", 2)
    from stream_engine.producer.example_run import produce_clickstream

    summary = produce_clickstream(
        load_settings(),
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
