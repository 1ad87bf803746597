"""Window cost in-process: the same topology with and without a 5-minute tumbling window.

`python -m bench.windows_inprocess [--events 1000000] [--keys 10000] [--memory-keys 1000000]`

1. Throughput: events/s of decode -> map -> sink, then the same plus a tumbling 5m
   count+sum per key (10k keys), in one run, fed in 1000-record partition batches the
   way BatchRunner does. Kafka I/O is left out on purpose: it is the same for both, so
   the ratio isolates what the window engine adds.
2. Memory: bytes per open window with `--memory-keys` distinct keys, all in one open
   5-minute window (tracemalloc of the window state after processing, divided by keys).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

import orjson

from stream_engine.spec import load_pipeline
from stream_engine.topology import MicroBatch, Record, Topology

BASE = """
pipeline: bench-windows
version: 1
sources:
  events: {topic: in, key: user_id, event_time: ts}
steps:
  - map: {cents: "amount * 100"}
sinks:
  out: {topic: out}
"""
WINDOW = """
windows:
  per_user_5m:
    type: tumbling
    size: 5m
    grace: 30s
    key: user_id
    aggregate: {events: count, cents: {sum: cents}}
    sink: {topic: per-user-5m}
"""


def _topology(text: str) -> Topology:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(text)
        return Topology.build(load_pipeline(path))


def _records(events: int, keys: int, partition: int = 0) -> list[Record]:
    base = 1_767_225_600_000
    out = []
    for i in range(events):
        user = f"u{i % keys:07d}"
        value = orjson.dumps({"user_id": user, "amount": i % 97, "ts": base + i * 3})
        out.append(Record(user.encode(), value, "in", partition, i, base + i * 3))
    return out


def _throughput(topology: Topology, records: list[Record], batch: int) -> float:
    began = time.perf_counter()
    for start in range(0, len(records), batch):
        topology.process(MicroBatch("events", records[start : start + batch]))
    return len(records) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--memory-keys", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    records = _records(args.events, args.keys)
    plain = _throughput(_topology(BASE), records, args.batch)
    windowed_topology = _topology(BASE + WINDOW)
    windowed = _throughput(windowed_topology, records, args.batch)
    print(f"events={args.events} keys={args.keys} batch={args.batch}")
    print(f"  without window: {plain:10,.0f} events/s")
    print(f"  with tumbling 5m count+sum: {windowed:10,.0f} events/s  ({windowed / plain:.2f}x)")

    del records, windowed_topology
    gc.collect()
    topology = _topology(BASE + WINDOW)
    # every key once, all inside one 5-minute window: that many open windows
    many = [
        Record(
            f"k{i}".encode(),
            orjson.dumps({"user_id": f"k{i}", "amount": 1, "ts": 1_767_225_600_000}),
            "in",
            0,
            i,
            1_767_225_600_000,
        )
        for i in range(args.memory_keys)
    ]
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for start in range(0, len(many), args.batch):
        topology.process(MicroBatch("events", many[start : start + args.batch]))
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    state = topology.window_states[("per_user_5m", 0)]
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    opened = sum(1 for _ in state.open_windows())
    print(
        f"open windows: {opened:,}; window state memory: {grown / 2**20:,.0f} MiB "
        f"({grown / max(opened, 1):,.0f} bytes per open window)"
    )


if __name__ == "__main__":
    main()
