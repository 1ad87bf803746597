"""The topology alone, in-process: what decode -> enrich -> filter -> map -> encode costs.

`python -m bench.topology_only [--events N] [--batch 1000] [--partitions 4] [--profile]`
builds the benchmark pipeline's Topology (no Kafka: the reference table is filled
directly), feeds it the benchmark events in micro-batches split by partition the way
BatchRunner does, and prints events/s and the time per stage. With --profile it also
prints the top functions by cProfile (single thread, so cProfile is accurate here).

This is the ceiling of the processing part of the stream-engine worker on this machine:
the worker cannot go faster than this plus its Kafka I/O.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.workload import Workload, write_pipeline
from stream_engine.spec import load_pipeline
from stream_engine.topology import MicroBatch, Record, Topology


def build(batch: int) -> Topology:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_pipeline(
            Path(tmp),
            "bench-topology",
            source="in",
            reference="ref",
            sink="out",
            dead_letter="dlq",
            batch_size=batch,
            batch_wait_ms=200,
        )
        return Topology.build(load_pipeline(path))


def batches(work: Workload, batch: int, partitions: int) -> list[MicroBatch]:
    """Consumed batches of `batch` records, each split by partition as BatchRunner does."""
    records = [
        Record(key, value, "in", hash(key) % partitions, offset, 1_700_000_000_000)
        for offset, (key, value, _) in enumerate(work.events_iter())
    ]
    out = []
    for start in range(0, len(records), batch):
        by_partition: dict[int, list[Record]] = defaultdict(list)
        for rec in records[start : start + batch]:
            by_partition[rec.partition].append(rec)
        out += [MicroBatch("events", by_partition[p]) for p in sorted(by_partition)]
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.topology_only", description=__doc__)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--batch", type=int, default=1000, help="records per consumed batch")
    p.add_argument("--partitions", type=int, default=4, help="0 or 1: no split")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    work = Workload(args.events)
    topology = build(args.batch)
    table = topology.tables["users"]
    for key, value in work.reference_rows():
        table.apply(key, value)
    feed = batches(work, args.batch, max(args.partitions, 1))
    stages: dict[str, float] = defaultdict(float)
    profiler = cProfile.Profile() if args.profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    outputs = dead = 0
    for mb in feed:
        result = topology.process(mb)
        outputs += len(result.outputs)
        dead += len(result.dead_letters)
        for stage, seconds in result.step_seconds.items():
            stages[stage] += seconds
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - began
    sizes = sorted(len(mb) for mb in feed)
    print(
        f"{args.events:,} events in {len(feed):,} micro-batches (median "
        f"{sizes[len(sizes) // 2]} records): {args.events / elapsed:,.0f} events/s, "
        f"{elapsed / args.events * 1e6:.1f} us/event; outputs {outputs:,}, dead letters {dead:,}"
    )
    for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:8} {seconds / args.events * 1e6:6.1f} us/event")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumtime").print_stats(45)


if __name__ == "__main__":
    main()
