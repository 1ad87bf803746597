"""`run_replay`: parse the range and target, check everything, then run the replay.

Every check that can fail (range syntax, output target, topics, offsets, retention,
reference topics) runs before the first record is read, so a bad invocation is one
error line and nothing written.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from confluent_kafka import Consumer

from connectors.kafka_admin import wait_for_cluster
from connectors.kafka_reference import ReferenceLoader
from stream_engine.errors import ConfigError
from stream_engine.runtime.replay.compare import LiveComparison, OutputCollector
from stream_engine.runtime.replay.file_source import file_chunks
from stream_engine.runtime.replay.file_targets import DuckDBTarget, FilesTarget
from stream_engine.runtime.replay.kafka_source import read_ranges, replay_consumer
from stream_engine.runtime.replay.parallel import run_parallel
from stream_engine.runtime.replay.plan import ReplayPlan, resolve
from stream_engine.runtime.replay.run import Chunk, ReplayRun
from stream_engine.runtime.replay.summary import ReplaySummary
from stream_engine.runtime.replay.targets import KafkaTarget, Target
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.spec.replay_bounds import Bound, check_order, parse_bound
from stream_engine.topology import Topology


@dataclass
class ReplayOptions:
    range_from: str = "earliest"
    range_to: str = "latest"
    output: str = "kafka"
    file_format: Literal["jsonl", "parquet"] = "jsonl"
    to_live: bool = False
    flush: bool = True
    dry_run: bool = False
    source_path: Path | None = None
    partition_column: str | None = None
    run_id: str = field(default_factory=lambda: new_run_id())
    batch_size: int = 5000
    compare_live: bool = False
    workers: int = 1  # processes, each with a share of the partitions (Kafka to Kafka only)
    now_ms: int | None = None  # "now" for durations ago; the wall clock unless given


@dataclass
class ReplayOutcome:
    summary: ReplaySummary
    plan: ReplayPlan | None
    comparison: LiveComparison | None = None


def new_run_id() -> str:
    """Sortable and unique: UTC time plus a random suffix; safe in topic names."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)


def bounds(options: ReplayOptions) -> tuple[Bound, Bound]:
    now = options.now_ms if options.now_ms is not None else int(time.time() * 1000)
    start = parse_bound(options.range_from, now, "--from")
    end = parse_bound(options.range_to, now, "--to")
    check_order(start, end)
    return start, end


def make_target(options: ReplayOptions, spec: PipelineSpec, settings: Settings) -> Target:
    """The target `--output` names (its syntax was checked by `_check_output_syntax`)."""
    kind, _, where = options.output.partition(":")
    if kind == "files":
        return FilesTarget(Path(where), options.file_format)
    if kind == "duckdb":
        return DuckDBTarget(Path(where))
    return KafkaTarget(settings, spec, options.run_id, live=options.to_live)


def _check_output_syntax(options: ReplayOptions) -> str:
    kind, _, where = options.output.partition(":")
    if kind not in ("kafka", "files", "duckdb") or (kind != "kafka") != bool(where):
        raise ConfigError(
            f"--output {options.output!r}: expected kafka, files:DIR or duckdb:PATH "
            "(e.g. files:out/)"
        )
    if options.to_live and kind != "kafka":
        raise ConfigError("--to-live writes to the live Kafka topics; it needs --output kafka")
    if options.compare_live and options.source_path is not None:
        raise ConfigError("--compare-live compares with the live sinks; it needs a topic range")
    if options.workers > 1 and (kind != "kafka" or options.compare_live or options.source_path):
        raise ConfigError(
            "--workers above 1 replays a topic range into Kafka; it does not combine with "
            "--source, --compare-live or a files/DuckDB output"
        )
    if kind == "kafka":
        return "live topics" if options.to_live else f"shadow topics *.replay.{options.run_id}"
    return options.output


def run_replay(
    spec: PipelineSpec,
    topology: Topology,
    settings: Settings,
    options: ReplayOptions,
    progress: Callable[[int | None], Callable[[int], None] | None] = lambda _total: None,
) -> ReplayOutcome:
    """Check, then replay. `progress(total)` returns a per-batch callback (or None)."""
    start, end = bounds(options)
    target_text = _check_output_syntax(options)
    summary = ReplaySummary(
        options.run_id, spec.pipeline, start.describe(), end.describe(), target_text
    )
    plan: ReplayPlan | None = None
    consumer: Consumer | None = None
    if options.source_path is not None:
        if start.kind != "earliest" or end.kind != "latest":
            raise ConfigError(
                "--from/--to select a range of the source topic; with --source every row of "
                "the files is replayed (leave them out)"
            )
        summary.range_from, summary.range_to = str(options.source_path), "end of files"
        chunks: Iterable[Chunk] = file_chunks(
            spec,
            options.source_path,
            partition_column=options.partition_column,
            batch_size=options.batch_size,
        )
        total = None
    else:
        wait_for_cluster(settings)
        consumer = replay_consumer(settings, options.run_id)
        plan = resolve(consumer, spec, topology, start, end)
        summary.plan = plan.to_json()
        chunks = _topic_chunks(consumer, plan, options.batch_size)
        total = plan.total
    try:
        _load_reference(spec, topology, settings)
        if options.dry_run:
            summary.dry_run = True
            return ReplayOutcome(summary, plan)
        if options.workers > 1 and options.to_live and _has_table_sinks(spec):
            raise ConfigError(
                "--workers above 1 with --to-live would write the pipeline's table sinks from "
                "several processes at once; use --workers 1"
            )
        if options.workers > 1 and plan is not None and consumer is not None:
            consumer.close()  # nothing of librdkafka may be running when the workers fork
            consumer = None
            run_parallel(spec, topology, settings, options, plan, summary, progress(total))
            return ReplayOutcome(summary, plan)
        target = make_target(options, spec, settings)
        collector = OutputCollector(topology) if options.compare_live else None
        run = ReplayRun(
            topology,
            target,
            summary,
            flush=options.flush,
            progress=progress(total),
            observers=[collector.observe] if collector else [],
        )
        run.run(chunks)
    finally:
        if consumer is not None:
            consumer.close()
    comparison = None
    if collector is not None and plan is not None:
        comparison = collector.compare(settings, spec, plan)
    return ReplayOutcome(summary, plan, comparison)


def _has_table_sinks(spec: PipelineSpec) -> bool:
    return bool(spec.table_sinks) or any(w.sink.table is not None for w in spec.windows.values())


def _topic_chunks(consumer: Consumer, plan: ReplayPlan, batch_size: int) -> Iterator[Chunk]:
    for sp in plan.sources:
        yield from read_ranges(consumer, sp.source, sp.topic, sp.partitions, batch_size)


def _load_reference(spec: PipelineSpec, topology: Topology, settings: Settings) -> None:
    """Reference tables as the topics hold them now: enrichment is processing-time."""
    for name, ref in spec.reference.items():
        loader = ReferenceLoader(settings, topology.tables[name], ref.topic)
        try:
            loader.catch_up()
        finally:
            loader.close()
