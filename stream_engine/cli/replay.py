"""`stream-engine replay`: run a pipeline over a bounded range of its topics, or over files."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from stream_engine.cli.errors import EXIT_FAILURE, handle_errors
from stream_engine.cli.pipeline import PipelineArg, load_topology
from stream_engine.logs import configure_logging
from stream_engine.settings import load_settings

EXIT_DIFFERENT = EXIT_FAILURE


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} records/s")


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int | None], Callable[[int], None] | None]]:
    """A rich progress bar on a terminal; nothing for pipes, files and --json."""
    if not enabled:
        yield lambda _total: None
        return
    bar = Progress(
        TextColumn("replay"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=False),
        transient=True,
    )

    def start(total: int | None) -> Callable[[int], None]:
        task = bar.add_task("replay", total=total)
        return lambda n: bar.advance(task, n)

    with bar:
        yield start


@handle_errors
def replay(
    pipeline: Path = PipelineArg,
    range_from: str = typer.Option(
        "earliest",
        "--from",
        help="Start (inclusive): earliest, an ISO-8601 time, a duration ago (24h), "
        "or offsets per partition (0:1200,1:880).",
    ),
    range_to: str = typer.Option(
        "latest",
        "--to",
        help="End (exclusive): latest, now, an ISO-8601 time, a duration ago, or offsets.",
    ),
    source: Path | None = typer.Option(
        None,
        "--source",
        help="Replay data files instead of the topic: a JSONL, CSV, Parquet or Avro file, "
        "or a folder of them (a file is one partition).",
    ),
    partition_column: str | None = typer.Option(
        None, help="With --source: the column that holds each row's partition."
    ),
    output: str = typer.Option(
        "kafka",
        help="kafka (shadow topics <topic>.replay.<run-id>), files:DIR (a table file per "
        "sink), or duckdb:PATH (a table per sink).",
    ),
    file_format: str = typer.Option(
        "jsonl", "--format", help="Table files of --output files:DIR: jsonl or parquet."
    ),
    to_live: bool = typer.Option(
        False, "--to-live", help="Write to the live sink and dead-letter topics (a backfill)."
    ),
    no_flush: bool = typer.Option(
        False, "--no-flush", help="Do not emit the windows still open at the end of the range."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the range and print the plan; read and write nothing."
    ),
    compare_live: bool = typer.Option(
        False,
        "--compare-live",
        help="Diff the outputs against the live sink topics for the same range "
        "(exit 1 when they differ).",
    ),
    run_id: str | None = typer.Option(
        None, help="Name of this run (shadow topic suffix); default: UTC time + random."
    ),
    batch_size: int = typer.Option(
        5000, min=1, max=1_000_000, help="Records per batch fed to the topology."
    ),
    workers: int = typer.Option(
        1,
        min=1,
        max=64,
        help="Processes, each replaying a share of the partitions (topic to Kafka only).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Replay a bounded range (or files) through the pipeline, as the live worker would.

    No consumer group (live workers are never disturbed), window state in memory,
    reference tables as the topics hold them now. See docs/replay.md.
    """
    from stream_engine.errors import ConfigError
    from stream_engine.runtime.replay import ReplayOptions, new_run_id, run_replay

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if file_format not in ("jsonl", "parquet"):
        raise ConfigError(f"--format must be jsonl or parquet, got {file_format!r}")
    if run_id is not None and not run_id.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"--run-id {run_id!r}: use letters, digits, '-' and '_'")
    spec, topology = load_topology(pipeline)
    options = ReplayOptions(
        range_from=range_from,
        range_to=range_to,
        output=output,
        file_format="parquet" if file_format == "parquet" else "jsonl",
        to_live=to_live,
        flush=not no_flush,
        dry_run=dry_run,
        source_path=source,
        partition_column=partition_column,
        run_id=run_id or new_run_id(),
        batch_size=batch_size,
        compare_live=compare_live,
        workers=workers,
    )
    with _progress(sys.stdout.isatty() and not as_json) as progress:
        outcome = run_replay(spec, topology, settings, options, progress)
    summary, comparison = outcome.summary, outcome.comparison
    if as_json:
        doc = summary.to_json()
        if comparison is not None:
            doc["compare_live"] = comparison.to_json()
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(summary.render())
        if summary.dry_run and outcome.plan is not None:
            typer.echo(_plan_lines(outcome.plan.to_json()))
        if comparison is not None:
            typer.echo(comparison.render())
    if comparison is not None and not comparison.identical:
        raise typer.Exit(EXIT_DIFFERENT)


def _plan_lines(plan: dict[str, object]) -> str:
    lines = ["  plan (offsets; warm-up records feed windows only):"]
    sources = plan.get("sources")
    assert isinstance(sources, dict)
    for name, src in sources.items():
        lines.append(f"    {name}: topic {src['topic']}, warm-up {src['warmup_ms']} ms")
        for part, r in src["partitions"].items():
            lines.append(
                f"      [{part}] read {r['warmup_from']}..{r['to']} "
                f"(outputs from {r['from']}): {r['records']:,} records"
            )
    return "\n".join(lines)
