"""`stream-engine check` and `stream-engine worker`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.tree import Tree

from stream_engine.cli.errors import fail, handle_errors
from stream_engine.logs import configure_logging
from stream_engine.settings import load_settings
from stream_engine.spec import PipelineSpec, load_pipeline
from stream_engine.spec.db_sources import CURSOR_TOPIC, PostgresSourceSpec
from stream_engine.spec.quality_topics import quality_changelog_topics
from stream_engine.topology import Topology

PipelineArg = typer.Argument(..., help="The pipeline file (YAML).", show_default=False)


def load_topology(path: Path) -> tuple[PipelineSpec, Topology]:
    spec = load_pipeline(path)
    return spec, Topology.build(spec, origin=str(path))


@handle_errors
def check(
    pipeline: Path = PipelineArg,
    as_json: bool = typer.Option(False, "--json", help="Print the topology as JSON."),
) -> None:
    """Validate a pipeline file and print its topology (exit 2 on the first problems)."""
    spec, topology = load_topology(pipeline)
    summary = topology.describe()
    created = [
        {
            "topic": t.name,
            "partitions": t.partitions,
            "replication": t.replication,
            "config": dict(t.config),
        }
        for t in spec.topics_to_create()
    ]
    if as_json:
        typer.echo(json.dumps({**summary, "creates": created}, indent=2))
        return
    tree = Tree(f"[bold]{spec.pipeline}[/] v{spec.version}  (consumer group {spec.group_id})")
    sources = tree.add("sources")
    for name, src in spec.sources.items():
        if isinstance(src, PostgresSourceSpec):
            sources.add(f"{name}: {src.describe()}; cursor in {CURSOR_TOPIC}")
        else:
            sources.add(f"{name}: topic {src.topic} ({src.format})")
    if spec.reference:
        refs = tree.add("reference tables")
        for name, ref in spec.reference.items():
            refs.add(f"{name}: topic {ref.topic}, key {ref.key or '(message key)'}")
    steps = tree.add("steps")
    for step in topology.steps:
        steps.add(f"{step.path}: {step.name}")
    sinks = tree.add("sinks")
    for plan in topology.sinks:
        sinks.add(f"{plan.name}: topic {plan.topic}")
    for table in topology.table_sinks:
        sinks.add(f"{table.name}: {topology.describe()['sinks'][table.name]}")
    if spec.windows:
        windows = tree.add("windows")
        for name, window in spec.windows.items():
            shape = ", ".join(
                f"{k} {getattr(window, k)}"
                for k in ("size", "advance", "difference", "gap", "grace")
                if getattr(window, k) is not None
            )
            aggs = ", ".join(window.aggregate)
            windows.add(
                f"{name}: {window.type} ({shape}) by {window.key} -> {aggs}; "
                f"emit {window.emit}; topic {window.sink.topic}"
            )
    tree.add(f"dead letters: topic {spec.dead_letter_topic}")
    topics = tree.add("topics")
    topics.add("reads: " + ", ".join(spec.topics_read()))
    topics.add("writes: " + ", ".join(spec.topics_written()))
    topics.add(
        "creates when missing: "
        + ", ".join(f"{t['topic']} ({t['partitions']}p x{t['replication']})" for t in created)
    )
    for name in spec.windows:
        topics.add(
            f"window state: {spec.changelog_topic(name)} "
            f"(compacted, partitioned like {spec.sources[spec.window_source(name)].topic})"
        )
    for changelog, source_topic in quality_changelog_topics(spec).items():
        topics.add(f"quality state: {changelog} (compacted, partitioned like {source_topic})")
    Console().print(tree)
    typer.echo("ok")


@handle_errors
def worker(
    pipeline: Path = PipelineArg,
    metrics_port: int | None = typer.Option(
        None, min=0, max=65535, help="Port of /metrics, /health, /ready (0: any free port)."
    ),
    datadir: Path | None = typer.Option(None, help="Faust's data directory (default: a temp dir)."),
    runtime: str = typer.Option(
        "faust",
        help="faust: Faust agents (default); kafka: a confluent-kafka batch consumer, "
        "several times faster (see docs/worker.md).",
    ),
    run_log: Path | None = typer.Option(
        None,
        "--run-log",
        help="Append a JSONL run log here, one line per interval (see docs/analyzer.md).",
    ),
    run_log_interval: float = typer.Option(
        10.0, min=0.1, max=86_400, help="Seconds between run-log lines (with --run-log)."
    ),
) -> None:
    """Run the pipeline as a long-running worker until SIGTERM (finishes the batch in flight)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if runtime not in ("faust", "kafka"):
        raise fail(f"--runtime must be faust or kafka, got {runtime!r}", 2)
    spec, _ = load_topology(pipeline)
    if run_log is not None and not run_log.parent.is_dir():
        raise fail(f"--run-log: directory {run_log.parent} does not exist", 2)
    if run_log is not None and run_log.is_dir():
        raise fail(f"--run-log: {run_log} is a directory, expected a file", 2)
    from stream_engine.runtime.worker import run_worker

    code = run_worker(
        spec,
        settings,
        metrics_port=metrics_port,
        datadir=datadir,
        runtime="kafka" if runtime == "kafka" else "faust",
        run_log=run_log,
        run_log_interval_s=run_log_interval,
    )
    raise typer.Exit(code)
