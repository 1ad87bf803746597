"""`--workers N`: the range's partitions split over N forked processes.

Windows and all other state are per partition, so partitions are independent: each
process reads its share of the partitions (in offset order, as always), runs its own copy
of the topology (forked after the checks and the reference tables are loaded) and writes
to Kafka with its own producer. The parent merges the counts. A live worker cannot do
this within one process; a replay has no group to rebalance, so it can use every core.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from stream_engine.errors import StreamEngineError
from stream_engine.runtime.replay.kafka_source import read_ranges, replay_consumer
from stream_engine.runtime.replay.plan import ReplayPlan, SourcePlan
from stream_engine.runtime.replay.run import Chunk, ReplayRun
from stream_engine.runtime.replay.summary import ReplaySummary
from stream_engine.runtime.replay.targets import KafkaTarget
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import Topology


def split(plan: ReplayPlan, workers: int) -> list[list[SourcePlan]]:
    """Partitions dealt round-robin (largest first) so the shares are about equal."""
    shares: list[list[SourcePlan]] = [[] for _ in range(workers)]
    items = [(sp, part) for sp in plan.sources for part in sp.partitions if part.total > 0]
    items.sort(key=lambda item: -item[1].total)
    for i, (sp, part) in enumerate(items):
        share = shares[i % workers]
        mine = next((s for s in share if s.source == sp.source), None)
        if mine is None:
            share.append(replace(sp, partitions=[part]))
        else:
            mine.partitions.append(part)
    return [s for s in shares if s]


def run_parallel(
    spec: PipelineSpec,
    topology: Topology,
    settings: Settings,
    options: Any,
    plan: ReplayPlan,
    summary: ReplaySummary,
    progress: Callable[[int], None] | None,
) -> None:
    ctx = multiprocessing.get_context("fork")
    messages: Any = ctx.Queue()
    procs = [
        ctx.Process(
            target=_child,
            args=(spec, topology, settings, options, share, messages),
            name=f"replay-{i}",
            daemon=True,
        )
        for i, share in enumerate(split(plan, options.workers))
    ]
    began = time.perf_counter()
    for proc in procs:
        proc.start()
    errors: list[str] = []
    finished = 0
    while finished < len(procs):
        try:
            kind, payload = messages.get(timeout=1.0)
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead and finished + len(errors) < len(procs):
                errors.append(f"replay worker {dead[0].name} died (exit code {dead[0].exitcode})")
                break
            continue
        if kind == "progress":
            if progress is not None:
                progress(payload)
        elif kind == "done":
            _merge(summary, payload)
            finished += 1
        else:
            errors.append(payload)
            finished += 1
    for proc in procs:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    summary.duration_s = time.perf_counter() - began
    if errors:
        raise StreamEngineError(errors[0])


def _merge(summary: ReplaySummary, counts: dict[str, Any]) -> None:
    summary.records_read += counts["records_read"]
    summary.warmup_records += counts["warmup_records"]
    summary.flushed_windows += counts["flushed_windows"]
    summary.emitted.update(counts["emitted"])
    summary.dead_letters.update(counts["dead_letters"])
    summary.destinations.update(counts["destinations"])


def _child(
    spec: PipelineSpec,
    topology: Topology,
    settings: Settings,
    options: Any,
    sources: list[SourcePlan],
    messages: Any,
) -> None:
    try:
        consumer = replay_consumer(settings, options.run_id)
        target = KafkaTarget(settings, spec, options.run_id, live=options.to_live)
        mine = ReplaySummary(options.run_id, spec.pipeline, "", "", "")
        run = ReplayRun(
            topology,
            target,
            mine,
            flush=options.flush,
            progress=lambda n: messages.put(("progress", n)),
        )

        def chunks() -> Iterator[Chunk]:
            for sp in sources:
                yield from read_ranges(
                    consumer, sp.source, sp.topic, sp.partitions, options.batch_size
                )

        try:
            run.run(chunks())
        finally:
            consumer.close()
        counts = {
            "records_read": mine.records_read,
            "warmup_records": mine.warmup_records,
            "flushed_windows": mine.flushed_windows,
            "emitted": Counter(mine.emitted),
            "dead_letters": Counter(mine.dead_letters),
            "destinations": mine.destinations,
        }
        messages.put(("done", counts))
    except StreamEngineError as exc:
        messages.put(("error", str(exc)))
    except Exception as exc:  # a bug must still reach the parent as one line
        messages.put(("error", f"replay worker failed: {type(exc).__name__}: {exc}"))
